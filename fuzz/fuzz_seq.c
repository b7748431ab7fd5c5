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
 * With fault injection on, a call that acquires may fail with
 * INSUFFICIENT_RESOURCES instead (the fault simulator must then report an
 * injected failure) and the model keeps its state for that call.
 *
 * Checked after every call: status (and bytes), out-parameter rules, and
 * kmemu_stats_get against the model (frames, buffers, mappings, processes,
 * handles).  After every input: kmemu_check(), then teardown (free all,
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

/* ---- the model ------------------------------------------------------------ */

struct model {
	uint64_t n_frames;                /* frames of RAM */
	unsigned max_order;               /* largest buddy order */
	int16_t owner[MAX_FRAMES];        /* buffer owning each frame, -1 free, -2 reserved */
	uint32_t page_of[MAX_FRAMES];     /* page index of the frame in its buffer */
	uint32_t *pfns[SEQ_SLOTS];        /* frames of each live buffer */
	uint8_t *image[SEQ_SLOTS];        /* contents of each live buffer */
	int is_vmalloc[SEQ_SLOTS];        /* kernel view is a vmalloc area */
	int faults_on;                    /* a fault program is active */
	kmemu_pid seen_pids[64];          /* every pid handed out (never reused) */
	unsigned n_seen;                  /* entries of seen_pids */
};

/* What the model expects of one call. */
struct expect {
	enum seq_status_kind kind;  /* vocabulary */
	uint32_t status;            /* predicted status */
	int may_fault;              /* INSUFFICIENT_RESOURCES also acceptable (faults on) */
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

/* Print the program so far and abort. */
static void fail(const char *fmt, const char *detail)
{
	char line[512], es[64], as[64];

	fprintf(stderr, "\n=== fuzz_seq: model disagreement at call %zu: ", n_log ? n_log - 1 : 0);
	fprintf(stderr, fmt, detail ? detail : "");
	fprintf(stderr, "\n=== machine: RAM %llu frames, placement %s, fragment order %u, seed %llu\n",
		(unsigned long long)(P.ram_bytes / PAGE), placement_name(P.placement),
		P.fragment_order, (unsigned long long)P.seed);
	for (size_t i = 0; i < n_log; i++) {
		const struct log_entry *e = &LOG[i];

		seq_call_format(&e->call, line, sizeof(line));
		fprintf(stderr, "  #%-3zu %-90s expect %-26s got %s%s\n", i, line,
			seq_status_format(e->exp.kind, e->exp.status, es, sizeof(es)),
			seq_status_format(e->res.st_kind, e->res.status, as, sizeof(as)),
			e->exp.may_fault ? "  (faults on)" : "");
	}
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

static void model_reset(const struct seq_prog *p, uint64_t n_frames)
{
	for (int b = 0; b < SEQ_SLOTS; b++) {
		free(M.pfns[b]);
		free(M.image[b]);
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
	return n;
}

static uint64_t model_frames_free(void)
{
	uint64_t n = 0;

	for (uint64_t f = 0; f < M.n_frames; f++)
		n += M.owner[f] == -1;
	return n;
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
 * page; returns 0 when the page is not mapped.  @user: process index, or -1
 * for kernel space. */
static int model_page(int user, uint64_t page, uint8_t **src)
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
		return 0;
	}
	if (W.kbase && page >= W.kbase && page < W.kbase + M.n_frames * PAGE) {
		uint64_t f = (page - W.kbase) / PAGE;

		if (M.owner[f] == -2)
			return 0;
		if (M.owner[f] >= 0)
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

		if (!model_page(user, a, &src))
			return STATUS_ACCESS_VIOLATION;
	}
	if (is_write)
		seq_pattern(c, pattern);
	for (uint64_t a = c->addr; a < c->addr + c->len;) {
		uint64_t page = a & ~(PAGE - 1), chunk = page + PAGE - a;
		uint8_t *src;

		if (chunk > c->addr + c->len - a)
			chunk = c->addr + c->len - a;
		model_page(user, page, &src);
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

/* The prediction for one call. */
static void model_predict(const struct seq_call *c, struct expect *e)
{
	e->kind = SEQ_ST_NT;
	e->status = STATUS_SUCCESS;
	e->may_fault = M.faults_on && seq_acquires(c);
	switch (c->kind) {
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
			fail("%s", M.owner[pf[i]] == -2 ? "a new buffer got a reserved frame"
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

/* kmemu_stats_get must account for exactly what the model holds. */
static void model_check_stats(void)
{
	struct kmemu_stats st;
	uint64_t bufs = 0, maps = 0, procs = 0;

	if (kmemu_stats_get(&st))
		fail("%s", "kmemu_stats_get failed");
	for (int b = 0; b < SEQ_SLOTS; b++) {
		bufs += W.bufs[b].live;
		maps += W.bufs[b].live && M.is_vmalloc[b];
	}
	for (int s = 0; s < SEQ_SLOTS; s++)
		maps += W.slots[s].kb != NULL;
	for (int p = 0; p < SEQ_PROCS; p++)
		procs += W.proc_live[p];
	if (st.frames_used != model_frames_used())
		fail("%s", "stats: frames_used differs from the model's live buffers");
	if (st.wds_buffers != bufs || st.handles_used != bufs)
		fail("%s", "stats: wds_buffers or handles_used differs from the model");
	if (st.mappings != maps)
		fail("%s", "stats: mappings differs from the model's holdings + vmalloc views");
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
		if (e->res.st_kind != e->exp.kind || e->res.status != e->exp.status) {
			uint32_t insuff = e->exp.kind == SEQ_ST_WD ? WD_INSUFFICIENT_RESOURCES
								   : (uint32_t)STATUS_INSUFFICIENT_RESOURCES;

			if (!e->exp.may_fault || e->res.status != insuff)
				fail("%s", "status differs from the prediction");
			if (fs1.failures == fs0.failures)
				fail("%s", "INSUFFICIENT_RESOURCES under fault injection, but no fault was injected");
			faulted = 1;
		}
		/* Learn the frames while the world still has the call's view. */
		seq_apply(&W, &e->call, &e->res, &new_buf);
		if ((e->call.kind == SEQ_C_FREE || e->call.kind == SEQ_C_FREE_AS ||
		     e->call.kind == SEQ_C_PDESTROY) && !e->res.status) {
			for (int bi = 0; bi < SEQ_SLOTS; bi++)
				if (!W.bufs[bi].live && M.pfns[bi])
					model_forget_buffer(bi);
		}
		model_after(&e->call, &e->res, new_buf, faulted);
		model_check_stats();
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
