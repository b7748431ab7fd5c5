/* SPDX-License-Identifier: MIT */
/*
 * linux.h - the "linux" backend: internal interfaces, by file.
 *
 * A thin backend on real Linux primitives.  The host process is the initial
 * emulated process and also plays the kernel: a WDS buffer is a memfd whose
 * kernel view is a locked (mlock2) MAP_SHARED mapping in the host; each holding
 * is one more MAP_SHARED mapping of the same memfd in the holding process.
 * Other emulated processes are real forked "agent" processes that map and
 * unmap on request (fd passed with SCM_RIGHTS).  Where the kernel decides
 * (memory, limits, huge pages, page protections) it decides, and errno is
 * translated once, in linux_status_from_errno().
 *
 * Every syscall the backend makes in the host goes through the overridable
 * table linux_syscalls[] by an rsys_* macro; acquiring entries first ask the
 * fault simulator, so fault injection and the OOM loop reach every error
 * path of this backend as they do the emulator's.
 */
#ifndef KMEMU_REAL_LINUX_H
#define KMEMU_REAL_LINUX_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <wds_lib.h>
#include "../../api/core.h"

#define LINUX_PAGE_SIZE 4096ull
#define LINUX_HUGE_2M (2ull << 20)
#define LINUX_HUGE_1G (1ull << 30)

/* ==== syscall.c: the syscall table ========================================= */

enum rsys_id {
	RSYS_MEMFD_CREATE,       /* acquiring: EMFILE */
	RSYS_FTRUNCATE,          /* acquiring: ENOSPC */
	RSYS_MMAP,               /* acquiring: ENOMEM */
	RSYS_MLOCK2,             /* acquiring (syscall and frames): ENOMEM */
	RSYS_MADVISE,            /* acquiring: EAGAIN */
	RSYS_OPEN,               /* acquiring: EMFILE */
	RSYS_SOCKETPAIR,         /* acquiring: EMFILE */
	RSYS_FORK,               /* acquiring: EAGAIN */
	RSYS_SENDMSG,            /* acquiring (passes an fd to an agent): ENOBUFS */
	RSYS_PIDFD_OPEN,         /* acquiring: EMFILE */
	RSYS_PIDFD_GETFD,        /* acquiring: EMFILE */
	RSYS_MPROTECT,           /* acquiring (commits SEC_RESERVE pages): ENOMEM */
	RSYS_IO_URING_SETUP,     /* acquiring (a ring to pin locked pages): EMFILE */
	RSYS_IO_URING_REGISTER,  /* acquiring (the pin; RLIMIT_MEMLOCK): ENOMEM */
	RSYS_MUNMAP,             /* releasing: never failed */
	RSYS_CLOSE,              /* releasing */
	RSYS_KILL,               /* releasing */
	RSYS_WAITPID,            /* releasing */
	RSYS_SEND,               /* releasing (requests without an fd) */
	RSYS_RECV,               /* query */
	RSYS_PREAD,              /* query */
	RSYS_FCNTL,              /* query */
	RSYS_PROCESS_VM_READV,   /* query */
	RSYS_PROCESS_VM_WRITEV,  /* query */
	RSYS_GETRLIMIT,          /* query */
	RSYS_CAPGET,             /* query */
	RSYS_GETPID,             /* query */
	RSYS_COUNT
};

/* A generic function pointer: entries are cast back to their real type. */
typedef void (*linux_syscall_ptr)(void);

/* One entry of the table (SQLite's aSyscall[]). */
struct linux_syscall {
	const char *name;            /* "mmap": the key of linux_syscall_set() */
	linux_syscall_ptr current;   /* what the rsys_* macro calls */
	linux_syscall_ptr dflt;      /* the libc function (or a thin wrapper) */
	unsigned fault_resources;    /* KMEMU_FAULT_* asked first; 0 = never failed */
	int fault_errno;             /* errno of an injected failure */
};

extern struct linux_syscall linux_syscalls[RSYS_COUNT];

/* 1 when entry @id must fail now (errno is set); counts the acquisition. */
int linux_sys_fault(enum rsys_id id);
/* Replace entry @name with @fn (NULL restores the default).  Tests only;
 * not while other threads use the backend.  Return: 0, or -1 (unknown). */
