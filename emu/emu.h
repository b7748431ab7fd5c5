/* SPDX-License-Identifier: MIT */
/*
 * emu.h - internal structures and functions of the reference emulator.
 *
 * A table of contents, file by file.  The machine (machine.c) owns one memfd
 * that is the simulated RAM; physmem.c hands out its page frames with a buddy
 * allocator; vm.c maps frames into reserved host address ranges (the kernel's
 * vmalloc area and each emulated process's user space) with
 * mmap(MAP_SHARED|MAP_FIXED), so every alias of a frame is real; object.c and
 * handle.c are the object header and handle tables; process.c the emulated
 * processes; wds.c the WinDriver shared buffers.
 *
 * Locking: one mutex per machine (struct emu_machine.lock) guards all of it.
 * Functions here expect it held unless they say otherwise.
 */
#ifndef KMEMU_EMU_H
#define KMEMU_EMU_H

#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include "../api/core.h"

#define EMU_PAGE_SHIFT 12
#define EMU_PAGE_SIZE (1ull << EMU_PAGE_SHIFT)
#define EMU_ALLOC_GRANULARITY 0x10000ull  /* user views start on 64 KiB boundaries */
#define PHYS_MAX_ORDER 30                   /* largest buddy block: 2^30 frames */
#define FRAME_NONE UINT32_MAX

/* ==== physmem.c: buddy allocator over the RAM's frames ===================== */

struct phys_frame {
	uint32_t next;     /* free list link (head frames only), FRAME_NONE ends */
	uint32_t prev;     /* free list link (head frames only) */
	uint8_t order;     /* block order (head frames of free blocks only) */
	uint8_t is_free;   /* 1 = head of a free block */
	uint8_t is_reserved; /* held by the "system" (frame 0, fragmentation) */
	uint8_t in_request;  /* scratch: taken by the alloc_pages call being served */
	uint8_t free_deferred; /* freed by its owner while pinned: freed at the last unpin */
	uint32_t pins;       /* locks (mdl.c) holding the frame; a pinned frame is not freed */
};

struct physmem {
	uint64_t n_frames;                       /* frames of RAM */
	unsigned max_order;                      /* largest order that fits */
	struct phys_frame *frames;               /* one per frame */
	uint32_t free_head[PHYS_MAX_ORDER + 1];  /* free list heads per order */
	uint64_t n_free[PHYS_MAX_ORDER + 1];     /* blocks on each list */
	uint64_t frames_used;                    /* allocated to callers */
	uint64_t frames_reserved;                /* held by the system */
	enum kmemu_placement placement;          /* policy */
	uint64_t *prng;                          /* the machine's PRNG state */
	int memfd;                               /* RAM, for zeroing freed frames */
};

kmemu_status physmem_init(struct physmem *pm, uint64_t n_frames, enum kmemu_placement placement,
			  unsigned fragment_order, uint64_t *prng, int memfd);
void physmem_fini(struct physmem *pm);
kmemu_status physmem_alloc_contig(struct physmem *pm, uint64_t npages, uint32_t *first);
kmemu_status physmem_alloc_pages(struct physmem *pm, uint64_t npages, uint32_t *pfns);
void physmem_free_run(struct physmem *pm, uint32_t first, uint64_t npages);
void physmem_free_pages(struct physmem *pm, const uint32_t *pfns, uint64_t npages);
uint64_t physmem_largest_free_order(const struct physmem *pm);
int physmem_check(const struct physmem *pm, const char **msg);
/* Pin a held frame: a free of it is deferred until the last unpin. */
void physmem_pin(struct physmem *pm, uint32_t pfn);
/* Drop a pin; frees (and zeroes) the frame if its owner freed it meanwhile. */
void physmem_unpin(struct physmem *pm, uint32_t pfn);

/* ==== vm.c: reserved host address ranges and the areas mapped in them ====== */

struct vm_area {
	uint64_t start;          /* byte offset from the space's base */
	uint64_t npages;         /* pages mapped */
	const uint32_t *pfns;    /* frame of each page (owned by the area's user) */
	void *owner;             /* the object the area belongs to */
};

