/* SPDX-License-Identifier: MIT */
/*
 * fuzz_seq.c - stateful operation-sequence fuzzer with a reference model.
 *
 * Each input is a program (seq.h): a machine header, then records that
 * resolve to calls across emulated processes - WDS alloc/get/free, process
 * create/destroy/attach, user and kernel reads and writes through every
 * alias, IRQL set/raise/lower (bug checks caught), fault injection.  Every
 * input runs on a fresh emulator instance opened with the header's RAM,
 * placement and fragmentation, so a crash reproduces from its input alone.
 *
 * The reference model is plain C over arrays.  From the world (seq.h: slots,
 * buffers, processes) plus its own state - which frames each live buffer
 * owns, which frames the machine holds for itself, a byte image of every
 * buffer, the direct-map base once seen - it predicts each call's status
 * and, for reads, every byte.  What it predicts:
 *   - Alloc: parameter rules; > RAM or too few free frames fail; CONTIG
 *     succeeds exactly when an aligned run of 2^ceil(log2 n) free frames
 *     exists (a buddy allocator that merges eagerly always has such a run
 *     as one free block).
 *   - Get: success exactly for the handle of a live buffer; Free: success
 *     exactly for a description the current process holds (by value, so
 *     a freed pointer reused by malloc is predicted too).
 *   - Reads and writes: resolved page by page through the holdings of the
 *     process (user) or the direct map and vmalloc areas (kernel); free
 *     direct-map frames read zero, held frames read their buffer's image.
 *   - IRQL: raise below the current level or above 15 and lower above it
 *     bug check; kmemu_irql_set refuses levels above 15.
   - Sections: every status of ZwCreateSection, ZwOpenSection,
 *     ZwMapViewOfSection, ZwUnmapViewOfSection, ZwClose and NtQuerySection
 *     in the documented order (the IRQL bug check above PASSIVE first), the
 *     namespace (newest first, a name goes with the section's last handle),
 *     handles per process (values learned, looked up by value, so raw and
 *     stale values are predicted too), process handles and children
 *     inheriting ViewShare views.  Each section has a byte image and a
 *     committed flag per page; a view reads and writes its section's image
 *     (views alias), an uncommitted SEC_RESERVE page is not mapped.  User
 *     accesses honour the view's protection: PAGE_NOACCESS and guard pages
 *     refuse both, the read-only kinds refuse writes, and a PAGE_WRITECOPY
 *     kind writes a private copy of the page per host mapping (a child's
 *     inherited view shares its parent's), which its reads return from
 *     then on; the section image and every other view keep the shared bytes.  Section
 *     frames are learned when a view shows them (kmemu_virt_to_phys of each
 *     committed page of a new view); until then they read zero through the
 *     direct map, and a CONTIG allocation the model would grant may also be
 *     refused (the unknown frames may break the run).  kmemu_view_query of
 *     every new view must report its base, size, offset, protection (with
 *     the section's cache type), inheritance and state.
 * With fault injection on, a call that acquires may fail with
 * INSUFFICIENT_RESOURCES (section services: or NO_MEMORY) instead (the fault
 * simulator must then report an injected failure) and the model keeps its
 * state for that call.
 *
 * Checked after every call: status (and bytes), out-parameter rules, and
 * kmemu_stats_get against the model (frames of buffers and committed section
 * pages, buffers, mappings and views, processes, WDS and NT handles).  After every input: kmemu_check(), then teardown (free all,
 * destroy processes) leaves no frame, buffer, mapping or handle, and closing
 * the instance returns the heap to its baseline.  Any disagreement prints
 * the program, one line per call with predicted and actual status, and
 * aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seq.h"

#define PAGE 4096ull
#define MAX_FRAMES 1024  /* largest RAM seq_decode() asks for */
#define SEC_OWNER 100    /* owner[] of a frame of section slot s: SEC_OWNER + s */
#define USER_LAST 0x7FFFFFFEFFFFull
#define PSEUDO_PROCESS ((uintptr_t)-1)

/* ---- the model ------------------------------------------------------------ */

struct model {
	uint64_t n_frames;                /* frames of RAM */
	unsigned max_order;               /* largest buddy order */
	int16_t owner[MAX_FRAMES];        /* buffer owning each frame, -1 free (or a section frame
					   * not learned yet), -2 reserved, SEC_OWNER + s section s */
	uint32_t page_of[MAX_FRAMES];     /* page index of the frame in its buffer */
	uint32_t *pfns[SEQ_SLOTS];        /* frames of each live buffer */
	uint8_t *image[SEQ_SLOTS];        /* contents of each live buffer */
	int is_vmalloc[SEQ_SLOTS];        /* kernel view is a vmalloc area */
	int faults_on;                    /* a fault program is active */
	kmemu_pid seen_pids[64];          /* every pid handed out (never reused) */
	/* Sections: learned when the world gets one, dropped when it dies. */
	int sec_known[SEQ_SECS];          /* model state exists for the slot */
	uint8_t *scommit[SEQ_SECS];       /* committed pages */
	uint64_t scommit_n[SEQ_SECS];     /* their count */
	uint32_t *spfn[SEQ_SECS];         /* frame of each committed page, 0 = not learned yet */
	uint8_t *simage[SEQ_SECS];        /* contents */
	uint64_t sec_unknown;             /* committed section pages whose frame is not learned:
					   * they read zero, but CONTIG cannot be predicted exactly */
	unsigned n_seen;                  /* entries of seen_pids */
	/* Private copies of PAGE_WRITECOPY views, one set per host mapping: a
	 * child's inherited view shares its parent's (same address, same map). */
	struct mcopy *vcopy[SEQ_VIEWS];   /* of each live copy-on-write view, else NULL */
};

/* The pages one copy-on-write mapping has copied (written) so far. */
struct mcopy {
	unsigned refs;                    /* view slots using it */
	uint64_t npages;                  /* pages of the view */
	uint8_t **page;                   /* private copy of each page, NULL = not copied */
};

/* What the model expects of one call. */
struct expect {
	enum seq_status_kind kind;  /* vocabulary */
	uint32_t status;            /* predicted status */
	int may_fault;              /* INSUFFICIENT_RESOURCES also acceptable (faults on) */
	int has_alt;                /* @alt is acceptable too (not a fault) */
	uint32_t alt;               /* the other acceptable status */
};

static struct model M;
static struct seq_world W;
static uint8_t pre_irql;   /* W.irql before the call being checked */
static int pre_cur;        /* W.cur before the call being checked */
static struct seq_prog P;
static uint8_t exp_data[SEQ_MAX_LEN];

/* The log: every call run so far in this input. */
static struct log_entry {
	struct seq_call call;       /* the call */
	struct expect exp;          /* prediction */
	struct seq_result res;      /* outcome (data not kept) */
} LOG[SEQ_MAX_OPS];
static size_t n_log;

