/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the one seam: the versioned ops table every backend fills.
 *
 * The Windows-named functions and the kmemu_* control functions validate
 * what no kernel can check (NULL out-pointers, option bits) once, in api/,
 * then call a slot of the current instance's ops table.  A backend never
 * sees a NULL out-pointer.  Rules for every slot:
 *   - @st is the backend's own state from ->open().
 *   - A slot returns 0 / STATUS_SUCCESS / WD_STATUS_SUCCESS on success and
 *     leaves its outputs untouched on failure unless it says otherwise.
 *   - Slots are only ever appended; ->version says how many are valid.
 *     A slot a backend cannot serve is filled with a function that returns
 *     STATUS_NOT_SUPPORTED (or WD_NOT_IMPLEMENTED), never left NULL, and the
 *     matching KMEMU_CAP_* bit is clear.
 *   - The api layer holds no lock while calling a slot; the backend does
 *     its own locking.
 */
#ifndef KMEMU_BACKEND_H
#define KMEMU_BACKEND_H

#include <kmemu/kmemu.h>
#include <windrvr.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KMEMU_BACKEND_VERSION 1

/* Capabilities a backend declares.  Conformance cases name the ones they need. */
#define KMEMU_CAP_WDS            (1ull << 0)   /* WDS_SharedBuffer* */
#define KMEMU_CAP_PHYS           (1ull << 1)   /* virt -> phys for any mapped page */
#define KMEMU_CAP_CONTIG         (1ull << 2)   /* CONTIG buffers are really contiguous */
#define KMEMU_CAP_MULTI_PROCESS  (1ull << 3)   /* several processes (emulated or real) */
#define KMEMU_CAP_IRQL           (1ull << 4)   /* per-thread IRQL, checked */
#define KMEMU_CAP_BUGCHECK       (1ull << 5)   /* bug checks reported to the handler */
#define KMEMU_CAP_FAULT_INJECT   (1ull << 6)   /* every acquisition can be failed */
#define KMEMU_CAP_KERNEL_ACCESS  (1ull << 7)   /* kernel_read/kernel_write */
#define KMEMU_CAP_CHECKERS       (1ull << 8)   /* invariant checkers */
#define KMEMU_CAP_PLACEMENT      (1ull << 9)   /* placement policies (scatter ...) */
#define KMEMU_CAP_VERIFIER       (1ull << 10)  /* WDF / Driver Verifier behaviour */

/* Human-readable name of one capability bit, or NULL. */
const char *kmemu_cap_name(uint64_t cap);

struct kmemu_backend_ops {
	int version;                     /* KMEMU_BACKEND_VERSION the table was built for */
	const char *name;                /* "emu", "linux", "kmod", "nt" */
	const char *description;         /* one line for --list and reports */
	uint64_t caps;                   /* KMEMU_CAP_* */
	void *app_data;                  /* backend-global data, passed back in open */

	/* ---- instance lifetime ---------------------------------------------- */
	/* Create an instance for @cfg (never NULL) into *@st.  Statuses: as
	 * kmemu_backend_open(). */
	kmemu_status (*open)(const struct kmemu_backend_ops *ops, const struct kmemu_config *cfg,
			     void **st);
	/* Destroy an instance, releasing everything its processes hold. */
	void (*close)(void *st);

	/* ---- emulated processes (test side) ----------------------------------- */
	kmemu_status (*process_create)(void *st, const char *name, kmemu_pid *out);   /* process_create */
	kmemu_status (*process_destroy)(void *st, kmemu_pid pid);                      /* process_destroy */
	kmemu_status (*process_attach)(void *st, kmemu_pid pid, kmemu_pid *old);      /* process_attach */
	kmemu_status (*process_current)(void *st, kmemu_pid *out);                     /* process_current */

	/* ---- memory access and queries (test side) ---------------------------- */
	kmemu_status (*virt_to_phys)(void *st, kmemu_pid pid, const void *addr, uint64_t *phys);
	kmemu_status (*kernel_read)(void *st, uint64_t kaddr, void *buf, size_t len);
	kmemu_status (*kernel_write)(void *st, uint64_t kaddr, const void *buf, size_t len);
	kmemu_status (*user_read)(void *st, kmemu_pid pid, uint64_t uaddr, void *buf, size_t len);
	kmemu_status (*user_write)(void *st, kmemu_pid pid, uint64_t uaddr, const void *buf,
				   size_t len);

	/* ---- IRQL ------------------------------------------------------------- */
	uint8_t (*irql_get)(void *st);                                 /* irql_get */
	/* Set without rules (test side); ->irql_raise/lower apply Windows' rules. */
	kmemu_status (*irql_set)(void *st, uint8_t irql, uint8_t *old);
	/* KeRaiseIrql: @irql below the current level bug checks
	 * IRQL_NOT_GREATER_OR_EQUAL; returns the old level. */
	uint8_t (*irql_raise)(void *st, uint8_t irql);
	/* KeLowerIrql: @irql above the current level bug checks IRQL_NOT_LESS_OR_EQUAL. */
	void (*irql_lower)(void *st, uint8_t irql);

	/* ---- accounting ------------------------------------------------------- */
	kmemu_status (*stats_get)(void *st, struct kmemu_stats *out);  /* stats_get */
	kmemu_status (*check)(void *st, const char **msg);             /* check */

	/* ---- WinDriver shared buffers ---------------------------------------- */
	/* Allocate @kb->qwBytes with @kb->dwOptions (already validated by api/)
	 * and fill hKerBuf, pKernelAddr, pUserAddr for the current process.
	 * @kb is owned by the caller and is the key of the new holding.
	 * Return: WD_STATUS_SUCCESS; WD_INSUFFICIENT_RESOURCES. */
	DWORD (*wds_alloc)(void *st, WD_KERNEL_BUFFER *kb);
	/* Map the buffer @kb->hKerBuf into the current process, filling every
	 * field of @kb.  Return: WD_STATUS_SUCCESS; WD_INVALID_HANDLE;
	 * WD_INSUFFICIENT_RESOURCES. */
	DWORD (*wds_get)(void *st, WD_KERNEL_BUFFER *kb);
	/* Descriptions come from kmemu__malloc(); when a process exits or the
	 * instance closes, the backend frees the descriptions of the holdings
	 * it drops, as process exit frees a Windows process's heap. */
	/* Drop the current process's holding keyed by @kb.  Return:
	 * WD_STATUS_SUCCESS; WD_INVALID_HANDLE when the current process holds no
	 * such @kb (the caller must then not free @kb). */
	DWORD (*wds_free)(void *st, WD_KERNEL_BUFFER *kb);
};

/**
 * kmemu_backend_register() - add a backend to the registry.
 * @ops: a static table; its name must be unique.
 * Context: PASSIVE, before or after other backends are open.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL, no name, version
 * newer than this library); STATUS_OBJECT_NAME_COLLISION (name taken);
 * STATUS_INSUFFICIENT_RESOURCES (registry full: 16 entries).
 */
kmemu_status kmemu_backend_register(const struct kmemu_backend_ops *ops);

/**
 * kmemu_backend_ops_of() - the ops table and state of an open instance.
 * @b:  an instance.
 * @st: receives the backend state (may be NULL).
 * Return: the ops table.
 */
const struct kmemu_backend_ops *kmemu_backend_ops_of(struct kmemu_backend *b, void **st);

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_BACKEND_H */