struct vm_space {
	uint8_t *base;           /* first byte of the reservation */
	uint64_t size;           /* bytes reserved */
	uint64_t align;          /* alignment of new areas (bytes, power of 2) */
	uint64_t guard;          /* unmapped bytes kept after each area */
	struct vm_area *areas;   /* sorted by start, non-overlapping */
	size_t n_areas;          /* used entries */
	size_t cap_areas;        /* allocated entries */
	int memfd;               /* RAM */
};

kmemu_status vm_space_init(struct vm_space *vs, uint64_t size, uint64_t align, uint64_t guard,
			   int memfd);
void vm_space_fini(struct vm_space *vs);
kmemu_status vm_map(struct vm_space *vs, const uint32_t *pfns, uint64_t npages, void *owner,
		    void **addr);
kmemu_status vm_unmap(struct vm_space *vs, void *addr);
const struct vm_area *vm_lookup(const struct vm_space *vs, const void *addr);
int vm_contains(const struct vm_space *vs, const void *addr);
int vm_check(const struct vm_space *vs, uint64_t n_frames, const char **msg);
int vm_find_free(const struct vm_space *vs, uint64_t bytes, int top_down, uintptr_t last,
		 uint64_t *start);
int vm_range_free(const struct vm_space *vs, uint64_t start, uint64_t bytes);
kmemu_status vm_insert(struct vm_space *vs, uint64_t start, uint64_t npages, const uint32_t *pfns,
		       void *owner);
kmemu_status vm_forget(struct vm_space *vs, void *addr);
void vm_space_fini_keep(struct vm_space *vs);

/* ==== object.c: the common object header =================================== */

struct kmemu_obj;
struct kmemu_obj_ops {
	const char *type_name;                 /* "WdsBuffer", "Section" ... */
	void (*destroy)(struct kmemu_obj *obj);  /* frees the object; tolerates half-built ones */
};

struct kmemu_obj {
	const struct kmemu_obj_ops *ops;  /* type: compared by pointer */
	uint32_t refcount;                /* references; destroyed at 0 */
	uint32_t handle_count;            /* handles naming it */
};

void kmemu_obj_init(struct kmemu_obj *obj, const struct kmemu_obj_ops *ops);
void kmemu_obj_ref(struct kmemu_obj *obj);
void kmemu_obj_unref(struct kmemu_obj *obj);

/* ==== handle.c: handle tables ============================================== */

enum handle_encoding {
	HANDLE_ENC_NT = 0,      /* (index + 1) << 2: multiples of 4, 0 invalid */
	HANDLE_ENC_GLOBAL = 1   /* generation << 20 | (index + 1): stale values fail */
};

struct handle_entry {
	struct kmemu_obj *obj;  /* NULL = free slot */
	uint32_t access;        /* granted access mask */
	uint16_t gen;           /* reuse generation (GLOBAL encoding) */
};

struct handle_table {
	struct handle_entry *entries;  /* slots */
	uint32_t cap;                  /* allocated slots */
	uint32_t used;                 /* live handles */
	uint32_t free_hint;            /* no free slot below this index */
	uint32_t last_used;            /* one past the highest live slot */
	uint32_t max;                  /* slot limit */
	enum handle_encoding enc;      /* value encoding */
};

void handle_table_init(struct handle_table *t, enum handle_encoding enc, uint32_t max);
void handle_table_fini(struct handle_table *t);
kmemu_status handle_alloc(struct handle_table *t, struct kmemu_obj *obj, uint32_t access,
			  uint32_t *out);
kmemu_status handle_lookup(struct handle_table *t, uint32_t h, const struct kmemu_obj_ops *type,
			   uint32_t access, struct kmemu_obj **out);
kmemu_status handle_close(struct handle_table *t, uint32_t h);
uint32_t handle_granted(const struct handle_table *t, uint32_t h);
int handle_table_check(const struct handle_table *t, const char **msg);

/* ==== process.c: emulated processes ======================================== */

struct wds_hold;
struct section_view;

