/* SPDX-License-Identifier: MIT */
/*
 * core.h - internal interfaces shared by api/, emu/ and real/ backends.
 *
 * A table of contents of the cross-file (kmemu__) functions, by file.  The
 * choke points live here: every heap block, every acquiring host syscall and
 * (through the backends) every frame and handle goes through
 * kmemu__fault_should_fail(), so a test can fail any acquisition.
 */
#ifndef KMEMU_API_CORE_H
#define KMEMU_API_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <kmemu/kmemu.h>
#include <kmemu/backend.h>

/* printf-style format checking: mingw-w64 builds use its C99 stdio
 * (__USE_MINGW_ANSI_STDIO), whose formats are GNU's, not msvcrt's. */
#if defined(_WIN32) && defined(__GNUC__)
#define KMEMU__PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#elif defined(__GNUC__)
#define KMEMU__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KMEMU__PRINTF(fmt, args)
#endif

/* Can't-happen conditions: checked normally, constant under coverage builds
 * so defensive branches do not count against branch coverage. */
#ifdef KMEMU_COVERAGE
#define ALWAYS(x) (1)
#define NEVER(x) (0)
#else
#define ALWAYS(x) (!!(x))
#define NEVER(x) (!!(x))
#endif

#define KMEMU_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fault.c: fault simulator and heap choke point ---------------------- */

/* 1 if this acquisition of @resource (KMEMU_FAULT_*) must fail; counts it. */
int kmemu__fault_should_fail(unsigned resource);
/* Counted, failable heap.  kmemu__free(NULL) is a no-op. */
void *kmemu__malloc(size_t size);
void *kmemu__calloc(size_t n, size_t size);
void *kmemu__realloc(void *p, size_t size);
void kmemu__free(void *p);
char *kmemu__strdup(const char *s);
/* Live heap blocks and bytes. */
void kmemu__heap_stats(uint64_t *blocks, uint64_t *bytes);

/* ---- fault.c: host syscall choke points (Linux builds only) -------------- */
/* Acquiring syscalls can be failed (errno = ENOMEM / EMFILE); releasing ones
 * (munmap, close, punch) never are, so teardown paths always complete. */
void *kmemu__sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int kmemu__sys_munmap(void *addr, size_t len);
int kmemu__sys_memfd_create(const char *name, unsigned flags);
int kmemu__sys_ftruncate(int fd, off_t len);
int kmemu__sys_punch(int fd, off_t off, off_t len);
int kmemu__sys_close(int fd);

/* ---- bugcheck.c ----------------------------------------------------------- */
/* Report a bug check to the handler.  Returns only when a handler returned
 * (report-and-continue); the caller then fails the API.
 * Context: no backend lock held (a handler may unwind). */
void kmemu__bugcheck(const char *function, const char *detail, uint32_t code, uintptr_t p1,
		     uintptr_t p2, uintptr_t p3, uintptr_t p4);

/* ---- backend.c ------------------------------------------------------------ */
struct kmemu_backend {
	const struct kmemu_backend_ops *ops;  /* the backend's table */
	void *st;                             /* its instance state */
	int is_implicit;                      /* opened by the library, closed by it */
	uint64_t caps;                        /* ops->caps less what ->open found lacking */
	/* Backend-neutral frameworks keep their per-instance state here, made
	 * on first use; kmemu_backend_close() calls the close hook of each
	 * before the backend's ->close (drivers unload before the machine goes). */
	void *wdf;                            /* KMDF state (api/wdf/), or NULL */
	void (*wdf_close)(struct kmemu_backend *b);  /* tears ->wdf down */
	void *flt;                            /* Filter Manager state (api/flt/), or NULL */
	void (*flt_close)(struct kmemu_backend *b);  /* tears ->flt down */
	int verifier;                         /* cfg->verifier at open: the KMDF drivers' default */
};
/* The current instance, opened on first use; NULL if opening failed. */
struct kmemu_backend *kmemu__current(void);
/* The emulator's ops table (emu/machine.c). */
extern const struct kmemu_backend_ops kmemu__emu_ops;
/* The linux backend's ops table (real/linux/machine.c). */
extern const struct kmemu_backend_ops kmemu__linux_ops;
/* The nt backend's ops table (real/nt/nt.c; Windows builds only). */
extern const struct kmemu_backend_ops kmemu__nt_ops;
/* The name of the default backend: "emu" on Linux, "nt" on Windows. */
#ifdef _WIN32
#define KMEMU__DEFAULT_BACKEND "nt"
#else
#define KMEMU__DEFAULT_BACKEND "emu"
#endif

/* ---- section_rules.c: pure section rules every backend applies ---------- */
/* Size rules of ZwCreateSection (P4, SECTION_TOO_BIG, SEC_RESERVE limit). */
kmemu_status kmemu__section_size_rule(const struct kmemu_section_create_args *a, uint64_t *npages);
/* 1 when [addr, addr + len) leaves the user range. */
int kmemu__section_user_range_bad(uint64_t addr, uint64_t len);
/* 1 when a view of @view_size at @base would end above the user range (P3). */
int kmemu__section_view_too_big(uint64_t base, uint64_t view_size);
/* Step 6: ZeroBits -> *@last (UINTPTR_MAX for 0); P4 when invalid. */
kmemu_status kmemu__section_zero_bits(uint64_t zero_bits, uintptr_t base, uint64_t view_size,
				      uintptr_t *last);