static const char *placement_name(unsigned p)
{
	return p == KMEMU_PLACE_SCATTER ? "scatter" : p == KMEMU_PLACE_RANDOM ? "random" : "default";
}

/* Print the calls run so far. */
static void print_log(void)
{
	char line[512], es[64], as[64];

	for (size_t i = 0; i < n_log; i++) {
		const struct log_entry *e = &LOG[i];

		seq_call_format(&e->call, line, sizeof(line));
		fprintf(stderr, "  #%-3zu %-90s expect %-26s got %s%s\n", i, line,
			seq_status_format(e->exp.kind, e->exp.status, es, sizeof(es)),
			seq_status_format(e->res.st_kind, e->res.status, as, sizeof(as)),
			e->exp.may_fault ? "  (faults on)" : "");
	}
}

/* Print the program so far and abort. */
static void fail(const char *fmt, const char *detail)
{

	fprintf(stderr, "\n=== fuzz_seq: model disagreement at call %zu: ", n_log ? n_log - 1 : 0);
	fprintf(stderr, fmt, detail ? detail : "");
	fprintf(stderr, "\n=== machine: RAM %llu frames, placement %s, fragment order %u, seed %llu\n",
		(unsigned long long)(P.ram_bytes / PAGE), placement_name(P.placement),
		P.fragment_order, (unsigned long long)P.seed);
	print_log();
	abort();
}

static unsigned floor_log2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static unsigned ceil_log2(uint64_t v)
{
	return v <= 1 ? 0 : floor_log2(v - 1) + 1;
}

static void mcopy_put(struct mcopy *c)
{
	if (!c || --c->refs)
		return;
	for (uint64_t i = 0; i < c->npages; i++)
		free(c->page[i]);
	free(c->page);
	free(c);
}

static int view_is_copy(uint32_t protect)
{
	return (protect & 0xFFu) == PAGE_WRITECOPY || (protect & 0xFFu) == PAGE_EXECUTE_WRITECOPY;
}

/* Sync the private copies with the world's views after a call: views gone
 * drop theirs; a new copy-on-write view shares the copies of a live view of
 * the same section at the same address (its parent's, inherited), or starts
 * with none. */
static void model_sync_copies(void)
{
	for (int v = 0; v < SEQ_VIEWS; v++)
		if (M.vcopy[v] && !W.views[v].live) {
			mcopy_put(M.vcopy[v]);
			M.vcopy[v] = NULL;
		}
	for (int v = 0; v < SEQ_VIEWS; v++) {
		const struct seq_view *sv = &W.views[v];

		if (!sv->live || M.vcopy[v] || !view_is_copy(sv->protect))
			continue;
		for (int t = 0; t < SEQ_VIEWS && !M.vcopy[v]; t++)
			if (M.vcopy[t] && W.views[t].live && W.views[t].addr == sv->addr &&
			    W.views[t].sec == sv->sec) {
				M.vcopy[v] = M.vcopy[t];
				M.vcopy[v]->refs++;
			}
		if (M.vcopy[v])
			continue;
		M.vcopy[v] = calloc(1, sizeof(struct mcopy));
		if (!M.vcopy[v] || !(M.vcopy[v]->page = calloc(sv->size / PAGE, sizeof(uint8_t *))))
			fail("%s", "harness out of memory");
		M.vcopy[v]->refs = 1;
		M.vcopy[v]->npages = sv->size / PAGE;
	}
}

static void model_reset(const struct seq_prog *p, uint64_t n_frames)
{
	for (int v = 0; v < SEQ_VIEWS; v++)
		mcopy_put(M.vcopy[v]);
	for (int b = 0; b < SEQ_SLOTS; b++) {
		free(M.pfns[b]);
		free(M.image[b]);
	}
	for (int si = 0; si < SEQ_SECS; si++) {
		free(M.scommit[si]);
		free(M.spfn[si]);
		free(M.simage[si]);
	}
	memset(&M, 0, sizeof(M));
	M.n_frames = n_frames;
	M.max_order = floor_log2(n_frames) > 30 ? 30 : floor_log2(n_frames);
	for (uint64_t f = 0; f < n_frames; f++)
		M.owner[f] = -1;
	M.owner[0] = -2;
	if (p->fragment_order)
		for (uint64_t f = (1ull << p->fragment_order) - 1; f < n_frames;
		     f += 1ull << p->fragment_order)
			M.owner[f] = -2;
}

static uint64_t model_frames_used(void)
{
	uint64_t n = 0;

	for (int b = 0; b < SEQ_SLOTS; b++)
		if (W.bufs[b].live)
			n += W.bufs[b].npages;
	for (int si = 0; si < SEQ_SECS; si++)
		if (M.sec_known[si])
			n += M.scommit_n[si];
	return n;
}

static uint64_t model_frames_free(void)
{
	uint64_t n = 0;

	for (uint64_t f = 0; f < M.n_frames; f++)
		n += M.owner[f] == -1;
	return n - M.sec_unknown;
}

/* 1 if an aligned run of 2^order free frames exists. */
static int model_free_block(unsigned order)
{
	uint64_t size = 1ull << order;

	for (uint64_t start = 0; start + size <= M.n_frames; start += size) {
		uint64_t f = start;

		while (f < start + size && M.owner[f] == -1)
			f++;
		if (f == start + size)
			return 1;
	}
	return 0;
}

/* Find the byte source of one page: *src = buffer bytes, NULL for a zero
 * page; returns 0 when the page is not mapped, or (user space) its view's
 * protection refuses the access: no access and guard pages refuse both, the
 * read-only kinds a write (@write).  A copy-on-write view reads its private
 * copy of a page once it has one; a write to it with @commit makes the copy
 * (from the section's bytes) and returns it.  @user: process index, or -1
 * for kernel space. */