struct emu_process {
	kmemu_pid pid;              /* id, multiple of 4 */
	char *name;                 /* label for reports */
	struct vm_space user;       /* user address space */
	struct handle_table handles; /* NT handle table */
	struct wds_hold **holds;    /* shared buffers this process holds */
	size_t n_holds;             /* used entries */
	size_t cap_holds;           /* allocated entries */
	struct section_view **views; /* section views mapped in this process, by address */
	size_t n_views;             /* used entries */
	size_t cap_views;           /* allocated entries (never shrinks) */
	int is_initial;             /* the process the machine starts with */
	struct emu_process *next;   /* machine's process list */
};

/* ==== machine.c ============================================================ */

/* A reference ObReferenceObjectByHandle handed out and ObDereferenceObject
 * has not dropped yet (kernel-side references, per object). */
struct emu_obref {
	struct kmemu_obj *obj;         /* holds @count references */
	uint64_t count;                /* references outstanding */
};

struct emu_machine {
	pthread_mutex_t lock;          /* guards everything below */
	struct kmemu_config cfg;       /* as opened */
	int memfd;                     /* the RAM */
	uint64_t ram_bytes;            /* RAM size, page multiple */
	uint64_t prng;                 /* placement PRNG */
	struct physmem pm;             /* frame allocator */
	uint8_t *kbase;                /* kernel space: direct map, then vmalloc */
	uint64_t ksize;                /* bytes reserved for kernel space */
	struct vm_space vmalloc;       /* kernel vmalloc-like area */
	struct handle_table wds_handles; /* global WinDriver buffer handles */
	struct emu_process *procs;     /* live processes */
	struct emu_process *initial;   /* first process */
	uint32_t next_pid;             /* next pid to hand out */
	uint64_t n_wds;                /* live shared buffers */
	uint64_t n_mappings;           /* live user + vmalloc mappings */
	uint64_t serial;               /* unique per host process once a thread attached; 0 before */
	struct emu_section *named;     /* named sections (the namespace), newest first */
	uint64_t n_sections;           /* live section objects */
	uintptr_t mmap_min;            /* lowest host address a low claim may use (64 KiB aligned) */
	struct emu_section *sections;  /* every live section (object pointers are checked against it) */
	struct section_view **kviews;  /* system-space views (MmMapViewInSystemSpace), in vmalloc */
	size_t n_kviews;               /* used entries */
	size_t cap_kviews;             /* allocated entries (freed when empty) */
	struct emu_obref *obrefs;      /* kernel references by handle, unsorted */
	size_t n_obrefs;               /* used entries */
	size_t cap_obrefs;             /* allocated entries (freed when empty) */
	struct emu_mdl *mdls;          /* locked user ranges (mdl.c), newest first */
	uint64_t n_mdls;               /* live locks */
};

void emu_lock(struct emu_machine *m);
void emu_unlock(struct emu_machine *m);
/* The calling thread's process on @m (initial if not attached). */
struct emu_process *emu_current_process(struct emu_machine *m);
struct emu_process *emu_process_find(struct emu_machine *m, kmemu_pid pid);
kmemu_status emu_process_new(struct emu_machine *m, const char *name, struct emu_process **out);
void emu_process_free(struct emu_machine *m, struct emu_process *p);
kmemu_pid emu_tls_pid(struct emu_machine *m);
void emu_tls_set_pid(struct emu_machine *m, kmemu_pid pid);
/* Kernel direct-map address of a frame. */
static inline void *emu_direct(struct emu_machine *m, uint32_t pfn)
{
	return m->kbase + ((uint64_t)pfn << EMU_PAGE_SHIFT);
}
int emu_is_direct(const struct emu_machine *m, const void *addr);

/* ==== section.c ============================================================ */

struct emu_section;
kmemu_status emu_section_create(void *st, const struct kmemu_section_create_args *a,
				uintptr_t *handle);
kmemu_status emu_section_open(void *st, uint32_t access, const uint16_t *name, size_t name_len,
			      uint32_t obj_attributes, uintptr_t *handle);
kmemu_status emu_section_map(void *st, struct kmemu_section_map_args *a);
kmemu_status emu_section_unmap(void *st, uintptr_t process, uintptr_t base);
kmemu_status emu_section_map_ex(void *st, struct kmemu_section_map_args *a, uint64_t highest);
kmemu_status emu_section_unmap_ex(void *st, uintptr_t process, uintptr_t base, uint32_t flags);
kmemu_status emu_views_same(void *st, uintptr_t addr1, uintptr_t addr2);
kmemu_status emu_section_query(void *st, uintptr_t section, int cls, void *buf, size_t len,
			       size_t *ret_len);
