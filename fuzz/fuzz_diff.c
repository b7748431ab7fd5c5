/* SPDX-License-Identifier: MIT */
/*
 * fuzz_diff.c - differential fuzzer: one program (seq.h) on two backend
 * instances in one process, comparing statuses and memory contents.
 *
 * Pair compared: "emu" against the backend named by KMEMU_DIFF_BACKEND
 * (default "linux").  When that backend is not registered (or cannot be
 * opened here), the pair is emu (default placement) against emu (scatter
 * placement): placement must not change any status or any byte a program
 * can read; both get the header's RAM, fragmentation and seed.  Against a
 * real backend both are opened with default placement, no fragmentation
 * and REAL_RAM of emulated RAM (the real one's RAM is the host's): an
 * allocation whose outcome would only depend on the two RAM sizes, or that
 * would lock more than REAL_MAX_ALLOC of host memory, is skipped, and
 * CONTIG requests are skipped where the real instance lacks "contig".
 *
 * Each input opens both instances and switches between them with
 * kmemu_backend_set_current().  Per call, the thread context a backend keeps
 * per thread - the attached process and the IRQL - is restored for the
 * instance about to run, and an active fault program is re-armed
 * (kmemu_fault_set resets its counters), so both instances see the same
 * fault schedule relative to the call.
 *
 * What is compared: the status of every call; every byte of every read;
 * qwBytes and dwOptions of every description; IRQL levels; the size and
 * offset of every view and NtQuerySection's answers (view addresses and
 * handle values differ between backends and are not compared).  Reads and
 * writes through views are compared whatever the view's protection (both
 * backends' kmemu_user_read/write honour it, PAGE_WRITECOPY kinds copy on
 * write), except through a copy-on-write view a child inherited, or its
 * parent's: the emulator's child shares its parent's mapping and private
 * copies, a linux child starts from the section's pages.  Calls whose
 * outcome depends on addresses one backend chooses (reads of stale or
 * out-of-range views, raw handle / pid / pointer values that collide with a
 * live one) are skipped.  Calls needing a capability one of the two lacks
 * (multi-process, kernel access, IRQL, fault injection) are skipped.
 *
 * Allowed differences come only from the expectations file of the other
 * backend, conformance/expectations/<backend>.txt (KMEMU_DIFF_EXPECTATIONS
 * overrides the path): each difference maps to the conformance case that
 * checks the behaviour, and is allowed only when that case id is listed;
 * the input then stops being compared (the two worlds no longer agree).
 * Under fault injection an acquiring call may fail with
 * INSUFFICIENT_RESOURCES (NO_MEMORY, or for the linux backend's commit
 * charge COMMITMENT_LIMIT) on one side only, or with a different one of them
 * on each side (their acquisitions differ), and
 * so may a CONTIG allocation (whether a free contiguous run exists depends
 * on where earlier buffers went: placement is exactly what differs); the
 * successful side is undone and the program continues.
 *
 * After every input: each instance with checkers passes kmemu_check(), and
 * after teardown neither holds a frame, buffer or mapping; the heap is back
 * at its baseline once both are closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmemu/backend.h>
#include "seq.h"

#ifndef KMEMU_SOURCE_DIR
#define KMEMU_SOURCE_DIR "."
#endif

#define MAX_ALLOWED 256
#define REAL_RAM (128ull << 20)       /* emu RAM when comparing with a real backend */
#define REAL_MAX_ALLOC (8ull << 20)   /* largest allocation run on a real backend */

static struct seq_prog P;
static struct seq_world WA, WB;
static uint8_t data_a[SEQ_MAX_LEN], data_b[SEQ_MAX_LEN];

static struct {
	int ready;                  /* setup done */
	const char *other;          /* backend compared with emu */
	int fallback;               /* emu default vs emu scatter */
	uint64_t caps;              /* capabilities both instances declare */
	uint64_t ram_a, ram_b;      /* RAM of each side (bytes) */
	char *allowed[MAX_ALLOWED]; /* case ids listed in the expectations file */
	unsigned n_allowed;         /* entries */
	struct kmemu_backend *meter; /* idle instance: reads the heap counters */
	uint64_t n_compared, n_skipped, n_resynced, n_allowed_hit;  /* calls, all inputs */
} G;