static int model_page(int user, uint64_t page, int write, int commit, uint8_t **src)
{
	*src = NULL;
	if (user >= 0) {
		for (int s = 0; s < SEQ_SLOTS; s++) {
			const struct seq_slot *sl = &W.slots[s];

			if (sl->kb && sl->proc == user && page >= sl->uaddr &&
			    page < sl->uaddr + sl->npages * PAGE) {
				*src = M.image[sl->buf] + (page - sl->uaddr);
				return 1;
			}
		}
		for (int v = 0; v < SEQ_VIEWS; v++) {
			const struct seq_view *sv = &W.views[v];
			uint32_t base = sv->protect & 0xFFu;
			uint64_t pg, i;
			uint8_t **copy;

			if (!sv->live || sv->proc != user || page < sv->addr || page - sv->addr >= sv->size)
				continue;
			pg = sv->first_page + (page - sv->addr) / PAGE;
			if (!M.scommit[sv->sec][pg])
				return 0;  /* an uncommitted SEC_RESERVE page */
			if (base == PAGE_NOACCESS || (sv->protect & PAGE_GUARD))
				return 0;
			if (write && (base == PAGE_READONLY || base == PAGE_EXECUTE ||
				      base == PAGE_EXECUTE_READ))
				return 0;
			*src = M.simage[sv->sec] + pg * PAGE;
			if (!view_is_copy(sv->protect))
				return 1;
			if (!M.vcopy[v])
				fail("%s", "model: a copy-on-write view without its copies (harness bug)");
			i = (page - sv->addr) / PAGE;
			copy = &M.vcopy[v]->page[i];
			if (!*copy && write && commit) {
				if (!(*copy = malloc(PAGE)))
					fail("%s", "harness out of memory");
				memcpy(*copy, *src, PAGE);
			}
			if (*copy)
				*src = *copy;
			return 1;
		}
		return 0;
	}
	if (W.kbase && page >= W.kbase && page < W.kbase + M.n_frames * PAGE) {
		uint64_t f = (page - W.kbase) / PAGE;

		if (M.owner[f] == -2)
			return 0;
		if (M.owner[f] >= SEC_OWNER)
			*src = M.simage[M.owner[f] - SEC_OWNER] + (uint64_t)M.page_of[f] * PAGE;
		else if (M.owner[f] >= 0)
			*src = M.image[M.owner[f]] + (uint64_t)M.page_of[f] * PAGE;
		return 1;
	}
	for (int b = 0; b < SEQ_SLOTS; b++) {
		if (W.bufs[b].live && M.is_vmalloc[b] && page >= W.bufs[b].kaddr &&
		    page < W.bufs[b].kaddr + W.bufs[b].npages * PAGE) {
			*src = M.image[b] + (page - W.bufs[b].kaddr);
			return 1;
		}
	}
	return 0;
}

/* Predict an access: returns the status; fills exp_data for reads, and
 * applies a write to the images when @commit. */
static kmemu_status model_access(const struct seq_call *c, int commit)
{
	int user = -1;
	int is_write = c->kind == SEQ_C_UWRITE || c->kind == SEQ_C_KWRITE;
	uint8_t pattern[SEQ_MAX_LEN];

	if (!c->addr)
		return STATUS_INVALID_PARAMETER;
	if (c->kind == SEQ_C_UWRITE || c->kind == SEQ_C_UREAD) {
		if (c->pid == 0) {
			user = W.cur;
		} else {
			for (int p = 0; p < SEQ_PROCS; p++)
				if (W.proc_live[p] && W.pids[p] == c->pid)
					user = p;
			if (user < 0)
				return STATUS_INVALID_PARAMETER;
		}
	}
	/* The contract: ACCESS_VIOLATION when a byte of the range is not
	 * mapped - an empty range has no such byte, wherever it points. */
	if (c->len == 0)
		return STATUS_SUCCESS;
	if (c->addr + c->len < c->addr)
		return STATUS_ACCESS_VIOLATION;
	/* Every page first: nothing is copied when one is missing. */
	for (uint64_t a = c->addr & ~(PAGE - 1); a < c->addr + c->len; a += PAGE) {
		uint8_t *src;

		if (!model_page(user, a, is_write, 0, &src))
			return STATUS_ACCESS_VIOLATION;
	}
	if (is_write)
		seq_pattern(c, pattern);
	for (uint64_t a = c->addr; a < c->addr + c->len;) {
		uint64_t page = a & ~(PAGE - 1), chunk = page + PAGE - a;
		uint8_t *src;

		if (chunk > c->addr + c->len - a)
			chunk = c->addr + c->len - a;
		model_page(user, page, is_write, commit, &src);
		if (!is_write) {
			if (src)
				memcpy(exp_data + (a - c->addr), src + (a - page), chunk);
			else
				memset(exp_data + (a - c->addr), 0, chunk);
		} else if (commit) {
			if (src)
				memcpy(src + (a - page), pattern + (a - c->addr), chunk);
			else
				fail("model: a write reached a free frame (%s)", "harness bug");
		}
		a += chunk;
	}
	return STATUS_SUCCESS;
}

static int model_handle_live(uint32_t h)
{
	for (int b = 0; b < SEQ_SLOTS; b++)
		if (W.bufs[b].live && W.bufs[b].handle == h)
			return 1;
	return 0;
}

static int fault_config_valid(const struct kmemu_fault_config *f)
{
	return f->mode <= KMEMU_FAULT_RANDOM && !(f->mode == KMEMU_FAULT_EVERY_NTH && f->n == 0) &&
	       !(f->mode == KMEMU_FAULT_RANDOM && f->rate_ppm > 1000000);
}

/* ---- the section model --------------------------------------------------------- */

/* SectionPageProtection: one base protection other than PAGE_NOACCESS. */
static int create_protect_valid(uint32_t p)
{
	return p == PAGE_READONLY || p == PAGE_READWRITE || p == PAGE_WRITECOPY || p == PAGE_EXECUTE ||
	       p == PAGE_EXECUTE_READ || p == PAGE_EXECUTE_READWRITE || p == PAGE_EXECUTE_WRITECOPY;
}

/* AllocationAttributes (spec §2). */
static int create_attributes_valid(uint32_t a)
{
	uint32_t kind = a & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE);

	if (a & ~(uint32_t)(SEC_COMMIT | SEC_RESERVE | SEC_IMAGE | SEC_NOCACHE | SEC_WRITECOMBINE |
			    SEC_LARGE_PAGES | SEC_NO_CHANGE))
		return 0;
	if (kind != SEC_COMMIT && kind != SEC_RESERVE && kind != SEC_IMAGE)
		return 0;
	if ((a & SEC_IMAGE) && (a & (SEC_LARGE_PAGES | SEC_NO_CHANGE | SEC_WRITECOMBINE)))
		return 0;
	if ((a & SEC_NOCACHE) && (a & SEC_WRITECOMBINE))
		return 0;
	if ((a & SEC_LARGE_PAGES) && !(a & SEC_COMMIT))
		return 0;
	return 1;
}

/* Win32Protect validity (spec §4.4). */
static int map_protect_valid(uint32_t p)
{
	uint32_t lo = p & 0x0Fu, hi = p & 0xF0u;

	if (p >= 0x800u || !lo == !hi || (lo & (lo - 1)) || (hi & (hi - 1)))
		return 0;
	if ((p & PAGE_GUARD) && (lo == PAGE_NOACCESS || (p & (PAGE_NOCACHE | PAGE_WRITECOMBINE))))
		return 0;
	if ((p & PAGE_NOCACHE) && (lo == PAGE_NOACCESS || (p & PAGE_WRITECOMBINE)))
		return 0;
	if ((p & PAGE_WRITECOMBINE) && lo == PAGE_NOACCESS)
		return 0;
	return 1;
}

