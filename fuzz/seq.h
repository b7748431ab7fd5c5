/* SPDX-License-Identifier: MIT */
/*
 * seq.h - operation-sequence programs shared by fuzz_seq and fuzz_diff.
 *
 * An input is a 2-byte header (the machine: placement, fragmentation, RAM
 * size, seed) followed by 8-byte records, one operation each:
 *
 *   byte 0      operation (SEQ_OP_* = byte % 32; 16..31 are the section ops)
 *   bytes 1..7  arguments, decoded per operation (see seq.c)
 *
 * Fixed-size records keep libFuzzer's mutations meaningful and make "a
 * program of 16 calls" exactly 2 + 16 * 8 bytes.  A program runs against a
 * "world": one backend instance plus what the harness knows about it (the
 * WD_KERNEL_BUFFER descriptions it holds in 16 slots, the emulated processes
 * it created, stale handles and freed pointers; the section objects, NT
 * handles and views it made).  Each record is first
 * resolved against the world into a concrete call (seq_resolve: which
 * pointer, handle, pid or address it passes), then run (seq_exec), then the
 * world learns the outcome (seq_apply).  fuzz_seq predicts each call's result
 * with a reference model between resolve and exec; fuzz_diff runs the call on
 * two worlds and compares.
 *
 * Every record makes at least one API call: a record naming an empty slot
 * degrades to a call with a stale, NULL or garbage argument, so a program of
 * N records is N calls.
 */
#ifndef KMEMU_FUZZ_SEQ_H
#define KMEMU_FUZZ_SEQ_H

#include <stddef.h>
#include <stdint.h>
#include <wds_lib.h>
#include <wdm.h>
#include <kmemu/kmemu.h>

#define SEQ_HEADER 2          /* bytes before the first record */
#define SEQ_RECORD 8          /* bytes per record */
#define SEQ_MAX_OPS 512       /* records run per input; the rest is ignored */
#define SEQ_SLOTS 16          /* descriptions a program can name */
#define SEQ_PROCS 6           /* process indexes; 0 is the initial process */
#define SEQ_RING 8            /* remembered stale handles / freed pointers / dead pids */
#define SEQ_MAX_LEN 8200      /* longest single read or write */
#define SEQ_SECS 8            /* section objects a program can hold */
#define SEQ_HANDLES 16        /* NT handles (section and process) a program can hold */
#define SEQ_VIEWS 16          /* section views a program can hold */
#define SEQ_NAMES 4           /* section names ("\\Kmemu\\Sec<n>", two spellings each) */

/* Operations (record byte 0 % 32). */
enum seq_op_kind {
	SEQ_OP_ALLOC = 0,     /* WDS_SharedBufferAlloc */
	SEQ_OP_ALLOC2 = 1,    /* WDS_SharedBufferAlloc (twice as likely) */
	SEQ_OP_GET = 2,       /* WDS_SharedBufferGet */
	SEQ_OP_GET2 = 3,
	SEQ_OP_FREE = 4,      /* WDS_SharedBufferFree */
	SEQ_OP_FREE2 = 5,
	SEQ_OP_PCREATE = 6,   /* kmemu_process_create */
	SEQ_OP_PDESTROY = 7,  /* kmemu_process_destroy */
	SEQ_OP_ATTACH = 8,    /* kmemu_process_attach */
	SEQ_OP_WRITE = 9,     /* kmemu_user_write / kmemu_kernel_write */
	SEQ_OP_READ = 10,     /* kmemu_user_read / kmemu_kernel_read */
	SEQ_OP_IRQL = 11,     /* kmemu_irql_set */
	SEQ_OP_RAISE = 12,    /* KeRaiseIrql under kmemu_bugcheck_catch */
	SEQ_OP_LOWER = 13,    /* KeLowerIrql under kmemu_bugcheck_catch */
	SEQ_OP_FAULT = 14,    /* kmemu_fault_set */
	SEQ_OP_PHYS = 15,     /* kmemu_kernel_read of a direct-map frame */
	SEQ_OP_SCREATE = 16,  /* ZwCreateSection */
	SEQ_OP_SCREATE2 = 17,
	SEQ_OP_SOPEN = 18,    /* ZwOpenSection */
	SEQ_OP_SMAP = 19,     /* ZwMapViewOfSection */
	SEQ_OP_SMAP2 = 20,
	SEQ_OP_SUNMAP = 21,   /* ZwUnmapViewOfSection */
	SEQ_OP_SCLOSE = 22,   /* ZwClose */
	SEQ_OP_VWRITE = 23,   /* kmemu_user_write through a view */
	SEQ_OP_VREAD = 24,    /* kmemu_user_read through a view */
	SEQ_OP_SPROC = 25,    /* kmemu_process_open / kmemu_process_create_child */
	SEQ_OP_SQUERY = 26,   /* NtQuerySection */
	SEQ_OP_SMAP3 = 27,
	SEQ_OP_VWRITE2 = 28,
	SEQ_OP_VREAD2 = 29,
	SEQ_OP_SCLOSE2 = 30,
	SEQ_OP_SUNMAP2 = 31
};