int linux_syscall_set(const char *name, linux_syscall_ptr fn);
/* The current function of entry @name, or NULL. */
linux_syscall_ptr linux_syscall_get(const char *name);
/* Restore every entry. */
void linux_syscall_reset(void);

typedef int (*rsys_memfd_create_fn)(const char *, unsigned);
typedef int (*rsys_ftruncate_fn)(int, off_t);
typedef void *(*rsys_mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*rsys_mlock2_fn)(const void *, size_t, unsigned);
typedef int (*rsys_madvise_fn)(void *, size_t, int);
typedef int (*rsys_open_fn)(const char *, int);
typedef int (*rsys_socketpair_fn)(int, int, int, int *);
typedef pid_t (*rsys_fork_fn)(void);
typedef ssize_t (*rsys_sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*rsys_pidfd_open_fn)(pid_t, unsigned);
typedef int (*rsys_pidfd_getfd_fn)(int, int, unsigned);
typedef int (*rsys_mprotect_fn)(void *, size_t, int);
struct io_uring_params;
typedef int (*rsys_io_uring_setup_fn)(unsigned, struct io_uring_params *);
typedef int (*rsys_io_uring_register_fn)(int, unsigned, const void *, unsigned);
typedef int (*rsys_munmap_fn)(void *, size_t);
typedef int (*rsys_close_fn)(int);
typedef int (*rsys_kill_fn)(pid_t, int);
typedef pid_t (*rsys_waitpid_fn)(pid_t, int *, int);
typedef ssize_t (*rsys_send_fn)(int, const void *, size_t, int);
typedef ssize_t (*rsys_recv_fn)(int, void *, size_t, int);
typedef ssize_t (*rsys_pread_fn)(int, void *, size_t, off_t);
typedef int (*rsys_fcntl_fn)(int, int, int);
typedef ssize_t (*rsys_process_vm_fn)(pid_t, const struct iovec *, unsigned long,
				      const struct iovec *, unsigned long, unsigned long);
typedef int (*rsys_getrlimit_fn)(int, struct rlimit *);
typedef int (*rsys_capget_fn)(uint64_t *effective);
typedef pid_t (*rsys_getpid_fn)(void);

#define RSYS_FN(id, type) ((type)linux_syscalls[id].current)

/* Acquiring calls: the fault simulator may fail them first. */
#define rsys_memfd_create(name, flags) \
	(linux_sys_fault(RSYS_MEMFD_CREATE) ? -1 : RSYS_FN(RSYS_MEMFD_CREATE, rsys_memfd_create_fn)(name, flags))
#define rsys_ftruncate(fd, len) \
	(linux_sys_fault(RSYS_FTRUNCATE) ? -1 : RSYS_FN(RSYS_FTRUNCATE, rsys_ftruncate_fn)(fd, len))
#define rsys_mmap(addr, len, prot, flags, fd, off)                                        \
	(linux_sys_fault(RSYS_MMAP) ? MAP_FAILED                                          \
				    : RSYS_FN(RSYS_MMAP, rsys_mmap_fn)(addr, len, prot, flags, fd, off))
#define rsys_mlock2(addr, len, flags) \
	(linux_sys_fault(RSYS_MLOCK2) ? -1 : RSYS_FN(RSYS_MLOCK2, rsys_mlock2_fn)(addr, len, flags))
#define rsys_madvise(addr, len, advice) \
	(linux_sys_fault(RSYS_MADVISE) ? -1 : RSYS_FN(RSYS_MADVISE, rsys_madvise_fn)(addr, len, advice))
#define rsys_open(path, flags) \
	(linux_sys_fault(RSYS_OPEN) ? -1 : RSYS_FN(RSYS_OPEN, rsys_open_fn)(path, flags))
#define rsys_socketpair(dom, type, proto, sv) \
	(linux_sys_fault(RSYS_SOCKETPAIR) ? -1 : RSYS_FN(RSYS_SOCKETPAIR, rsys_socketpair_fn)(dom, type, proto, sv))
#define rsys_fork() \
	(linux_sys_fault(RSYS_FORK) ? (pid_t)-1 : RSYS_FN(RSYS_FORK, rsys_fork_fn)())