/* MmCompatibleProtectionMask (spec §4.4). */
static int protect_compatible(uint32_t sec, uint32_t view)
{
	const uint32_t base = PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY;
	uint32_t allowed;

	switch (sec) {
	case PAGE_READONLY:
	case PAGE_WRITECOPY: allowed = base; break;
	case PAGE_READWRITE: allowed = base | PAGE_READWRITE; break;
	case PAGE_EXECUTE: allowed = PAGE_NOACCESS | PAGE_EXECUTE; break;
	case PAGE_EXECUTE_READ: allowed = base | PAGE_EXECUTE | PAGE_EXECUTE_READ; break;
	case PAGE_EXECUTE_WRITECOPY:
		allowed = base | PAGE_EXECUTE | PAGE_EXECUTE_READ | PAGE_EXECUTE_WRITECOPY;
		break;
	default: allowed = 0xFFu; break;
	}
	return (view & 0xFFu & ~allowed) == 0;
}

/* Look a handle value up in the current process: a process handle
 * (@want_proc; *@p receives the process index, -1 when dead) or a section
 * handle (*@p receives the section slot). */
static kmemu_status model_ref(uintptr_t v, int want_proc, uint32_t access, int *p)
{
	int hi;

	*p = -1;
	if (v == PSEUDO_PROCESS) {
		*p = W.cur;
		return want_proc ? STATUS_SUCCESS : STATUS_OBJECT_TYPE_MISMATCH;
	}
	if (v > UINT32_MAX)
		return STATUS_INVALID_HANDLE;
	hi = seq_handle_find(&W, W.cur, v);
	if (hi < 0)
		return STATUS_INVALID_HANDLE;
	if (W.hs[hi].is_proc != want_proc)
		return STATUS_OBJECT_TYPE_MISMATCH;
	if ((W.hs[hi].granted & access) != access)
		return STATUS_ACCESS_DENIED;
	if (!want_proc) {
		*p = W.hs[hi].sec;
		return STATUS_SUCCESS;
	}
	*p = seq_proc_of_pid(&W, W.hs[hi].target);
	return *p < 0 ? STATUS_PROCESS_IS_TERMINATING : STATUS_SUCCESS;
}

static kmemu_status predict_screate(const struct seq_call *c)
{
	uint64_t npages;

	if (c->null_out)
		return STATUS_ACCESS_VIOLATION;
	if (!create_attributes_valid(c->attributes))
		return STATUS_INVALID_PARAMETER_6;
	if (!create_protect_valid(c->protect))
		return STATUS_INVALID_PAGE_PROTECTION;
	if (c->attributes & SEC_IMAGE)
		return STATUS_INVALID_FILE_FOR_SECTION;
	if (!c->has_size || c->size == 0)
		return STATUS_INVALID_PARAMETER_4;
	if (c->size < 0 || (uint64_t)c->size >= 0x800000000000ull)
		return STATUS_SECTION_TOO_BIG;
	npages = ((uint64_t)c->size + PAGE - 1) / PAGE;
	if ((c->attributes & SEC_RESERVE) && (uint64_t)c->size > (1ull << 38))
		return STATUS_INSUFFICIENT_RESOURCES;
	if ((c->attributes & SEC_COMMIT) && npages > model_frames_free())
		return STATUS_COMMITMENT_LIMIT;
	if (c->name >= 0 &&
	    seq_name_lookup(&W, c->name, c->name_case, (c->obj_attr & OBJ_CASE_INSENSITIVE) != 0) >= 0)
		return c->obj_attr & OBJ_OPENIF ? STATUS_OBJECT_NAME_EXISTS : STATUS_OBJECT_NAME_COLLISION;
	return STATUS_SUCCESS;
}

static kmemu_status predict_smap(const struct seq_call *c)
{
	const struct seq_sec *s;
	kmemu_status rc;
	uint64_t npages, first, ncommit, want = 0;
	int p, si;

	if (!map_protect_valid(c->protect))
		return STATUS_INVALID_PAGE_PROTECTION;
	if (c->null_out)
		return STATUS_ACCESS_VIOLATION;
	if (c->view_size > USER_LAST)
		return STATUS_INVALID_PARAMETER_3;
	if ((rc = model_ref(c->ph, 1, PROCESS_VM_OPERATION, &p)))
		return rc;
	if ((rc = model_ref(c->h, 0, seq_section_access(c->protect), &si)))
		return rc;
	if (c->offset & 0xFFFF)
		return STATUS_MAPPED_ALIGNMENT;
	s = &W.secs[si];
	if (!protect_compatible(s->protect, c->protect))
		return STATUS_SECTION_PROTECTION;
	if (c->offset >= s->size || c->view_size > s->size - c->offset)
		return STATUS_INVALID_VIEW_SIZE;
	npages = ((c->view_size ? c->view_size : s->size - c->offset) + PAGE - 1) / PAGE;
	if (c->commit > npages * PAGE)
		return STATUS_INVALID_PARAMETER_5;
	if (s->attributes & SEC_RESERVE) {
		first = c->offset / PAGE;
		ncommit = (c->commit + PAGE - 1) / PAGE;
		for (uint64_t i = first; i < first + ncommit; i++)
			want += !M.scommit[si][i];
		if (want > model_frames_free())
			return STATUS_COMMITMENT_LIMIT;
	}
	return STATUS_SUCCESS;
}

static kmemu_status predict_sunmap(const struct seq_call *c)
{
	kmemu_status rc;
	int p;

	if (c->addr > USER_LAST)
		return STATUS_NOT_MAPPED_VIEW;
	if ((rc = model_ref(c->ph, 1, PROCESS_VM_OPERATION, &p)))
		return rc;
	return seq_view_at(&W, p, c->addr) >= 0 ? STATUS_SUCCESS : STATUS_NOT_MAPPED_VIEW;
}

static kmemu_status predict_squery(const struct seq_call *c)
{
	kmemu_status rc;
	int si;

	if ((rc = model_ref(c->h, 0, SECTION_QUERY, &si)))
		return rc;
	if (c->qclass != SectionBasicInformation)
		return STATUS_SECTION_NOT_IMAGE;
	if (c->qlen < sizeof(SECTION_BASIC_INFORMATION))
		return STATUS_INFO_LENGTH_MISMATCH;
	return STATUS_SUCCESS;
}

/* The prediction for a section service, after the IRQL rule. */
static void predict_section(const struct seq_call *c, struct expect *e)
{
	if (W.irql != PASSIVE_LEVEL) {
		e->kind = SEQ_ST_BUGCHECK;
		e->status = IRQL_NOT_LESS_OR_EQUAL;
		e->may_fault = 0;
		return;
	}
	switch (c->kind) {
	case SEQ_C_SCREATE:
		e->status = predict_screate(c);
		break;
	case SEQ_C_SOPEN:
		if (c->null_out)
			e->status = STATUS_ACCESS_VIOLATION;
		else if (c->name_mode)
			e->status = STATUS_OBJECT_PATH_SYNTAX_BAD;
		else
			e->status = seq_name_lookup(&W, c->name, c->name_case,
						    (c->obj_attr & OBJ_CASE_INSENSITIVE) != 0) >= 0
					    ? STATUS_SUCCESS : STATUS_OBJECT_NAME_NOT_FOUND;
		break;
	case SEQ_C_SMAP:
		e->status = predict_smap(c);
		break;
	case SEQ_C_SUNMAP:
		e->status = predict_sunmap(c);
		break;
	case SEQ_C_SCLOSE:
		e->status = c->h <= UINT32_MAX && seq_handle_find(&W, W.cur, c->h) >= 0
				    ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
		break;
	default:
		e->status = predict_squery(c);
		break;
	}
}