/* KMEMU_DIFF_STATS=1: how many calls were compared, at exit. */
static void print_counts(void)
{
	fprintf(stderr, "fuzz_diff: %s vs %s: %llu calls compared, %llu skipped, %llu resynchronised "
			"after a one-sided fault, %llu inputs stopped at an allowed difference\n",
		G.fallback ? "emu/default" : "emu", G.fallback ? "emu/scatter" : G.other,
		(unsigned long long)G.n_compared, (unsigned long long)G.n_skipped,
		(unsigned long long)G.n_resynced, (unsigned long long)G.n_allowed_hit);
}

/* The log of calls of this input. */
static struct diff_entry {
	struct seq_call call;       /* the call as resolved for side A */
	struct seq_result ra, rb;   /* outcomes (data not kept) */
} LOG[SEQ_MAX_OPS];
static size_t n_log;

/* Print the program so far and abort. */
static void fail(const char *what, const char *detail)
{
	char line[512], sa[64], sb[64];

	fprintf(stderr, "\n=== fuzz_diff: %s vs %s: %s%s%s at call %zu\n", WA.label, WB.label, what,
		detail ? ": " : "", detail ? detail : "", n_log ? n_log - 1 : 0);
	fprintf(stderr, "=== machine: RAM %llu frames, fragment order %u, seed %llu\n",
		(unsigned long long)(P.ram_bytes / 4096), P.fragment_order,
		(unsigned long long)P.seed);
	for (size_t i = 0; i < n_log; i++) {
		const struct diff_entry *e = &LOG[i];

		seq_call_format(&e->call, line, sizeof(line));
		fprintf(stderr, "  #%-3zu %-90s %s: %-26s %s: %s\n", i, line, WA.label,
			seq_status_format(e->ra.st_kind, e->ra.status, sa, sizeof(sa)), WB.label,
			seq_status_format(e->rb.st_kind, e->rb.status, sb, sizeof(sb)));
	}
	abort();
}

/* ---- expectations ------------------------------------------------------------ */

static void load_expectations(const char *backend)
{
	char path[512], line[512];
	const char *env = getenv("KMEMU_DIFF_EXPECTATIONS");
	FILE *f;

	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "%s/conformance/expectations/%s.txt", KMEMU_SOURCE_DIR,
			 backend);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "fuzz_diff: no expectations file %s: no difference is allowed\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f) && G.n_allowed < MAX_ALLOWED) {
		char id[256];

		if (line[0] == '#' || sscanf(line, "%255s", id) != 1)
			continue;
		G.allowed[G.n_allowed++] = strdup(id);
	}
	fclose(f);
	fprintf(stderr, "fuzz_diff: %u allowed differences from %s\n", G.n_allowed, path);
}

static int is_allowed(const char *case_id)
{
	for (unsigned i = 0; i < G.n_allowed; i++)
		if (!strcmp(G.allowed[i], case_id))
			return 1;
	return 0;
}