/* Object-manager name equality (ASCII case folded when @ci). */
int kmemu__section_name_eq(const uint16_t *a, size_t an, const uint16_t *b, size_t bn, int ci);
/* Steps 5-6 of a map: P3, P4; *@last the ZeroBits limit. */
kmemu_status kmemu__section_map_range(const struct kmemu_section_map_args *a, int base_in_kernel,
				      uintptr_t *last);
/* Steps 9-12 of a map: alignment, MEM_RESERVE, protection, view size, placeholders. */
kmemu_status kmemu__section_map_fit(const struct kmemu_section_map_args *a, uint32_t sec_protect,
				    uint64_t sec_size, uint64_t *npages);
/* Steps 11-12: INVALID_VIEW_SIZE, P5; *@npages the view's pages. */
kmemu_status kmemu__section_view_size(uint64_t sec_size, uint64_t offset, uint64_t view_size,
				      uint64_t commit_size, uint64_t *npages);
/* PROT_* of a Win32Protect; *@is_private for copy on write. */
int kmemu__section_host_prot(uint32_t protect, int *is_private);
/* PROT_* of a system-space view of a @sec_protect section. */
int kmemu__section_kernel_prot(uint32_t sec_protect);
/* MmMapViewInSystemSpace's size rule: INVALID_VIEW_SIZE; *@npages. */
kmemu_status kmemu__section_system_size(uint64_t sec_size, uint64_t view_size, uint64_t *npages);
/* What an address is for NtAreMappedFilesTheSame, and the answer for two. */
#define KMEMU__ADDR_VIEW 0      /* a view of the current process */
#define KMEMU__ADDR_MAPPED 1    /* memory of the process that is no view */
#define KMEMU__ADDR_UNMAPPED 2  /* nothing of the process */
kmemu_status kmemu__section_views_same(int class1, int class2, int same);
/* SECTION_MAP_* access a Win32Protect needs. */
uint32_t kmemu__section_access_for(uint32_t protect);
/* 1 when view protection @protect is allowed on a @sec_protect section. */
int kmemu__section_protect_compatible(uint32_t sec_protect, uint32_t protect);

/* The protection a view reports (the section's cache type wins). */
uint32_t kmemu__section_view_protect(uint32_t protect, uint32_t attributes);
/* NtQuerySection's answer for a checked handle. */
kmemu_status kmemu__section_basic_info(int cls, void *buf, size_t len, size_t *ret_len,
				       uint32_t attributes, uint64_t size);
/* NtMapViewOfSectionEx's extended parameters (spec §5); *@highest the limit or 0.
 * @p is a MEM_EXTENDED_PARAMETER array (<wdm.h>). */
struct MEM_EXTENDED_PARAMETER;
kmemu_status kmemu__section_ex_params(const struct MEM_EXTENDED_PARAMETER *p, uint32_t count,
				      uintptr_t base, uint64_t *highest);
/* 1 when NtUnmapViewOfSectionEx's @flags has an unknown bit. */
int kmemu__section_unmap_ex_flags_bad(uint32_t flags);

/* ---- mdl_revoke.c: revoked kernel aliases (POSIX backends) ---------------- */
/* Make [@start, @start + @len) (page aligned, the caller's mapping)
 * PROT_NONE; a touch is bug check @r with p3 = the address, then the
 * access completes.  STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES (no
 * report slot: the range stays accessible). */
kmemu_status kmemu__mdl_revoke_range(void *start, size_t len, const struct kmemu_mdl_report *r);
/* The lock of the revoked range at @start is gone; the caller keeps the
 * addresses reserved PROT_NONE and they stay reported while a slot allows. */
void kmemu__mdl_revoke_quarantine(const void *start);
/* Stop reporting every revoked range starting in [@lo, @hi). */
void kmemu__mdl_revoke_forget(uintptr_t lo, uintptr_t hi);

/* ---- ptrset.c: a set of live pointers ------------------------------------- */
/* An open-addressing hash set of non-NULL pointers (linear probing,
 * backward-shift deletion, power-of-two capacity kept at most half full),
 * its slots on the counted heap.  The frameworks keep their live objects in
 * one so a pointer from driver code is looked up, never dereferenced
 * blindly.  No locking inside: the caller serialises every call on a set.
 * A zeroed struct is an empty set. */
struct kmemu__ptrset {
	void **slots;        /* cap entries, NULL = free */
	size_t cap;          /* 0 or a power of two */
	size_t live;         /* pointers in the set */
};
/* Add @p (non-NULL, not in the set): 0, or -1 when the slots cannot grow
 * (the set is unchanged). */
int kmemu__ptrset_add(struct kmemu__ptrset *s, void *p);
/* 1 when @p is in the set (0 for NULL). */
int kmemu__ptrset_has(const struct kmemu__ptrset *s, const void *p);
/* Remove @p; nothing when it is not in the set.  Never allocates; frees
 * the slots when the set becomes empty. */
void kmemu__ptrset_del(struct kmemu__ptrset *s, const void *p);
/* Free the slots; the set is empty again. */
void kmemu__ptrset_fini(struct kmemu__ptrset *s);
/* The next pointer at or after slot *@pos (start at 0), *@pos past it; NULL
 * at the end.  Valid while the set is not changed. */
void *kmemu__ptrset_next(const struct kmemu__ptrset *s, size_t *pos);

/* ---- prng ----------------------------------------------------------------- */
/* splitmix64 step: deterministic, seedable. */
static inline uint64_t kmemu__prng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

#endif /* KMEMU_API_CORE_H */