/* Concrete calls a record resolves to. */
enum seq_call_kind {
	SEQ_C_NOP = 0,     /* nothing (fuzz_diff skips calls it cannot compare) */
	SEQ_C_ALLOC,       /* WDS_SharedBufferAlloc(bytes, options, null_out ? NULL : &kb) */
	SEQ_C_GET,         /* WDS_SharedBufferGet(handle, null_out ? NULL : &kb) */
	SEQ_C_FREE,        /* WDS_SharedBufferFree(ptr) in the current process */
	SEQ_C_FREE_AS,     /* attach to proc, WDS_SharedBufferFree(ptr), attach back */
	SEQ_C_PCREATE,     /* kmemu_process_create(name, null_out ? NULL : &pid) */
	SEQ_C_PDESTROY,    /* kmemu_process_destroy(pid) */
	SEQ_C_ATTACH,      /* kmemu_process_attach(pid, &old) */
	SEQ_C_UWRITE,      /* kmemu_user_write(pid, addr, pattern, len) */
	SEQ_C_UREAD,       /* kmemu_user_read(pid, addr, buf, len) */
	SEQ_C_KWRITE,      /* kmemu_kernel_write(addr, pattern, len) */
	SEQ_C_KREAD,       /* kmemu_kernel_read(addr, buf, len) */
	SEQ_C_IRQL_SET,    /* kmemu_irql_set(irql, &old) */
	SEQ_C_RAISE,       /* KeRaiseIrql(irql, &old) */
	SEQ_C_LOWER,       /* KeLowerIrql(irql) */
	SEQ_C_FAULT,       /* kmemu_fault_set(&fault) */
	SEQ_C_SCREATE,     /* ZwCreateSection(null_out ? NULL : &h, access, &oa, &size, protect, attributes, NULL) */
	SEQ_C_SOPEN,       /* ZwOpenSection(null_out ? NULL : &h, access, &oa) */
	SEQ_C_SMAP,        /* ZwMapViewOfSection(h, ph, null_out ? NULL : &base(0), 0, commit, &offset, &view_size, inherit, 0, protect) */
	SEQ_C_SUNMAP,      /* ZwUnmapViewOfSection(ph, addr) */
	SEQ_C_SCLOSE,      /* ZwClose(h) */
	SEQ_C_SQUERY,      /* NtQuerySection(h, qclass, &info, qlen, &ret) */
	SEQ_C_POPEN,       /* kmemu_process_open(pid, access, null_out ? NULL : &h) */
	SEQ_C_PCHILD       /* kmemu_process_create_child(pid, "fuzz", null_out ? NULL : &pid) */
};

/* Which status vocabulary a result uses. */
enum seq_status_kind {
	SEQ_ST_WD = 0,        /* WinDriver DWORD */
	SEQ_ST_NT = 1,        /* NTSTATUS */
	SEQ_ST_BUGCHECK = 2,  /* bug check code, or 0 when none was raised */
	SEQ_ST_NONE = 3       /* no status (a NOP) */
};

/* One decoded record. */
struct seq_op {
	uint8_t kind;       /* SEQ_OP_* */
	uint8_t a[7];       /* argument bytes, decoded by seq_resolve() */
};

/* A decoded input. */
struct seq_prog {
	uint8_t placement;        /* enum kmemu_placement */
	uint8_t fragment_order;   /* 0 = off */
	uint64_t ram_bytes;       /* RAM of the machine */
	uint64_t seed;            /* machine PRNG seed */
	size_t n_ops;             /* records */
	struct seq_op ops[SEQ_MAX_OPS];  /* the records */
};