/* The conformance case that checks the behaviour a call exercises. */
static const char *case_of(const struct seq_call *c, const struct seq_world *w)
{
	switch (c->kind) {
	case SEQ_C_ALLOC: {
		uint32_t kind = c->options & (KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG);

		if (c->null_out)
			return "WDS_SharedBufferAlloc/null-ppbuf-invalid-parameter";
		if (c->bytes == 0)
			return "WDS_SharedBufferAlloc/size-zero-invalid-parameter";
		if (c->options & ~7u)
			return "WDS_SharedBufferAlloc/unknown-option-bits-invalid-parameter";
		if (kind == (KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG))
			return "WDS_SharedBufferAlloc/contig-and-non-contig-invalid-parameter";
		if (!kind)
			return "WDS_SharedBufferAlloc/neither-kind-invalid-parameter";
		if (c->bytes > w->ram_bytes)
			return "WDS_SharedBufferAlloc/larger-than-ram-insufficient-resources";
		if (kind == KER_BUF_ALLOC_CONTIG)
			return "WDS_SharedBufferAlloc/contig-without-free-run-insufficient-resources";
		return "WDS_SharedBufferAlloc/success-fills-description";
	}
	case SEQ_C_GET:
		if (c->null_out)
			return "WDS_SharedBufferGet/null-ppkerbuf-invalid-parameter";
		if (c->handle == 0)
			return "WDS_SharedBufferGet/zero-handle-invalid-handle";
		if (!strcmp(c->how, "stale"))
			return "WDS_SharedBufferGet/stale-after-every-holder-freed";
		if (c->raw)
			return "WDS_SharedBufferGet/never-issued-handle-invalid";
		return "WDS_SharedBufferGet/other-process-maps-same-buffer";
	case SEQ_C_FREE:
	case SEQ_C_FREE_AS:
		if (!c->ptr)
			return "WDS_SharedBufferFree/null-invalid-parameter";
		if (!strcmp(c->how, "freed"))
			return "WDS_SharedBufferFree/double-free-invalid-handle";
		if (!strcmp(c->how, "foreign"))
			return "WDS_SharedBufferFree/other-process-description-invalid-handle";
		if (!strcmp(c->how, "holder"))
			return "WDS_SharedBufferFree/releases-frames-and-handle";
		return "WDS_SharedBufferFree/only-the-allocated-pointer";
	case SEQ_C_UREAD:
	case SEQ_C_UWRITE:
		if (!strcmp(c->how, "kernel-address"))
			return "WDS_SharedBufferAlloc/user-and-kernel-mappings";
		if (c->pid && c->slot >= 0 && w->slots[c->slot].kb && w->slots[c->slot].proc != w->cur)
			return "WDS_SharedBufferGet/other-process-maps-same-buffer";
		return "WDS_SharedBufferAlloc/buffer-usable-through-puseraddr";
	case SEQ_C_KREAD:
	case SEQ_C_KWRITE:
		return "WDS_SharedBufferAlloc/user-write-kernel-read";
	case SEQ_C_SCREATE:
		if (c->name >= 0)
			return "ZwCreateSection/named-exists";
		if (c->attributes & SEC_IMAGE)
			return "ZwCreateSection/image-no-file";
		if (c->protect == 0 || (c->protect & ~0xFFu) || c->protect == PAGE_NOACCESS)
			return "ZwCreateSection/protection-invalid";
		if (!c->has_size || c->size <= 0 || c->size >= (1ll << 38))
			return "ZwCreateSection/size-rules";
		return "ZwCreateSection/creates-section";
	case SEQ_C_SOPEN:
		if (c->name_mode)
			return "ZwOpenSection/open-needs-name";
		return "ZwOpenSection/opens-by-name";
	case SEQ_C_SMAP:
		if (c->ph != (uintptr_t)-1)
			return "ZwMapViewOfSection/process-other";
		if (c->raw || c->sec < 0)
			return "ZwMapViewOfSection/section-handle";
		if (c->offset & 0xFFFF)
			return "ZwMapViewOfSection/offset";
		if (c->commit)
			return "ZwMapViewOfSection/commit-size";
		return "ZwMapViewOfSection/maps-view";
	case SEQ_C_SUNMAP:
		return c->view >= 0 ? "ZwUnmapViewOfSection/any-address-inside"
				    : "ZwUnmapViewOfSection/not-mapped-view";
	case SEQ_C_SCLOSE:
		return "ZwCreateSection/close";
	case SEQ_C_SQUERY:
		return "ZwCreateSection/query-rules";
	case SEQ_C_PCHILD:
		return "ZwMapViewOfSection/inherit";
	case SEQ_C_POPEN:
		return "ZwMapViewOfSection/process-other";
	default:
		return NULL;  /* test-side control calls: no case; never allowed */
	}
}

/* ---- which calls can be compared ---------------------------------------------- */

static int ptr_live(const struct seq_world *w, const WD_KERNEL_BUFFER *p)
{
	for (int s = 0; s < SEQ_SLOTS; s++)
		if (w->slots[s].kb && w->slots[s].kb == p)
			return 1;
	return 0;
}