#define rsys_sendmsg(fd, msg, flags) \
	(linux_sys_fault(RSYS_SENDMSG) ? (ssize_t)-1 : RSYS_FN(RSYS_SENDMSG, rsys_sendmsg_fn)(fd, msg, flags))
#define rsys_pidfd_open(pid, flags) \
	(linux_sys_fault(RSYS_PIDFD_OPEN) ? -1 : RSYS_FN(RSYS_PIDFD_OPEN, rsys_pidfd_open_fn)(pid, flags))
#define rsys_pidfd_getfd(pidfd, fd, flags) \
	(linux_sys_fault(RSYS_PIDFD_GETFD) ? -1 : RSYS_FN(RSYS_PIDFD_GETFD, rsys_pidfd_getfd_fn)(pidfd, fd, flags))
#define rsys_mprotect(addr, len, prot) \
	(linux_sys_fault(RSYS_MPROTECT) ? -1 : RSYS_FN(RSYS_MPROTECT, rsys_mprotect_fn)(addr, len, prot))
#define rsys_io_uring_setup(entries, p)                                                    \
	(linux_sys_fault(RSYS_IO_URING_SETUP) ? -1                                          \
					      : RSYS_FN(RSYS_IO_URING_SETUP, rsys_io_uring_setup_fn)(entries, p))
#define rsys_io_uring_register(fd, op, arg, nr)                                               \
	(linux_sys_fault(RSYS_IO_URING_REGISTER)                                                 \
		 ? -1                                                                            \
		 : RSYS_FN(RSYS_IO_URING_REGISTER, rsys_io_uring_register_fn)(fd, op, arg, nr))
/* Releasing calls and queries: never failed by the simulator. */
#define rsys_munmap(addr, len) RSYS_FN(RSYS_MUNMAP, rsys_munmap_fn)(addr, len)
#define rsys_close(fd) RSYS_FN(RSYS_CLOSE, rsys_close_fn)(fd)
#define rsys_kill(pid, sig) RSYS_FN(RSYS_KILL, rsys_kill_fn)(pid, sig)
#define rsys_waitpid(pid, status, options) RSYS_FN(RSYS_WAITPID, rsys_waitpid_fn)(pid, status, options)
#define rsys_send(fd, buf, len, flags) RSYS_FN(RSYS_SEND, rsys_send_fn)(fd, buf, len, flags)
#define rsys_recv(fd, buf, len, flags) RSYS_FN(RSYS_RECV, rsys_recv_fn)(fd, buf, len, flags)
#define rsys_pread(fd, buf, len, off) RSYS_FN(RSYS_PREAD, rsys_pread_fn)(fd, buf, len, off)
#define rsys_fcntl(fd, cmd, arg) RSYS_FN(RSYS_FCNTL, rsys_fcntl_fn)(fd, cmd, arg)
#define rsys_process_vm_readv(pid, l, nl, r, nr, fl) \
	RSYS_FN(RSYS_PROCESS_VM_READV, rsys_process_vm_fn)(pid, l, nl, r, nr, fl)
#define rsys_process_vm_writev(pid, l, nl, r, nr, fl) \
	RSYS_FN(RSYS_PROCESS_VM_WRITEV, rsys_process_vm_fn)(pid, l, nl, r, nr, fl)
#define rsys_getrlimit(res, rl) RSYS_FN(RSYS_GETRLIMIT, rsys_getrlimit_fn)(res, rl)
#define rsys_capget(eff) RSYS_FN(RSYS_CAPGET, rsys_capget_fn)(eff)
#define rsys_getpid() RSYS_FN(RSYS_GETPID, rsys_getpid_fn)()

/* ==== status.c: errno -> status, the one translation ===================== */

/* What the failing call was doing: picks the status family and meaning. */
enum linux_op {
	LINUX_OP_WDS = 0,      /* WDS kernel half (memfd, views, locking): WD status */
	LINUX_OP_WDS_MAP = 1,  /* mapping a buffer into a user process: WD status */
	LINUX_OP_PROCESS = 2,  /* creating/talking to an agent process: NTSTATUS */
	LINUX_OP_ACCESS = 3,   /* user/kernel read and write: NTSTATUS */
	LINUX_OP_PHYS = 4,     /* virtual -> physical (pagemap): NTSTATUS */
	LINUX_OP_FD = 5,       /* handing a buffer's fd out (pidfd): NTSTATUS */
	LINUX_OP_SECTION = 6,  /* creating a section (memfd, size, commit charge): NTSTATUS */
	LINUX_OP_VIEW = 7,     /* placing and mapping a view (host or agent): NTSTATUS */
	LINUX_OP_COUNT
};