/* The prediction for one call. */
static void model_predict(const struct seq_call *c, struct expect *e)
{
	e->kind = SEQ_ST_NT;
	e->status = STATUS_SUCCESS;
	e->may_fault = M.faults_on && seq_acquires(c);
	e->has_alt = 0;
	if (seq_is_section_call(c)) {
		predict_section(c, e);
		return;
	}
	switch (c->kind) {
	case SEQ_C_POPEN:
	case SEQ_C_PCHILD:
		e->status = !c->null_out && seq_proc_of_pid(&W, c->pid) >= 0 ? STATUS_SUCCESS
									     : STATUS_INVALID_PARAMETER;
		break;
	case SEQ_C_NOP:
		e->kind = SEQ_ST_NONE;
		break;
	case SEQ_C_ALLOC: {
		uint32_t kind = c->options & (KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG);
		uint64_t npages = c->bytes / PAGE + (c->bytes % PAGE != 0);

		e->kind = SEQ_ST_WD;
		if (c->null_out || c->bytes == 0 ||
		    (c->options & ~(uint32_t)(KER_BUF_ALLOC_CONTIG | KER_BUF_ALLOC_NON_CONTIG |
					      KER_BUF_ALLOC_CACHED)) ||
		    (kind != KER_BUF_ALLOC_CONTIG && kind != KER_BUF_ALLOC_NON_CONTIG))
			e->status = WD_INVALID_PARAMETER;
		else if (npages > M.n_frames || npages > model_frames_free())
			e->status = WD_INSUFFICIENT_RESOURCES;
		else if (kind == KER_BUF_ALLOC_CONTIG &&
			 (ceil_log2(npages) > M.max_order || !model_free_block(ceil_log2(npages))))
			e->status = WD_INSUFFICIENT_RESOURCES;
		else
			e->status = WD_STATUS_SUCCESS;
		/* Section frames not learned yet may sit anywhere: a run the
		 * model sees free may not be. */
		if (e->status == WD_STATUS_SUCCESS && kind == KER_BUF_ALLOC_CONTIG && M.sec_unknown) {
			e->has_alt = 1;
			e->alt = WD_INSUFFICIENT_RESOURCES;
		}
		break;
	}
	case SEQ_C_GET:
		e->kind = SEQ_ST_WD;
		if (c->null_out)
			e->status = WD_INVALID_PARAMETER;
		else
			e->status = c->handle && model_handle_live(c->handle) ? WD_STATUS_SUCCESS
									      : WD_INVALID_HANDLE;
		break;
	case SEQ_C_FREE:
	case SEQ_C_FREE_AS: {
		int proc = c->kind == SEQ_C_FREE_AS ? c->proc : W.cur;

		e->kind = SEQ_ST_WD;
		e->status = WD_INVALID_HANDLE;
		if (!c->ptr)
			e->status = WD_INVALID_PARAMETER;
		for (int s = 0; s < SEQ_SLOTS; s++)
			if (c->ptr && W.slots[s].kb == c->ptr && W.slots[s].proc == proc)
				e->status = WD_STATUS_SUCCESS;
		break;
	}
	case SEQ_C_PCREATE:
		e->status = c->null_out ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
		break;
	case SEQ_C_PDESTROY:
	case SEQ_C_ATTACH: {
		int p = -1;

		for (int i = 0; i < SEQ_PROCS; i++)
			if (W.proc_live[i] && W.pids[i] == c->pid)
				p = i;
		if (p < 0)
			e->status = STATUS_INVALID_PARAMETER;
		else if (c->kind == SEQ_C_PDESTROY && p == 0)
			e->status = STATUS_ACCESS_DENIED;
		break;
	}
	case SEQ_C_UWRITE:
	case SEQ_C_UREAD:
	case SEQ_C_KWRITE:
	case SEQ_C_KREAD:
		e->status = model_access(c, 0);
		break;
	case SEQ_C_IRQL_SET:
		e->status = c->irql > 15 ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
		break;
	case SEQ_C_RAISE:
		e->kind = SEQ_ST_BUGCHECK;
		e->status = c->irql < W.irql || c->irql > 15 ? IRQL_NOT_GREATER_OR_EQUAL : 0;
		break;
	case SEQ_C_LOWER:
		e->kind = SEQ_ST_BUGCHECK;
		e->status = c->irql > W.irql ? IRQL_NOT_LESS_OR_EQUAL : 0;
		break;
	case SEQ_C_FAULT:
		e->status = fault_config_valid(&c->fault) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
		break;
	default:  /* section services: predict_section() */
		break;
	}
}

static int ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* A new holding in slot @s: its user range must not overlap another holding
 * of the process, and sampled user pages must be the buffer's frames. */
static void model_check_holding(int s)
{
	const struct seq_slot *sl = &W.slots[s];
	uint64_t n = sl->npages, samples[3] = { 0, n / 2, n - 1 };

	if (!sl->uaddr || !sl->kaddr)
		fail("%s", "a description has a zero pUserAddr or pKernelAddr");
	for (int t = 0; t < SEQ_SLOTS; t++)
		if (t != s && W.slots[t].kb && W.slots[t].proc == sl->proc &&
		    ranges_overlap(sl->uaddr, n * PAGE, W.slots[t].uaddr, W.slots[t].npages * PAGE))
			fail("%s", "two holdings of one process overlap in user space");
	for (int i = 0; i < 3; i++) {
		uint64_t phys;

		if (kmemu_virt_to_phys(sl->pid, (const void *)(uintptr_t)(sl->uaddr + samples[i] * PAGE),
				       &phys) ||
		    phys / PAGE != M.pfns[sl->buf][samples[i]])
			fail("%s", "a user page is not the buffer's frame (virt_to_phys)");
	}
}

/* Learn a new buffer's frames through kmemu_virt_to_phys of its kernel view
 * and check them against the allocator's rules. */