kmemu_status emu_handle_close(void *st, uintptr_t handle);
kmemu_status emu_process_open(void *st, kmemu_pid pid, uint32_t access, uintptr_t *handle);
kmemu_status emu_process_create_child(void *st, kmemu_pid parent, const char *name,
				      kmemu_pid *out);
kmemu_status emu_view_query(void *st, kmemu_pid pid, const void *addr, struct kmemu_view_info *out);
/* Close every handle of @p and unmap every view of @p (process exit). */
void emu_section_release_process(struct emu_machine *m, struct emu_process *p);
/* Before @p's reservation goes: hand views other processes inherited from @p
 * over to them (their host pages stay).  Then vm_space_fini_keep(). */
void emu_section_orphan_process(struct emu_machine *m, struct emu_process *p);
kmemu_status emu_ob_reference(void *st, uintptr_t handle, uint32_t access, int type,
			      int check_access, void **object, uint32_t *granted);
kmemu_status emu_ob_dereference(void *st, void *object, int64_t *left);
kmemu_status emu_section_map_system(void *st, void *section, uint64_t *view_size, void **base);
kmemu_status emu_section_unmap_system(void *st, void *base);
/* Machine close: unmap every system-space view, drop every kernel reference. */
void emu_section_release_kernel(struct emu_machine *m);
/* Frame behind @addr in a section view of @p, or FRAME_NONE. */
uint32_t emu_section_frame_of(struct emu_process *p, const void *addr);
/* 1 if @owner (an area of @p's user space) is a section map @p has no view
 * of (a ViewShare map kept for a child after @p unmapped its view). */
int emu_section_area_hidden(struct emu_machine *m, const struct emu_process *p, const void *owner);
/* Invariants of views and their mappings (1 = hold). */
int emu_section_check(struct emu_machine *m, const char **msg);

/* Win32Protect of the view of @p containing @addr, or 0 when @addr is in
 * no section view (a shared-buffer mapping: read/write). */
uint32_t emu_section_protect_of(struct emu_process *p, const void *addr);

/* What a process itself may do with one mapped, committed page of its user
 * space (its view's protection; shared-buffer mappings are read/write). */
enum emu_page_access {
	EMU_PAGE_NONE,   /* PAGE_NOACCESS, PAGE_GUARD: no access */
	EMU_PAGE_READ,   /* read only (READONLY, EXECUTE, EXECUTE_READ) */
	EMU_PAGE_WRITE,  /* read and write the shared page */
	EMU_PAGE_COPY,   /* read, and write a private copy (the WRITECOPY kinds) */
};
enum emu_page_access emu_page_access(struct emu_process *p, const void *addr);

/* ==== mdl.c: locked user ranges (MmProbeAndLockPages + a system mapping) === */

struct emu_mdl;
kmemu_status emu_mdl_probe_lock(void *st, uint64_t uaddr, size_t len, int write,
				void **kernel_alias, void **lock);
kmemu_status emu_mdl_unlock(void *st, void *lock);
kmemu_status emu_mdl_revoke(void *st, void *lock, const struct kmemu_mdl_report *r);
/* Machine close: unlock every range. */
void emu_mdl_release_all(struct emu_machine *m);
/* Invariants of the locks (1 = hold). */
int emu_mdl_check(struct emu_machine *m, const char **msg);

/* ==== wds.c ================================================================ */

DWORD emu_wds_alloc(void *st, WD_KERNEL_BUFFER *kb);
DWORD emu_wds_get(void *st, WD_KERNEL_BUFFER *kb);
DWORD emu_wds_free(void *st, WD_KERNEL_BUFFER *kb);
/* Drop every holding of @p (process exit). */
void emu_wds_release_process(struct emu_machine *m, struct emu_process *p);
int emu_wds_check(struct emu_machine *m, const char **msg);

#endif /* KMEMU_EMU_H */