/**
 * linux_status_from_errno() - the status an API reports for a kernel errno.
 * @err: errno of the failed call (0 means success).
 * @op:  what the call was doing (enum linux_op).
 * Return: a WD_* status for the WDS ops, an NTSTATUS for the others.
 */
uint32_t linux_status_from_errno(int err, int op);

/* ==== agent.c: emulated processes as real child processes =============== */

/* Requests an agent executes (one SOCK_SEQPACKET message each). */
enum linux_agent_op {
	LINUX_AGENT_PING = 1,   /* reply 0 */
	LINUX_AGENT_MAP = 2,    /* mmap the attached fd at addr (hint; must land there), len */
	LINUX_AGENT_UNMAP = 3,  /* munmap addr, len */
	LINUX_AGENT_VIEW = 4,   /* a section view: linux_view_mmap() of the attached fd */
	LINUX_AGENT_PROTECT = 5, /* mprotect addr, len, prot */
};

/* linux_agent_req.flags of LINUX_AGENT_VIEW */
#define LINUX_VIEW_PRIVATE  1u  /* MAP_PRIVATE (copy on write), else MAP_SHARED */
#define LINUX_VIEW_FIXED    2u  /* exactly at addr (MAP_FIXED_NOREPLACE semantics) */
#define LINUX_VIEW_TOP_DOWN 4u  /* MEM_TOP_DOWN */

struct linux_agent_req {
	uint32_t op;      /* enum linux_agent_op */
	uint32_t pad;     /* 0 */
	uint64_t addr;    /* address in the agent */
	uint64_t len;     /* bytes */
	uint64_t offset;  /* VIEW: offset in the fd */
	uint32_t prot;    /* VIEW, PROTECT: PROT_* */
	uint32_t flags;   /* VIEW: LINUX_VIEW_* */
	uint64_t lo;      /* VIEW: lowest address allowed (ZeroBits window), 0 = any */
	uint64_t hi;      /* VIEW: highest address allowed, 0 = no window */
};

struct linux_agent_rep {
	int64_t value;  /* result (address for MAP) */
	int32_t err;    /* errno, 0 on success */
	uint32_t pad;   /* 0 */
};

/* Fork an agent; *@pid and *@sock receive its pid and the host's socket.
 * Return: 0, or an errno. */
int linux_agent_spawn(pid_t *pid, int *sock);
/* Send @req (with @fd attached unless -1) and wait for the reply.
 * Return: 0 (see @rep->err for the agent's errno) or an errno of the
 * transport (EPIPE, ECONNRESET: the agent is gone). */
int linux_agent_call(int sock, const struct linux_agent_req *req, int fd,
		     struct linux_agent_rep *rep);
/* Kill and reap an agent, close the host's socket. */
void linux_agent_kill(pid_t pid, int sock);
/* Place and map a section view of @fd as @req (LINUX_AGENT_VIEW) describes,
 * 64 KiB aligned, in the calling process: the host (@in_host: the final
 * mmap is an rsys_mmap acquisition) or an agent.  Return: the address, or
 * MAP_FAILED with *@err (EEXIST: the fixed range is taken; ENOMEM: no room). */
void *linux_view_mmap(const struct linux_agent_req *req, int fd, int in_host, int *err);

/* ==== machine.c: the instance ============================================= */

struct linux_buffer {
	uint32_t handle;        /* global handle; 0 once it died */
	uint32_t options;       /* dwOptions as allocated */
	uint64_t bytes;         /* qwBytes as requested (unrounded) */
	uint64_t view_size;     /* bytes reachable through the kernel view: pages */
	uint64_t map_size;      /* bytes of every mapping: pages, or whole huge pages */
	int memfd;              /* the shared memory object, owned */
	uint8_t *kaddr;         /* kernel view: a host mapping, mlock2()ed */
	uint32_t n_holders;     /* holdings in all processes */
	int is_hugetlb;         /* memfd of huge pages (CONTIG) */
};