static void model_learn_buffer(int b)
{
	const struct seq_buf *sb = &W.bufs[b];
	int consecutive = 1;
	uint32_t *pf = malloc(sb->npages * sizeof(uint32_t));

	M.image[b] = calloc(sb->npages, PAGE);
	M.pfns[b] = pf;
	if (!pf || !M.image[b])
		fail("%s", "harness out of memory");
	for (uint64_t i = 0; i < sb->npages; i++) {
		uint64_t phys;

		if (kmemu_virt_to_phys(0, (const void *)(uintptr_t)(sb->kaddr + i * PAGE), &phys))
			fail("%s", "virt_to_phys of a kernel page of a new buffer failed");
		if (phys % PAGE || phys / PAGE >= M.n_frames)
			fail("%s", "a kernel page of a new buffer maps no valid frame");
		pf[i] = (uint32_t)(phys / PAGE);
		if (M.owner[pf[i]] != -1)
			fail("%s", M.owner[pf[i]] == -2 ? "a new buffer got a reserved frame" :
				   M.owner[pf[i]] >= SEC_OWNER ? "a new buffer got a frame a section holds"
							: "a new buffer got a frame another buffer holds");
		M.owner[pf[i]] = (int16_t)b;
		M.page_of[pf[i]] = (uint32_t)i;
		if (i && pf[i] != pf[i - 1] + 1)
			consecutive = 0;
	}
	if ((sb->options & KER_BUF_ALLOC_CONTIG) && !consecutive)
		fail("%s", "a CONTIG buffer's frames are not contiguous");
	M.is_vmalloc[b] = !consecutive;
	if (consecutive) {
		uint64_t kbase = sb->kaddr - (uint64_t)pf[0] * PAGE;

		if (W.kbase && W.kbase != kbase)
			fail("%s", "a buffer of one frame run is not at its direct-map address");
		W.kbase = kbase;
	} else if (W.kbase && sb->kaddr >= W.kbase && sb->kaddr < W.kbase + M.n_frames * PAGE) {
		fail("%s", "a scattered buffer's kernel view is inside the direct map");
	}
}

static void model_forget_buffer(int b)
{
	for (uint64_t i = 0; i < W.bufs[b].npages; i++)
		M.owner[M.pfns[b][i]] = -1;
	free(M.pfns[b]);
	free(M.image[b]);
	M.pfns[b] = NULL;
	M.image[b] = NULL;
	M.is_vmalloc[b] = 0;
}

/* A section the world just got: its pages (SEC_COMMIT: all committed, frames
 * not learned until a view shows them), its zero image. */
static void model_learn_section(int si)
{
	const struct seq_sec *s = &W.secs[si];

	M.scommit[si] = calloc(s->npages, 1);
	M.spfn[si] = calloc(s->npages, sizeof(uint32_t));
	M.simage[si] = calloc(s->npages, PAGE);
	if (!M.scommit[si] || !M.spfn[si] || !M.simage[si])
		fail("%s", "harness out of memory");
	M.sec_known[si] = 1;
	M.scommit_n[si] = 0;
	if (s->attributes & SEC_COMMIT) {
		memset(M.scommit[si], 1, s->npages);
		M.scommit_n[si] = s->npages;
		M.sec_unknown += s->npages;
	}
}

/* A section the world lost: its frames are free again. */
static void model_forget_section(int si)
{
	for (uint64_t pg = 0; pg < W.secs[si].npages; pg++) {
		if (M.spfn[si][pg])
			M.owner[M.spfn[si][pg]] = -1;
		else if (M.scommit[si][pg])
			M.sec_unknown--;
	}
	free(M.scommit[si]);
	free(M.spfn[si]);
	free(M.simage[si]);
	M.scommit[si] = NULL;
	M.spfn[si] = NULL;
	M.simage[si] = NULL;
	M.sec_known[si] = 0;
	M.scommit_n[si] = 0;
}

/* Sync the model's sections with the world's after a call. */
static void model_sync_sections(void)
{
	for (int si = 0; si < SEQ_SECS; si++) {
		if (M.sec_known[si] && !W.secs[si].live)
			model_forget_section(si);
		if (!M.sec_known[si] && W.secs[si].live)
			model_learn_section(si);
	}
}

/* A new view: commit what it committed, learn the frames it shows, check
 * its placement and what kmemu_view_query reports. */
static void model_learn_view(const struct seq_call *c, const struct seq_result *r)
{
	const struct seq_view *v = &W.views[c->view];
	const struct seq_sec *s = &W.secs[v->sec];
	int si = v->sec;
	uint64_t npages = ((c->view_size ? c->view_size : s->size - c->offset) + PAGE - 1) / PAGE;
	struct kmemu_view_info vi;

	if (r->base % 0x10000 || r->view_size != npages * PAGE || r->offset != c->offset)
		fail("%s", "a view is not 64 KiB aligned, its size is not the pages asked, or the offset changed");
	for (int t = 0; t < SEQ_VIEWS; t++)
		if (t != c->view && W.views[t].live && W.views[t].proc == v->proc &&
		    ranges_overlap(v->addr, v->size, W.views[t].addr, W.views[t].size))
			fail("%s", "two views of one process overlap");
	for (int t = 0; t < SEQ_SLOTS; t++)
		if (W.slots[t].kb && W.slots[t].proc == v->proc &&
		    ranges_overlap(v->addr, v->size, W.slots[t].uaddr, W.slots[t].npages * PAGE))
			fail("%s", "a view overlaps a WDS buffer's user mapping");
	if (s->attributes & SEC_RESERVE) {
		uint64_t first = c->offset / PAGE, n = (c->commit + PAGE - 1) / PAGE;

		for (uint64_t pg = first; pg < first + n; pg++) {
			if (!M.scommit[si][pg]) {
				M.scommit[si][pg] = 1;
				M.scommit_n[si]++;
				M.sec_unknown++;
			}
		}
	}
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t pg = v->first_page + i, phys = 0;
		kmemu_status rc = kmemu_virt_to_phys(v->pid, (const void *)(uintptr_t)(v->addr + i * PAGE),
						     &phys);

		if (!M.scommit[si][pg]) {
			if (rc != STATUS_INVALID_ADDRESS)
				fail("%s", "virt_to_phys translates an uncommitted page of a view");
			continue;
		}
		if (rc || phys / PAGE >= M.n_frames)
			fail("%s", "virt_to_phys of a committed page of a new view failed");
		if (M.spfn[si][pg]) {
			if (M.spfn[si][pg] != phys / PAGE)
				fail("%s", "a view shows another frame than an earlier view of the same page");
			continue;
		}
		if (M.owner[phys / PAGE] != -1)
			fail("%s", M.owner[phys / PAGE] == -2 ? "a section page got a reserved frame"
							     : "a section page got a frame something else holds");
		M.owner[phys / PAGE] = (int16_t)(SEC_OWNER + si);
		M.page_of[phys / PAGE] = (uint32_t)pg;
		M.spfn[si][pg] = (uint32_t)(phys / PAGE);
		M.sec_unknown--;
	}
	if (kmemu_view_query(v->pid, (const void *)(uintptr_t)v->addr, &vi))
		fail("%s", "kmemu_view_query does not find a new view");
	{
		uint32_t prot = c->protect;

		if (s->attributes & SEC_NOCACHE)
			prot = (prot & ~(uint32_t)PAGE_WRITECOMBINE) | PAGE_NOCACHE;
		else if (s->attributes & SEC_WRITECOMBINE)
			prot = (prot & ~(uint32_t)PAGE_NOCACHE) | PAGE_WRITECOMBINE;
		if ((uint64_t)(uintptr_t)vi.base != v->addr || vi.size != v->size ||
		    vi.section_offset != c->offset || vi.protect != prot || vi.inherit != c->inherit ||
		    vi.state != (M.scommit[si][v->first_page] ? MEM_COMMIT : MEM_RESERVE))
			fail("%s", "kmemu_view_query reports other base, size, offset, protection, inherit or state");
	}
}