static int handle_live(const struct seq_world *w, uint32_t h)
{
	for (int b = 0; b < SEQ_SLOTS; b++)
		if (w->bufs[b].live && w->bufs[b].handle == h)
			return 1;
	return 0;
}

static int pid_live(const struct seq_world *w, kmemu_pid pid)
{
	for (int p = 0; p < SEQ_PROCS; p++)
		if (w->proc_live[p] && w->pids[p] == pid)
			return 1;
	return 0;
}

/* 1 if an access stays inside the live view it was resolved from. */
static int access_inside(const struct seq_world *w, const struct seq_call *c)
{
	const struct seq_slot *s;
	uint64_t base, size;

	if (c->view >= 0) {
		const struct seq_view *v = &w->views[c->view];

		if (!v->used)
			return 1;  /* 0x10000 + offset: nothing is mapped there on either side */
		if (!v->live || (c->pid == 0 && v->proc != w->cur))
			return 0;  /* a stale view, or the current process's layout decides */
		/* Both backends honour the view's protection (the emulator's
		 * per-page check, process_vm_readv/writev on linux), and both
		 * map the PAGE_WRITECOPY kinds copy on write.  What differs is
		 * inheritance: the emulator's child uses its parent's very
		 * mapping (private copies shared by both, and the parent's
		 * later ones seen by the child), while a linux child maps the
		 * section afresh (no copy inherited).  Accesses through an
		 * inherited copy-on-write view are therefore not compared. */
		if (v->inherited && ((v->protect & 0xFFu) == PAGE_WRITECOPY ||
				     (v->protect & 0xFFu) == PAGE_EXECUTE_WRITECOPY))
			return 0;
		return c->addr >= v->addr && c->addr - v->addr <= v->size &&
		       c->len <= v->size - (c->addr - v->addr);
	}
	if (c->slot < 0)
		return 1;  /* host / unmapped addresses: both must refuse */
	s = &w->slots[c->slot];
	if (!s->used)
		return 1;
	if (!s->kb)
		return 0;  /* a stale view: the address may have been reused */
	/* A user access at the kernel view must fail only inside the view:
	 * below or past it a real backend may have user mappings of its own. */
	base = (c->kind == SEQ_C_KREAD || c->kind == SEQ_C_KWRITE ||
		!strcmp(c->how, "kernel-address")) ? s->kaddr : s->uaddr;
	size = s->npages * 4096;
	if (c->pid == 0 && s->proc != w->cur)
		return 0;  /* the current process's layout decides */
	return c->addr >= base && c->addr - base <= size && c->len <= size - (c->addr - base);
}

/* 1 unless a raw or foreign handle value names a live handle of the
 * current process on its side (where the two sides' values differ). */
static int handle_free_both(const struct seq_call *a, const struct seq_call *b)
{
	return (a->h > UINT32_MAX || seq_handle_find(&WA, WA.cur, a->h) < 0) &&
	       (b->h > UINT32_MAX || seq_handle_find(&WB, WB.cur, b->h) < 0);
}

/* Section calls: comparable?  (-1: not a section call) */
static int comparable_section(const struct seq_call *a, const struct seq_call *b)
{
	int mp = (G.caps & KMEMU_CAP_MULTI_PROCESS) != 0;

	switch (a->kind) {
	case SEQ_C_SCREATE:
		/* not what RAM or the host's commit policy decides */
		return G.fallback || !a->has_size || a->size <= (int64_t)REAL_MAX_ALLOC ||
		       a->size >= (int64_t)(1ull << 47);
	case SEQ_C_SOPEN:
		return 1;
	case SEQ_C_SMAP:
	case SEQ_C_SQUERY:
		if ((a->ph != (uintptr_t)-1 || b->ph != (uintptr_t)-1) && !mp)
			return 0;
		return !a->raw || handle_free_both(a, b);
	case SEQ_C_SUNMAP:
		if ((a->ph != (uintptr_t)-1 || b->ph != (uintptr_t)-1) && !mp)
			return 0;
		if (a->view >= 0 && !WA.views[a->view].live) {
			/* a stale address: may be inside a newer view on one side */
			for (int p = 0; p < SEQ_PROCS; p++)
				if (seq_view_at(&WA, p, a->addr) >= 0 || seq_view_at(&WB, p, b->addr) >= 0)
					return 0;
		}
		return 1;
	case SEQ_C_SCLOSE:
		return !a->raw || handle_free_both(a, b);
	case SEQ_C_POPEN:
		return !a->raw || (!pid_live(&WA, a->pid) && !pid_live(&WB, b->pid));
	case SEQ_C_PCHILD:
		return mp && (!a->raw || (!pid_live(&WA, a->pid) && !pid_live(&WB, b->pid)));
	default:
		return -1;
	}
}