/* A resolved call: the operation with every argument made concrete. */
struct seq_call {
	enum seq_call_kind kind;     /* what to call */
	uint8_t op;                  /* the record's operation */
	const char *how;             /* how the argument was chosen ("live", "stale" ...) */
	int slot;                    /* slot concerned, or -1 */
	int proc;                    /* process index concerned, or -1 */
	int null_out;                /* pass NULL as the out-pointer */
	int raw;                     /* an argument is a raw value (fuzz_diff: may collide) */
	uint64_t bytes;              /* ALLOC */
	uint32_t options;            /* ALLOC */
	uint32_t handle;             /* GET */
	WD_KERNEL_BUFFER *ptr;       /* FREE, FREE_AS */
	kmemu_pid pid;               /* PDESTROY, ATTACH, UREAD/UWRITE (0 = current), FREE_AS */
	uint64_t addr;               /* reads and writes */
	uint32_t len;                /* reads and writes */
	uint8_t pat, step;           /* write pattern: byte i = pat + i * step */
	uint8_t irql;                /* IRQL_SET, RAISE, LOWER */
	struct kmemu_fault_config fault;  /* FAULT */
	/* Sections (the S* calls; UREAD/UWRITE through a view set @view): */
	int view;                    /* view slot accessed, unmapped or created, or -1 */
	int hslot;                   /* handle slot a new handle goes to, or -1 */
	int sec;                     /* section slot a new section goes to / a handle names, or -1 */
	int has_size;                /* SCREATE: MaximumSize passed */
	int64_t size;                /* SCREATE: *MaximumSize */
	uint32_t attributes;         /* SCREATE: AllocationAttributes */
	uint32_t protect;            /* SCREATE: SectionPageProtection; SMAP: Win32Protect */
	uint32_t access;             /* SCREATE/SOPEN: DesiredAccess; POPEN: process access */
	uint32_t granted;            /* SCREATE/SOPEN: DesiredAccess with generic rights mapped */
	int name;                    /* SCREATE/SOPEN: name index, -1 none */
	int name_case;               /* 1: the upper-case spelling */
	int name_mode;               /* SOPEN: 0 name, 1 no name, 2 name without '\\' */
	uint32_t obj_attr;           /* OBJ_OPENIF | OBJ_CASE_INSENSITIVE */
	uintptr_t h;                 /* SMAP/SCLOSE/SQUERY: section (or any) handle value */
	uintptr_t ph;                /* SMAP/SUNMAP: process handle value */
	uint64_t offset;             /* SMAP: *SectionOffset */
	uint64_t view_size;          /* SMAP: *ViewSize */
	uint64_t commit;             /* SMAP: CommitSize */
	uint32_t inherit;            /* SMAP: ViewShare / ViewUnmap */
	int qclass;                  /* SQUERY: information class */
	uint32_t qlen;               /* SQUERY: buffer length */
};

/* What a call returned. */
struct seq_result {
	enum seq_status_kind st_kind;  /* vocabulary of status */
	uint32_t status;               /* status, or bug check code (0 = none) */
	WD_KERNEL_BUFFER *kb;          /* ALLOC/GET: the description on success */
	kmemu_pid pid;                 /* PCREATE: new pid; ATTACH: old pid */
	uint8_t old_irql;              /* IRQL_SET/RAISE: previous level */
	uint8_t irql_after;            /* IRQL ops: KeGetCurrentIrql() afterwards */
	const char *proto;             /* a broken out-parameter rule, or NULL */
	uint8_t *data;                 /* READ: the bytes read (len of the call) */
	uintptr_t handle;              /* SCREATE/SOPEN/POPEN: the new handle */
	uint64_t base, view_size;      /* SMAP: the view */
	uint64_t offset;               /* SMAP: *SectionOffset afterwards */
	uint32_t q_attr;               /* SQUERY: AllocationAttributes */
	uint64_t q_size;               /* SQUERY: MaximumSize */
	uint64_t q_base;               /* SQUERY: BaseAddress */
	uint64_t q_ret;                /* SQUERY: *ResultLength */
};

/* A section object the world knows: live while a handle or a view names it. */
struct seq_sec {
	int live;              /* the object exists */
	uint64_t size;         /* bytes (MaximumSize rounded up to pages) */
	uint64_t npages;       /* pages */
	uint32_t attributes;   /* AllocationAttributes */
	uint32_t protect;      /* SectionPageProtection */
	int name;              /* name index, -1 unnamed */
	int name_case;         /* spelling of the name */
	int named;             /* in the namespace (some handle left) */
	uint64_t name_order;   /* when it entered the namespace (newest found first) */
	unsigned handles;      /* live handles naming it */
	unsigned views;        /* live views of it */
};