/* A new NT handle must not equal another live one of its process. */
static void model_check_new_handle(int hslot)
{
	const struct seq_handle *h = &W.hs[hslot];

	if (!h->value)
		fail("%s", "a new handle is 0");
	for (int i = 0; i < SEQ_HANDLES; i++)
		if (i != hslot && W.hs[i].live && W.hs[i].proc == h->proc && W.hs[i].value == h->value)
			fail("%s", "a new handle has the value of another live handle of its process");
}

/* kmemu_stats_get must account for exactly what the model holds. */
static void model_check_stats(void)
{
	struct kmemu_stats st;
	uint64_t bufs = 0, maps = 0, procs = 0, hands = 0;

	if (kmemu_stats_get(&st))
		fail("%s", "kmemu_stats_get failed");
	for (int b = 0; b < SEQ_SLOTS; b++) {
		bufs += W.bufs[b].live;
		maps += W.bufs[b].live && M.is_vmalloc[b];
	}
	for (int s = 0; s < SEQ_SLOTS; s++)
		maps += W.slots[s].kb != NULL;
	for (int v = 0; v < SEQ_VIEWS; v++)
		maps += W.views[v].live;
	for (int h = 0; h < SEQ_HANDLES; h++)
		hands += W.hs[h].live;
	for (int p = 0; p < SEQ_PROCS; p++)
		procs += W.proc_live[p];
	if (st.frames_used != model_frames_used())
		fail("%s", "stats: frames_used differs from the model's live buffers and committed section pages");
	if (st.wds_buffers != bufs || st.handles_used != bufs + hands)
		fail("%s", "stats: wds_buffers or handles_used differs from the model (WDS handles + NT handles)");
	if (st.mappings != maps)
		fail("%s", "stats: mappings differs from the model's holdings + vmalloc views + section views");
	if (st.processes != procs)
		fail("%s", "stats: processes differs from the model");
}

/* Check a successful call's outputs and teach the model what it learned. */
static void model_after(const struct seq_call *c, const struct seq_result *r, int new_buf,
			int faulted)
{
	if (faulted)
		return;
	switch (c->kind) {
	case SEQ_C_ALLOC:
		if (r->status || c->slot < 0)
			break;
		if (r->kb->qwBytes != c->bytes || r->kb->dwOptions != c->options || !r->kb->hKerBuf)
			fail("%s", "Alloc's description does not hold qwBytes/dwOptions as passed, or hKerBuf is 0");
		for (int b = 0; b < SEQ_SLOTS; b++)
			if (b != new_buf && W.bufs[b].live && W.bufs[b].handle == r->kb->hKerBuf)
				fail("%s", "Alloc returned the handle of another live buffer");
		for (unsigned i = 0; i < SEQ_RING && i < W.n_stale; i++)
			if (W.stale[i] == r->kb->hKerBuf)
				fail("%s", "Alloc re-issued a stale handle value");
		if (new_buf < 0)
			fail("%s", "harness: no buffer entry for a new buffer");
		model_learn_buffer(new_buf);
		model_check_holding(c->slot);
		break;
	case SEQ_C_GET: {
		const struct seq_buf *b;

		if (r->status || c->slot < 0)
			break;
		b = &W.bufs[W.slots[c->slot].buf];
		if (r->kb->hKerBuf != c->handle || r->kb->qwBytes != b->bytes ||
		    r->kb->dwOptions != b->options || r->kb->pKernelAddr != b->kaddr)
			fail("%s", "Get's description differs from the buffer's (handle, size, options, kernel address)");
		model_check_holding(c->slot);
		break;
	}
	case SEQ_C_SCREATE:
	case SEQ_C_SOPEN:
	case SEQ_C_POPEN:
		if (r->st_kind == SEQ_ST_NT && NT_SUCCESS((NTSTATUS)r->status) && c->hslot >= 0 &&
		    W.hs[c->hslot].live)
			model_check_new_handle(c->hslot);
		break;
	case SEQ_C_SMAP:
		if (r->st_kind == SEQ_ST_NT && r->status == STATUS_SUCCESS && c->view >= 0)
			model_learn_view(c, r);
		break;
	case SEQ_C_SQUERY:
		if (r->st_kind == SEQ_ST_NT && r->status == STATUS_SUCCESS) {
			int si = -1;

			model_ref(c->h, 0, 0, &si);
			if (si < 0 || r->q_base || r->q_size != W.secs[si].size ||
			    r->q_attr != (W.secs[si].attributes &
					  (SEC_COMMIT | SEC_RESERVE | SEC_NOCACHE | SEC_WRITECOMBINE)) ||
			    r->q_ret != sizeof(SECTION_BASIC_INFORMATION))
				fail("%s", "NtQuerySection reports another base, size or attributes");
		}
		break;
	case SEQ_C_PCHILD:
	case SEQ_C_PCREATE:
		if (r->status)
			break;
		if (!r->pid || r->pid % 4)
			fail("%s", "a new pid is 0 or not a multiple of 4");
		for (unsigned i = 0; i < M.n_seen; i++)
			if (M.seen_pids[i] == r->pid)
				fail("%s", "a pid was handed out twice");
		if (M.n_seen < 64)
			M.seen_pids[M.n_seen++] = r->pid;
		break;
	case SEQ_C_ATTACH:
		if (!r->status && r->pid != W.pids[pre_cur])
			fail("%s", "attach reported the wrong previous process");
		break;
	case SEQ_C_UWRITE:
	case SEQ_C_KWRITE:
		if (!r->status)
			model_access(c, 1);
		break;
	case SEQ_C_UREAD:
	case SEQ_C_KREAD:
		if (!r->status && memcmp(exp_data, r->data, c->len)) {
			static char where[96];
			uint32_t i = 0;

			while (exp_data[i] == r->data[i])
				i++;
			snprintf(where, sizeof(where), "byte %u: expected 0x%02x, read 0x%02x", i,
				 exp_data[i], r->data[i]);
			fail("read returned other bytes than the model's image (%s)", where);
		}
		break;
	case SEQ_C_IRQL_SET:
		if (!r->status && (r->old_irql != pre_irql || r->irql_after != c->irql))
			fail("%s", "kmemu_irql_set: wrong old level or level not set");
		if (r->status && r->irql_after != pre_irql)
			fail("%s", "a refused kmemu_irql_set changed the IRQL");
		break;
	case SEQ_C_RAISE:
		if (!r->status && (r->old_irql != pre_irql || r->irql_after != c->irql))
			fail("%s", "KeRaiseIrql: wrong old level or level not raised");
		if (r->status && r->irql_after != pre_irql)
			fail("%s", "a KeRaiseIrql that bug checked changed the IRQL");
		break;
	case SEQ_C_LOWER:
		if (r->irql_after != (r->status ? pre_irql : c->irql))
			fail("%s", "KeLowerIrql left the wrong IRQL");
		break;
	case SEQ_C_FAULT:
		if (!r->status)
			M.faults_on = c->fault.mode != KMEMU_FAULT_OFF;
		break;
	default:
		break;
	}
}