/* 1 if the call means the same thing on both sides and both can run it. */
static int comparable(const struct seq_call *a, const struct seq_call *b)
{
	int rc;

	if (a->kind != b->kind)
		return 0;
	rc = comparable_section(a, b);
	if (rc >= 0 || a->view >= 0) {  /* section services, accesses through views */
		if (!(G.caps & KMEMU_CAP_SECTIONS))
			return 0;
		return rc >= 0 ? rc : access_inside(&WA, a) && access_inside(&WB, b);
	}
	switch (a->kind) {
	case SEQ_C_ALLOC:
		if (G.fallback)
			return 1;
		if ((a->options & KER_BUF_ALLOC_CONTIG) && !(a->options & KER_BUF_ALLOC_NON_CONTIG) &&
		    !(G.caps & KMEMU_CAP_CONTIG))
			return 0;
		/* Not what RAM sizes decide, and never a large lock of host memory. */
		return a->bytes <= REAL_MAX_ALLOC || (a->bytes > G.ram_a && a->bytes > G.ram_b);
	case SEQ_C_GET:
		if (a->raw || !strcmp(a->how, "stale"))
			return !handle_live(&WA, a->handle) && !handle_live(&WB, a->handle) &&
			       !handle_live(&WA, b->handle) && !handle_live(&WB, b->handle);
		return 1;
	case SEQ_C_FREE:
	case SEQ_C_FREE_AS:
		if (strcmp(a->how, "holder") && strcmp(a->how, "foreign") && a->ptr)
			return !ptr_live(&WA, a->ptr) && !ptr_live(&WB, a->ptr) &&
			       !ptr_live(&WA, b->ptr) && !ptr_live(&WB, b->ptr);
		return (G.caps & KMEMU_CAP_MULTI_PROCESS) || a->kind == SEQ_C_FREE;
	case SEQ_C_PCREATE:
		return (G.caps & KMEMU_CAP_MULTI_PROCESS) != 0;
	case SEQ_C_PDESTROY:
	case SEQ_C_ATTACH:
		if (!(G.caps & KMEMU_CAP_MULTI_PROCESS))
			return 0;
		if (a->raw)
			return !pid_live(&WA, a->pid) && !pid_live(&WB, a->pid);
		return 1;
	case SEQ_C_KREAD:
	case SEQ_C_KWRITE:
		if (!(G.caps & KMEMU_CAP_KERNEL_ACCESS))
			return 0;
		return access_inside(&WA, a) && access_inside(&WB, b);
	case SEQ_C_UREAD:
	case SEQ_C_UWRITE:
		return access_inside(&WA, a) && access_inside(&WB, b);
	case SEQ_C_IRQL_SET:
		return (G.caps & KMEMU_CAP_IRQL) != 0;
	case SEQ_C_RAISE:
	case SEQ_C_LOWER:
		return (G.caps & (KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK)) ==
		       (KMEMU_CAP_IRQL | KMEMU_CAP_BUGCHECK);
	case SEQ_C_FAULT:
		return (G.caps & KMEMU_CAP_FAULT_INJECT) != 0;
	default:
		return 1;
	}
}

/* ---- running a call on one side ------------------------------------------------- */

/* Make @w's instance current with its thread context.  The thread's
 * attachment and IRQL are per thread: the other instance may have changed
 * them (the emulator keeps one attachment and one IRQL per host thread). */