/* An NT handle the world knows (kept after closing: stale values). */
struct seq_handle {
	int live;              /* open */
	uintptr_t value;       /* the HANDLE */
	int proc;              /* process index whose table holds it */
	int is_proc;           /* a process handle (kmemu_process_open) */
	int sec;               /* section slot it names (!is_proc) */
	kmemu_pid target;      /* process it names (is_proc) */
	uint32_t granted;      /* granted access */
};

/* A view the world knows (kept after unmapping: stale addresses). */
struct seq_view {
	int live;              /* mapped */
	int used;              /* ever mapped */
	uint64_t addr;         /* base */
	uint64_t size;         /* bytes */
	int proc;              /* process index it is mapped in */
	kmemu_pid pid;         /* that process's pid */
	int sec;               /* section slot */
	uint64_t first_page;   /* section page at @addr */
	uint32_t protect;      /* Win32Protect */
	uint32_t inherit;      /* ViewShare / ViewUnmap */
	int inherited;         /* a child inherited it, or it is a child's inherited view */
};

/* A buffer the world knows: live while some slot holds it. */
struct seq_buf {
	int live;              /* 1 while some holding exists */
	uint32_t handle;       /* global handle */
	uint64_t bytes;        /* qwBytes */
	uint32_t options;      /* dwOptions */
	uint64_t npages;       /* pages (bytes rounded up) */
	uint64_t kaddr;        /* pKernelAddr */
	unsigned holders;      /* slots holding it */
};

/* A slot: one description held by one process, or empty. */
struct seq_slot {
	WD_KERNEL_BUFFER *kb;  /* the description, NULL when empty */
	int proc;              /* holding process index */
	int buf;               /* buffer index */
	/* Kept after the slot empties, so stale views can be used: */
	int used;              /* ever held something */
	uint64_t uaddr;        /* pUserAddr of the last holding */
	uint64_t kaddr;        /* pKernelAddr of the last holding */
	uint64_t npages;       /* pages of the last holding */
	kmemu_pid pid;         /* pid of the last holder */
};

/* One backend instance and what the harness knows about it. */
struct seq_world {
	struct kmemu_backend *b;                /* the instance */
	const char *label;                      /* for reports ("emu", "emu/scatter" ...) */
	uint64_t ram_bytes;                     /* frames_total * page size */
	uint64_t frames_total;                  /* frames of RAM */
	kmemu_pid pids[SEQ_PROCS];              /* pid of each index (last one if dead) */
	int proc_live[SEQ_PROCS];               /* 1 while the process exists */
	int cur;                                /* current process index */
	struct seq_slot slots[SEQ_SLOTS];       /* held descriptions */
	struct seq_buf bufs[SEQ_SLOTS];         /* buffers (at most one per slot) */
	uint32_t stale[SEQ_RING];               /* handles of dead buffers */
	WD_KERNEL_BUFFER *freed[SEQ_RING];      /* freed description pointers */
	kmemu_pid dead[SEQ_RING];               /* pids of destroyed processes */
	unsigned n_stale, n_freed, n_dead;      /* ring write counters */
	uint8_t irql;                           /* IRQL as the harness believes it */
	uint64_t kbase;                         /* direct-map base, 0 = unknown (fuzz_seq learns it) */
	struct kmemu_fault_config fault;        /* last fault program set */
	WD_KERNEL_BUFFER fake;                  /* forged description (never handed out) */
	int sections;                           /* the instance serves sections (KMEMU_CAP_SECTIONS) */
	struct seq_sec secs[SEQ_SECS];          /* section objects */
	struct seq_handle hs[SEQ_HANDLES];      /* NT handles */
	struct seq_view views[SEQ_VIEWS];       /* views */
	uint64_t name_clock;                    /* namespace insertion counter */
	int last_child;                         /* process index PCHILD last created */
};

/**
 * seq_decode() - decode an input into a program.
 * @data, @size: the input.
 * @prog:        receives the program (header fields and records).
 * Return: 1 when the input has a header, 0 when it is too short.
 */
int seq_decode(const uint8_t *data, size_t size, struct seq_prog *prog);

/**
 * seq_config() - the machine configuration a program asks for.
 * @prog: decoded program.
 * @cfg:  receives kmemu_config_default() with the program's header applied.
 */
void seq_config(const struct seq_prog *prog, struct kmemu_config *cfg);