struct linux_hold {
	WD_KERNEL_BUFFER *kb;       /* the description handed out: the key */
	struct linux_buffer *buf;   /* counted in buf->n_holders */
	uint8_t *uaddr;             /* address in the holding process (for an agent,
				     * the host keeps an alias at the same address) */
};

struct linux_proc {
	struct linux_proc *next;    /* list of the instance */
	kmemu_pid pid;              /* the OS pid */
	int sock;                   /* host end of the agent's socket; -1 for the host */
	int is_initial;             /* the host process itself */
	char *name;                 /* label (kmemu__strdup) */
	struct linux_hold **holds;  /* this process's holdings */
	size_t n_holds;             /* entries used */
	size_t cap_holds;           /* entries allocated */
	struct linux_handle *handles; /* section.c: this process's object handles */
	uint32_t n_handles;         /* entries allocated */
	uint32_t handles_used;      /* live entries */
};

/* One entry of a process's handle table (section.c). */
struct linux_handle {
	int type;                   /* LINUX_HANDLE_*; 0 = free */
	uint32_t gen;               /* generation: bumped when the entry dies */
	uint32_t access;            /* granted access */
	struct linux_section *sec;  /* LINUX_HANDLE_SECTION: one reference */
	kmemu_pid pid;              /* LINUX_HANDLE_PROCESS: the process named */
};

#define LINUX_HANDLE_SECTION 1
#define LINUX_HANDLE_PROCESS 2

/* An unlocked revoked alias's reserved addresses (mdl.c). */
#define LINUX_MDL_QUARANTINE 64
struct linux_mdl_reserved {
	uint8_t *map;               /* NULL = free slot */
	uint64_t len;               /* bytes */
};

/* The body of a process object a reference names: one per reference
 * (process handles carry no object here); freed with that reference. */
struct linux_procobj {
	kmemu_pid pid;              /* the process */
};

/* A system-space view (MmMapViewInSystemSpace): the section's memfd mapped
 * in the host from offset 0, standing for the kernel's mapping, as WDS
 * buffers' kernel views do. */
struct linux_kview {
	struct linux_kview *next;   /* m->kviews */
	struct linux_section *sec;  /* one reference */
	uint8_t *addr;              /* 64 KiB aligned */
	uint64_t npages;            /* pages mapped */
	int prot;                   /* PROT_* of committed pages */
};

/* One outstanding ObReferenceObjectByHandle reference (or several on one
 * section body). */
struct linux_obref {
	void *obj;                  /* a struct linux_section or linux_procobj */
	int is_section;             /* which */
	uint32_t count;             /* references on @obj */
};

struct linux_slot {
	struct linux_buffer *buf;   /* live buffer, or NULL */
	uint32_t gen;               /* generation: bumped when the slot dies */
};

struct linux_machine {
	pthread_mutex_t lock;        /* guards everything below */
	uint64_t serial;             /* unique per instance: key of the attachment TLS */
	uint64_t caps;               /* capabilities found at open */
	pid_t owner;                 /* the host: the process that opened the instance */
	struct linux_proc *procs;    /* every live process, initial included */
	struct linux_proc *initial;  /* the host */
	struct linux_slot *slots;    /* global handle table */
	uint32_t n_slots;            /* slots allocated */
	uint32_t slots_used;         /* live handles */
	uint32_t slot_hint;          /* lowest possibly free slot */
	uint64_t frames_total;       /* pages the backend may lock (budget at open) */
	uint64_t frames_used;        /* 4 KiB pages held by live buffers */
	uint64_t n_buffers;          /* live buffers */
	uint64_t n_mappings;         /* kernel views + holdings */
	uint64_t n_processes;        /* live processes, initial included */
	int has_hugetlb;             /* a 2 MiB huge page could be had at open */
	int has_pfn;                 /* /proc/self/pagemap shows PFNs */
	struct linux_section *named; /* section.c: the namespace */
	struct linux_view *views;    /* section.c: every view of every process */
	uint64_t section_pages;      /* committed section pages (stats frames_used) */
	uint64_t n_views;            /* views (stats mappings) */
	uint64_t n_handles;          /* object handles of all processes (stats) */
	int has_uring;               /* mdl.c: io_uring pins locked pages (else mlock2) */
	struct linux_mdl *mdls;      /* mdl.c: live locks */
	uint64_t n_mdls;             /* live locks */
	/* mdl.c: the addresses of unlocked revoked aliases, kept reserved
	 * (PROT_NONE) so a late touch is still reported; a ring, oldest
	 * given back first */
	struct linux_mdl_reserved mdl_quarantine[LINUX_MDL_QUARANTINE];
	unsigned mdl_quarantine_next; /* the slot the next one takes */
	struct linux_kview *kviews;  /* section.c: system-space views */
	uint64_t n_kviews;           /* their count (stats mappings) */
	struct linux_obref *obrefs;  /* section.c: outstanding kernel references */
	size_t n_obrefs;             /* entries used */
	size_t cap_obrefs;           /* entries allocated */
};