static void activate(struct seq_world *w)
{
	kmemu_backend_set_current(w->b);
	if (G.caps & KMEMU_CAP_MULTI_PROCESS)
		kmemu_process_attach(w->pids[w->cur], NULL);
	if (G.caps & KMEMU_CAP_IRQL)
		kmemu_irql_set(w->irql, NULL);
}

/* Run @c on @w's instance with its context and the armed fault program. */
static void run_on(struct seq_world *w, const struct seq_call *c, struct seq_result *r)
{
	activate(w);
	if (w->fault.mode != KMEMU_FAULT_OFF && c->kind != SEQ_C_FAULT)
		kmemu_fault_set(&w->fault);
	seq_exec(w, c, r);
	kmemu_fault_set(NULL);
	if (r->proto)
		fail("out-parameter rule broken", r->proto);
}

static int is_insufficient(const struct seq_result *r)
{
	if (r->st_kind == SEQ_ST_NT && r->status == (uint32_t)STATUS_NO_MEMORY)
		return 1;  /* handle arrays, host address space */
	return r->status == (r->st_kind == SEQ_ST_WD ? WD_INSUFFICIENT_RESOURCES
						     : (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
}

/* A failure to acquire: INSUFFICIENT_RESOURCES, NO_MEMORY, or a commit charge refused. */
static int is_resource_failure(const struct seq_result *r)
{
	return is_insufficient(r) ||
	       (r->st_kind == SEQ_ST_NT && r->status == (uint32_t)STATUS_COMMITMENT_LIMIT);
}

/* Compare outcomes; returns 0 same, 1 allowed difference (stop comparing),
 * 2 one-sided fault undone (go on), 3 undone but not reversible (stop). */
static int compare(const struct seq_call *ca, const struct seq_call *cb, struct seq_result *ra,
		   struct seq_result *rb)
{
	const char *what = NULL, *id;

	if (ra->st_kind != rb->st_kind || ra->status != rb->status) {
		/* Under fault injection the two sides' acquisitions differ: one may
		 * fail where the other succeeded.  Whether a free contiguous run
		 * exists depends on where earlier buffers were placed (scatter
		 * fragments on purpose; a real kernel has its own free lists).
		 * Undo the success, go on. */
		int contig = ca->kind == SEQ_C_ALLOC &&
			     (ca->options & 3u) == KER_BUF_ALLOC_CONTIG;

		int faulting = WA.fault.mode != KMEMU_FAULT_OFF && seq_acquires(ca);

		/* Both failed on an injected fault, each with its own resource
		 * status (the linux backend's commit charge is an mmap: an
		 * injected ENOMEM there is STATUS_COMMITMENT_LIMIT). */
		if (faulting && ra->st_kind == SEQ_ST_NT && rb->st_kind == SEQ_ST_NT &&
		    is_resource_failure(ra) && is_resource_failure(rb))
			return 0;
		/* Both failed, one on an injected fault taken before the check the
		 * other side failed at (WDS_SharedBufferGet allocates the
		 * description before the handle is looked up): a failed call
		 * changes nothing on either side. */
		if (faulting && ra->status && rb->status &&
		    (is_resource_failure(ra) || is_resource_failure(rb)))
			return 0;
		if ((contig || faulting) &&
		    (is_insufficient(ra) || is_insufficient(rb) ||
		     (faulting && (is_resource_failure(ra) || is_resource_failure(rb)))) &&
		    (!ra->status || !rb->status)) {
			seq_apply(&WA, ca, ra, NULL);
			seq_apply(&WB, cb, rb, NULL);
			activate(ra->status ? &WB : &WA);
			if (seq_undo(ra->status ? &WB : &WA, ra->status ? cb : ca))
				fail("undoing a call that only one side completed failed", NULL);
			/* Pages a view committed in a SEC_RESERVE section stay
			 * committed after the view is unmapped: the worlds no
			 * longer agree, stop comparing this input. */
			if (ca->kind == SEQ_C_SMAP && ca->commit && ca->sec >= 0 &&
			    (WA.secs[ca->sec].attributes & SEC_RESERVE))
				return 3;
			return 2;
		}
		what = "status differs";
	} else if ((ca->kind == SEQ_C_UREAD || ca->kind == SEQ_C_KREAD) && !ra->status &&
		   memcmp(ra->data, rb->data, ca->len)) {
		what = "bytes read differ";
	} else if ((ca->kind == SEQ_C_ALLOC || ca->kind == SEQ_C_GET) && !ra->status &&
		   (ra->kb->qwBytes != rb->kb->qwBytes || ra->kb->dwOptions != rb->kb->dwOptions ||
		    !ra->kb->hKerBuf || !rb->kb->hKerBuf)) {
		what = "description fields differ";
	} else if (ca->kind == SEQ_C_SMAP && ra->st_kind == SEQ_ST_NT && !ra->status &&
		   (ra->view_size != rb->view_size || ra->offset != rb->offset)) {
		what = "view size or offset differs";
	} else if (ca->kind == SEQ_C_SQUERY && ra->st_kind == SEQ_ST_NT && !ra->status &&
		   (ra->q_attr != rb->q_attr || ra->q_size != rb->q_size || ra->q_ret != rb->q_ret ||
		    ra->q_base != rb->q_base)) {
		what = "NtQuerySection's answer differs";
	} else if ((ca->kind == SEQ_C_RAISE || ca->kind == SEQ_C_IRQL_SET) && !ra->status &&
		   (ra->old_irql != rb->old_irql || ra->irql_after != rb->irql_after)) {
		what = "IRQL differs";
	}
	if (!what)
		return 0;
	id = case_of(ca, &WA);
	if (id && is_allowed(id)) {
		static unsigned reported;

		if (reported++ < 5)
			fprintf(stderr, "fuzz_diff: allowed difference (%s): %s\n", id, what);
		return 1;
	}
	fail(what, id ? id : "no conformance case covers it");
	return 0;
}

/* ---- one input ------------------------------------------------------------------ */

static void heap_now(uint64_t *blocks, uint64_t *bytes)
{
	struct kmemu_stats st;

	kmemu_backend_set_current(G.meter);
	kmemu_stats_get(&st);
	*blocks = st.heap_blocks;
	*bytes = st.heap_bytes;
}

/* The configuration of each side for program @p. */
static void configs(const struct seq_prog *p, struct kmemu_config *ca, struct kmemu_config *cb)
{
	seq_config(p, ca);
	if (G.fallback) {
		ca->placement = KMEMU_PLACE_DEFAULT;
		*cb = *ca;
		cb->placement = KMEMU_PLACE_SCATTER;
	} else {
		ca->placement = KMEMU_PLACE_DEFAULT;
		ca->fragment_order = 0;
		ca->ram_bytes = REAL_RAM;
		*cb = *ca;
	}
}

/* Choose the pair, read both instances' capabilities and RAM once. */
static void setup(void)
{
	const char *name = getenv("KMEMU_DIFF_BACKEND");
	struct kmemu_config mc, ca, cb;
	struct kmemu_backend *a = NULL, *b = NULL;
	struct kmemu_stats st;
	kmemu_status rc = STATUS_NOT_FOUND;

	if (!name || !*name)
		name = "linux";
	G.other = name;
	configs(&P, &ca, &cb);
	if (strcmp(name, "emu") && kmemu_backend_find(name))
		rc = kmemu_backend_open(name, &cb, &b);
	if (rc) {
		if (!strcmp(name, "emu"))
			fprintf(stderr, "fuzz_diff: comparing emu (default placement) with emu "
					"(scatter placement)\n");
		else
			fprintf(stderr, "fuzz_diff: backend '%s' %s: comparing emu (default placement) "
					"with emu (scatter placement)\n", name,
				rc == STATUS_NOT_FOUND ? "is not registered" : "cannot be opened here");
		G.fallback = 1;
		G.other = "emu";
		configs(&P, &ca, &cb);
		if (kmemu_backend_open("emu", &cb, &b))
			abort();
	} else {
		fprintf(stderr, "fuzz_diff: comparing emu with %s\n", name);
	}
	if (kmemu_backend_open("emu", &ca, &a))
		abort();
	G.caps = kmemu_backend_caps(a) & kmemu_backend_caps(b);
	kmemu_backend_set_current(b);
	kmemu_stats_get(&st);
	G.ram_b = st.frames_total * 4096;
	kmemu_backend_set_current(NULL);
	kmemu_backend_close(a);
	kmemu_backend_close(b);
	load_expectations(G.other);
	kmemu_config_default(&mc);
	mc.ram_bytes = 2 * 4096;
	if (kmemu_backend_open("emu", &mc, &G.meter))
		abort();
	if (getenv("KMEMU_DIFF_STATS"))
		atexit(print_counts);
	G.ready = 1;
}

/* Run the after-input checks on one side, then tear it down. */
static void finish(struct seq_world *w)
{
	struct kmemu_stats st;
	const char *why = "";

	activate(w);
	if (kmemu_backend_caps(w->b) & KMEMU_CAP_CHECKERS && kmemu_check(&why))
		fail("kmemu_check", why);
	if (seq_teardown(w, &why))
		fail(w->label, why);
	if (kmemu_backend_caps(w->b) & KMEMU_CAP_CHECKERS && kmemu_check(&why))
		fail("kmemu_check after teardown", why);
	if (kmemu_stats_get(&st) || st.frames_used || st.wds_buffers || st.mappings)
		fail(w->label, "frames, buffers or mappings left after teardown");
}

/**
 * LLVMFuzzerTestOneInput() - run one program on both instances and compare.
 * @data, @size: the input (see seq.h).
 * Return: 0 (differences that are not allowed abort).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmemu_config ca, cb;
	struct kmemu_backend *a, *b;
	uint64_t hb0, hB0, hb1, hB1;

	if (!seq_decode(data, size, &P))
		return 0;
	if (!G.ready)
		setup();
	kmemu_fault_set(NULL);
	heap_now(&hb0, &hB0);
	kmemu_irql_set(0, NULL);
	configs(&P, &ca, &cb);
	if (kmemu_backend_open("emu", &ca, &a))
		abort();
	if (kmemu_backend_open(G.other, &cb, &b)) {
		fprintf(stderr, "fuzz_diff: cannot open backend '%s'\n", G.other);
		abort();
	}
	kmemu_backend_set_current(a);
	seq_world_init(&WA, a, G.fallback ? "emu/default" : "emu");
	kmemu_backend_set_current(b);
	seq_world_init(&WB, b, G.fallback ? "emu/scatter" : G.other);
	G.ram_a = WA.ram_bytes;
	if (G.fallback)
		G.ram_b = WB.ram_bytes;
	WB.ram_bytes = WA.ram_bytes;  /* sizes relative to RAM mean the same bytes */
	n_log = 0;

	for (size_t i = 0; i < P.n_ops; i++) {
		struct diff_entry *e = &LOG[n_log++];
		struct seq_call cbl;
		int rc;

		seq_resolve(&WA, &P.ops[i], &e->call);
		seq_resolve(&WB, &P.ops[i], &cbl);
		e->ra.data = data_a;
		e->rb.data = data_b;
		if (!comparable(&e->call, &cbl)) {
			e->call.kind = SEQ_C_NOP;
			e->ra.st_kind = e->rb.st_kind = SEQ_ST_NONE;
			G.n_skipped++;
			continue;
		}
		run_on(&WA, &e->call, &e->ra);
		run_on(&WB, &cbl, &e->rb);
		rc = compare(&e->call, &cbl, &e->ra, &e->rb);
		G.n_compared++;
		if (rc == 1) {
			G.n_allowed_hit++;
			break;
		}
		if (rc == 2 || rc == 3) {
			G.n_resynced++;
			if (rc == 3)
				break;
			continue;
		}
		seq_apply(&WA, &e->call, &e->ra, NULL);
		seq_apply(&WB, &cbl, &e->rb, NULL);
	}

	kmemu_fault_set(NULL);
	finish(&WA);
	finish(&WB);
	kmemu_backend_set_current(NULL);
	kmemu_backend_close(a);
	kmemu_backend_close(b);
	heap_now(&hb1, &hB1);
	kmemu_backend_set_current(NULL);
	if (hb1 != hb0 || hB1 != hB0)
		fail("heap not back to its baseline after closing both instances", NULL);
	return 0;
}