/* ---- one input --------------------------------------------------------------- */

/* A bug check no kmemu_bugcheck_catch() caught: print the program, abort. */
static void uncaught_bugcheck(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)ctx;
	fail("uncaught bug check %s (kmemu_bugcheck_catch did not catch it)", r->name);
}

static struct kmemu_backend *meter;  /* idle instance: heap counters without a machine */

static void heap_now(uint64_t *blocks, uint64_t *bytes)
{
	struct kmemu_stats st;

	kmemu_backend_set_current(meter);
	kmemu_stats_get(&st);
	*blocks = st.heap_blocks;
	*bytes = st.heap_bytes;
}

/**
 * LLVMFuzzerTestOneInput() - run one program against a fresh emulator and
 * the reference model.
 * @data, @size: the input (see seq.h).
 * Return: 0 (disagreements abort).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rdata[SEQ_MAX_LEN];
	struct kmemu_config cfg;
	struct kmemu_backend *b;
	struct kmemu_stats st;
	uint64_t hb0, hB0, hb1, hB1;
	const char *why = "";

	if (!seq_decode(data, size, &P))
		return 0;
	if (!meter) {
		struct kmemu_config mc;

		kmemu_config_default(&mc);
		mc.ram_bytes = 2 * PAGE;
		if (kmemu_backend_open("emu", &mc, &meter))
			abort();
		kmemu_bugcheck_set_handler(uncaught_bugcheck, NULL);
	}
	/* Global state is reset per input: faults off, IRQL 0, and a fresh
	 * machine (so the initial process is current). */
	kmemu_fault_set(NULL);
	heap_now(&hb0, &hB0);
	kmemu_irql_set(0, NULL);
	seq_config(&P, &cfg);
	if (kmemu_backend_open("emu", &cfg, &b))
		abort();
	kmemu_backend_set_current(b);
	n_log = 0;
	if (seq_world_init(&W, b, "emu"))
		fail("%s", "cannot initialise the world");
	model_reset(&P, W.frames_total);

	for (size_t i = 0; i < P.n_ops; i++) {
		struct log_entry *e = &LOG[n_log++];
		struct kmemu_fault_stats fs0, fs1;
		int faulted = 0, new_buf = -1;
		pre_irql = W.irql;
		pre_cur = W.cur;
		seq_resolve(&W, &P.ops[i], &e->call);
		model_predict(&e->call, &e->exp);
		e->res.data = rdata;
		kmemu_fault_get_stats(&fs0);
		seq_exec(&W, &e->call, &e->res);
		kmemu_fault_get_stats(&fs1);
		if (e->res.proto)
			fail("out-parameter rule broken: %s", e->res.proto);
		if ((e->res.st_kind != e->exp.kind || e->res.status != e->exp.status) &&
		    !(e->exp.has_alt && e->res.st_kind == e->exp.kind && e->res.status == e->exp.alt)) {
			uint32_t insuff = e->exp.kind == SEQ_ST_WD ? WD_INSUFFICIENT_RESOURCES
								   : (uint32_t)STATUS_INSUFFICIENT_RESOURCES;
			/* the emulator's acquisitions fail with either status (heap:
			 * INSUFFICIENT_RESOURCES; handle slot arrays, host address
			 * space: NO_MEMORY, see emu/handle.c and emu/section.c) */
			int nomem = e->exp.kind == SEQ_ST_NT && e->res.status == (uint32_t)STATUS_NO_MEMORY;

			if (!e->exp.may_fault || e->res.st_kind != e->exp.kind ||
			    (e->res.status != insuff && !nomem))
				fail("%s", "status differs from the prediction");
			if (fs1.failures == fs0.failures)
				fail("%s", "INSUFFICIENT_RESOURCES under fault injection, but no fault was injected");
			faulted = 1;
		}
		/* Learn the frames while the world still has the call's view. */
		seq_apply(&W, &e->call, &e->res, &new_buf);
		model_sync_sections();
		model_sync_copies();
		if ((e->call.kind == SEQ_C_FREE || e->call.kind == SEQ_C_FREE_AS ||
		     e->call.kind == SEQ_C_PDESTROY) && !e->res.status) {
			for (int bi = 0; bi < SEQ_SLOTS; bi++)
				if (!W.bufs[bi].live && M.pfns[bi])
					model_forget_buffer(bi);
		}
		model_after(&e->call, &e->res, new_buf, faulted);
		model_check_stats();
	}

	{
		static int trace = -1;  /* KMEMU_SEQ_PRINT=1: print every program (seed checks) */

		if (trace < 0)
			trace = getenv("KMEMU_SEQ_PRINT") != NULL;
		if (trace) {
			fprintf(stderr, "=== program of %zu calls\n", n_log);
			print_log();
		}
	}

	/* After the input: checkers, accounting, teardown, no leak. */
	kmemu_fault_set(NULL);
	M.faults_on = 0;
	if (kmemu_check(&why))
		fail("kmemu_check: %s", why);
	model_check_stats();
	if (seq_teardown(&W, &why))
		fail("%s", why);
	for (int bi = 0; bi < SEQ_SLOTS; bi++)
		if (M.pfns[bi])
			model_forget_buffer(bi);
	model_sync_sections();
	model_sync_copies();
	if (M.sec_unknown)
		fail("%s", "model: section pages left unaccounted after teardown");
	if (kmemu_check(&why))
		fail("kmemu_check after teardown: %s", why);
	if (kmemu_stats_get(&st) || st.frames_used || st.wds_buffers || st.mappings ||
	    st.handles_used || st.processes != 1)
		fail("%s", "leak after teardown: frames, buffers, mappings, handles or processes remain");
	kmemu_backend_set_current(NULL);
	kmemu_backend_close(b);
	heap_now(&hb1, &hB1);
	kmemu_backend_set_current(NULL);
	if (hb1 != hb0 || hB1 != hB0) {
		static char d[128];

		snprintf(d, sizeof(d), "%llu blocks / %llu bytes before, %llu / %llu after",
			 (unsigned long long)hb0, (unsigned long long)hB0, (unsigned long long)hb1,
			 (unsigned long long)hB1);
		fail("heap not back to its baseline after closing the machine: %s", d);
	}
	return 0;
}