/**
 * seq_world_init() - start knowing an open, current instance.
 * @w:     world to fill.
 * @b:     the instance (must be current).
 * @label: name for reports.
 * Return: 0, or -1 when the instance cannot report its process or stats.
 */
int seq_world_init(struct seq_world *w, struct kmemu_backend *b, const char *label);

/**
 * seq_resolve() - turn a record into a concrete call against @w.
 * @w:    world (not changed).
 * @op:   the record.
 * @call: receives the call.
 */
void seq_resolve(const struct seq_world *w, const struct seq_op *op, struct seq_call *call);

/**
 * seq_exec() - run a call on the current instance (which must be @w's).
 * @w:    world (not changed; FREE_AS uses it to attach back).
 * @call: the call.
 * @res:  receives the outcome; res->data must point at SEQ_MAX_LEN bytes.
 *
 * Also checks the out-parameter rules every backend shares (Alloc leaves
 * *ppBuf untouched on failure, Get clears it, success fills a non-NULL
 * description) and reports a broken one in res->proto.
 */
void seq_exec(const struct seq_world *w, const struct seq_call *call, struct seq_result *res);

/**
 * seq_apply() - update @w with the outcome of a call.
 * @w:       world.
 * @call:    the call.
 * @res:     its outcome.
 * @new_buf: receives the index of a buffer ALLOC created, else -1 (may be NULL).
 */
void seq_apply(struct seq_world *w, const struct seq_call *call, const struct seq_result *res,
	       int *new_buf);

/**
 * seq_undo() - release what a successful acquiring call created (fuzz_diff
 * resynchronises two worlds when a fault failed the call in only one).
 * @w:    world the call succeeded in (already applied).
 * @call: the call (ALLOC, GET, PCREATE, SCREATE, SOPEN, POPEN, SMAP, PCHILD).
 * Return: 0, or -1 if releasing failed.
 */
int seq_undo(struct seq_world *w, const struct seq_call *call);

/**
 * seq_teardown() - free every held description, destroy every created
 * process, attach to the initial one, faults off, IRQL 0.
 * @w:   world (current instance).
 * @why: receives what failed.
 * Return: 0, or -1 when a release call failed.
 */
int seq_teardown(struct seq_world *w, const char **why);

/**
 * seq_name_lookup() - the section a name resolves to in @w's namespace, as
 * the emulator looks it up (newest first; OBJ_CASE_INSENSITIVE folds case).
 * Return: section slot, or -1.
 */
int seq_name_lookup(const struct seq_world *w, int name, int name_case, int ci);

/**
 * seq_handle_find() - the live handle slot of value @v in process index @proc.
 * Return: handle slot, or -1.
 */
int seq_handle_find(const struct seq_world *w, int proc, uintptr_t v);

/**
 * seq_view_at() - the live view of process index @proc containing @addr.
 * Return: view slot, or -1.
 */
int seq_view_at(const struct seq_world *w, int proc, uint64_t addr);

/**
 * seq_proc_of_pid() - index of a live process, or -1.
 */
int seq_proc_of_pid(const struct seq_world *w, kmemu_pid pid);

/**
 * seq_section_access() - the section access a view protection needs
 * (WRK MmMakeSectionAccess, as api/section_rules.c).
 */
uint32_t seq_section_access(uint32_t protect);

/**
 * seq_is_section_call() - 1 for the calls that go through the section
 * services (run under kmemu_bugcheck_catch: they bug check above PASSIVE).
 */
int seq_is_section_call(const struct seq_call *call);

/**
 * seq_pattern() - fill @buf with the write pattern of @call.
 */
void seq_pattern(const struct seq_call *call, uint8_t *buf);

/**
 * seq_call_format() - one readable line for a call.
 * @call:       the call.
 * @out, @size: destination.
 */
void seq_call_format(const struct seq_call *call, char *out, size_t size);

/**
 * seq_status_format() - a status by name ("WD_INVALID_HANDLE",
 * "STATUS_ACCESS_VIOLATION", "bugcheck IRQL_NOT_LESS_OR_EQUAL", "returned").
 */
const char *seq_status_format(enum seq_status_kind kind, uint32_t status, char *out, size_t size);

/**
 * seq_acquires() - 1 if the call acquires resources (may fail with an
 * injected fault), 0 otherwise.
 */
int seq_acquires(const struct seq_call *call);

#endif /* KMEMU_FUZZ_SEQ_H */