void linux_lock(struct linux_machine *m);
void linux_unlock(struct linux_machine *m);
/* The calling thread's process (the initial one unless attached).  Lock held. */
struct linux_proc *linux_current_process(struct linux_machine *m);
/* Map @buf into @p: in the host directly, in an agent by request (plus the
 * host alias).  *@out receives the address.  Return: a WD status.  Lock held. */
uint32_t linux_map_into(struct linux_machine *m, struct linux_proc *p,
			struct linux_buffer *buf, uint8_t **out);
/* Undo linux_map_into().  Lock held. */
void linux_unmap_from(struct linux_machine *m, struct linux_proc *p,
		      struct linux_buffer *buf, uint8_t *addr);
/* PFN of the page at @addr in process @pid (0 = the host).
 * Return: an NTSTATUS (STATUS_NOT_SUPPORTED without PFNs). */
kmemu_status linux_pagemap_pfn(pid_t pid, const void *addr, uint64_t *pfn);

/* ==== wds.c: WDS_SharedBuffer* kernel half =================================== */

DWORD linux_wds_alloc(void *st, WD_KERNEL_BUFFER *kb);
DWORD linux_wds_get(void *st, WD_KERNEL_BUFFER *kb);
DWORD linux_wds_free(void *st, WD_KERNEL_BUFFER *kb);
/* Drop every holding of @p, freeing their descriptions (process exit).
 * Lock held. */
void linux_wds_release_process(struct linux_machine *m, struct linux_proc *p);
/* The buffer whose kernel view holds [addr, addr + len) in one piece, or
 * NULL.  Lock held. */
struct linux_buffer *linux_wds_kernel_find(struct linux_machine *m, uint64_t addr, uint64_t len);
/* 1 when [addr, addr + len) overlaps a kernel view or the host alias of an
 * agent's holding (addresses that are not the host process's own).  Lock held. */
int linux_wds_foreign(struct linux_machine *m, uint64_t addr, uint64_t len);
/* Invariants of the buffer and handle tables: 1 if they hold, else 0 and
 * *@msg says which broke.  Lock held. */
int linux_wds_check(struct linux_machine *m, const char **msg);
/* Free the handle table. */
void linux_wds_fini(struct linux_machine *m);

/* ==== section.c: sections and views =========================================== */

struct linux_section {
	uint32_t refs;              /* handles + views */
	uint32_t handle_count;      /* handles: the name goes with the last */
	int memfd;                  /* the pages, owned */
	uint64_t size;              /* bytes, page multiple */
	uint64_t npages;            /* size / page */
	uint8_t *committed;         /* SEC_RESERVE: 1 per committed page; NULL for SEC_COMMIT */
	uint64_t n_committed;       /* committed pages */
	void *charge;               /* SEC_COMMIT: the commit charge (accounted reservation) */
	uint32_t protect;           /* SectionPageProtection */
	uint32_t attributes;        /* AllocationAttributes */
	uint16_t *name;             /* UTF-16 name or NULL */
	size_t name_len;            /* units */
	int is_named;               /* in m->named */
	struct linux_section *next_named; /* namespace link */
};

struct linux_view {
	struct linux_view *next;    /* m->views */
	struct linux_proc *proc;    /* the process mapping it */
	struct linux_section *sec;  /* one reference */
	uint8_t *addr;              /* base in @proc, 64 KiB aligned */
	uint64_t first_page;        /* section page at @addr */
	uint64_t npages;            /* pages */
	int prot;                   /* PROT_* of committed pages */
	int is_private;             /* MAP_PRIVATE (copy on write) */
	uint32_t protect;           /* Win32Protect */
	uint32_t inherit;           /* ViewShare / ViewUnmap */
	int host_res;               /* an agent's view: the host holds a PROT_NONE
				     * mapping at @addr, so no two processes' views
				     * share an address (as in the emulator) */
};

kmemu_status linux_section_create(void *st, const struct kmemu_section_create_args *a,
				  uintptr_t *handle);
kmemu_status linux_section_open(void *st, uint32_t access, const uint16_t *name, size_t name_len,
				uint32_t obj_attributes, uintptr_t *handle);
kmemu_status linux_section_map(void *st, struct kmemu_section_map_args *a);
kmemu_status linux_section_unmap(void *st, uintptr_t process, uintptr_t base);
kmemu_status linux_section_map_ex(void *st, struct kmemu_section_map_args *a, uint64_t highest);
kmemu_status linux_section_unmap_ex(void *st, uintptr_t process, uintptr_t base, uint32_t flags);
kmemu_status linux_views_same(void *st, uintptr_t addr1, uintptr_t addr2);
kmemu_status linux_section_query(void *st, uintptr_t section, int cls, void *buf, size_t len,
				 size_t *ret_len);
kmemu_status linux_handle_close(void *st, uintptr_t handle);
kmemu_status linux_process_open(void *st, kmemu_pid pid, uint32_t access, uintptr_t *handle);
kmemu_status linux_view_query(void *st, kmemu_pid pid, const void *addr,
			      struct kmemu_view_info *out);
/* Map @parent's ViewShare views into the new agent @child.  Lock held.
 * Return: STATUS_SUCCESS or a failure (the caller destroys @child). */
kmemu_status linux_section_inherit(struct linux_machine *m, struct linux_proc *parent,
				   struct linux_proc *child);
/* Process exit: close @p's handles, drop its views.  Lock held. */
void linux_section_release_process(struct linux_machine *m, struct linux_proc *p);
kmemu_status linux_ob_reference(void *st, uintptr_t handle, uint32_t access, int type,
				int check_access, void **object, uint32_t *granted);
kmemu_status linux_ob_dereference(void *st, void *object, int64_t *left);
kmemu_status linux_section_map_system(void *st, void *section, uint64_t *view_size, void **base);
kmemu_status linux_section_unmap_system(void *st, void *base);
/* End of the accessible run of a system view holding @addr, or 0.  Lock held. */
uint64_t linux_section_kernel_span(struct linux_machine *m, uint64_t addr, int write);
/* 1 when [@addr, @addr + @len) overlaps a system view.  Lock held. */
int linux_section_kview_overlaps(struct linux_machine *m, uint64_t addr, uint64_t len);
/* Instance close: system views and leaked kernel references go.  Lock held. */
void linux_section_release_kernel(struct linux_machine *m);
/* Invariants of sections and views.  Lock held. */
int linux_section_check(struct linux_machine *m, const char **msg);

/* ==== mdl.c: locked user ranges (KMDF ProbeAndLock, direct I/O) ============== */

/* 1 when io_uring can pin pages here (probed at open, no fault hook). */
int linux_mdl_probe_uring(void);
kmemu_status linux_mdl_probe_lock(void *st, uint64_t uaddr, size_t len, int write,
				  void **kernel_alias, void **lock);
kmemu_status linux_mdl_unlock(void *st, void *lock);
kmemu_status linux_mdl_revoke(void *st, void *lock, const struct kmemu_mdl_report *r);
/* Instance close: unlock everything, release the quarantine.  Lock held. */
void linux_mdl_release_all(struct linux_machine *m);
/* Invariants of the locks.  Lock held. */
int linux_mdl_check(struct linux_machine *m, const char **msg);

#endif /* KMEMU_REAL_LINUX_H */
