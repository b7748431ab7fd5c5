/* SPDX-License-Identifier: MIT */
/*
 * seq.c - decoding, resolving, running and printing operation-sequence
 * programs (see seq.h for the input format and the world model).
 *
 * Record layouts (a[0..6] are record bytes 1..7):
 *
 *   ALLOC   a0 slot | a1>>6 size mode: 0 small bytes (a2,a3), 1 pages (a2,a3)
 *           minus a4*16, 2 special (a2: 0, RAM+1 page, UINT64_MAX, 2^64-4095,
 *           2^40, RAM), 3 raw 32-bit (a2..a5) | a6 options: < 0xC0 valid
 *           (bit0 CONTIG, bit1 CACHED), else raw bits; a1 & 1 with mode 2:
 *           NULL ppBuf
 *   GET     a0 slot | a1 % 6: 0,1 live handle of slot a2, 2 stale handle a2,
 *           3 raw (a2..a5), 4 live handle with bit a3 flipped, 5 NULL ppKerBuf
 *   FREE    a0 slot | a1 % 6: 0,1 as its holder, 2 from the current process,
 *           3 NULL, 4 a freed pointer a2, 5 garbage (a2 % 3: small integer,
 *           inside a live description, a forged description)
 *   PDESTROY/ATTACH  a0 % 4: 0..2 process index a1 (its last pid when dead),
 *           3 raw pid (a1..a4)
 *   WRITE/READ  a0 slot | a1 % 4 view: 0 user alias (holder's pid), 1 user
 *           alias (pid 0 = current), 2 kernel alias, 3 user access at the
 *           kernel address | a2,a3 offset | a4 length code | a5>>6 offset
 *           mode: 0 inside, 1 across the end, 2 before the start, 3 up to
 *           64 KiB past the end | a6 pattern
 *   IRQL/RAISE/LOWER  a0 level (% 20 / % 18 / % 18)
 *   FAULT   a0 % 6: 0 off, 1,2 NTH, 3 RANDOM, 4 EVERY_NTH, 5 invalid |
 *           a1 & 15 resources (0 = all) | a2 % 8 n | a3 % 3 repeat |
 *           a4 rate | a5 seed
 *   PHYS    a0,a1 frame | a2,a3 offset in the frame | a4 length code
 */
#include <stdio.h>
#include <string.h>
#include "seq.h"

#define PAGE 4096ull

static uint16_t u16_of(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t u32_of(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- decoding ------------------------------------------------------------- */

int seq_decode(const uint8_t *data, size_t size, struct seq_prog *prog)
{
	static const uint64_t rams[4] = { 16 * PAGE, 64 * PAGE, 256 * PAGE, 1024 * PAGE };
	static const uint8_t frags[8] = { 0, 0, 0, 0, 1, 2, 3, 4 };

	if (size < SEQ_HEADER)
		return 0;
	prog->placement = (uint8_t)(data[0] % 3);
	prog->fragment_order = frags[(data[0] >> 2) & 7];
	prog->ram_bytes = rams[data[1] & 3];
	prog->seed = (uint64_t)(data[1] >> 2) + 1;
	prog->n_ops = 0;
	for (size_t off = SEQ_HEADER; off + SEQ_RECORD <= size && prog->n_ops < SEQ_MAX_OPS;
	     off += SEQ_RECORD) {
		struct seq_op *op = &prog->ops[prog->n_ops++];

		op->kind = (uint8_t)(data[off] % 16);
		memcpy(op->a, data + off + 1, 7);
	}
	return 1;
}

void seq_config(const struct seq_prog *prog, struct kmemu_config *cfg)
{
	kmemu_config_default(cfg);
	cfg->ram_bytes = prog->ram_bytes;
	cfg->placement = (enum kmemu_placement)prog->placement;
	cfg->fragment_order = prog->fragment_order;
	cfg->seed = prog->seed;
	cfg->user_space_bytes = 0;
}

int seq_world_init(struct seq_world *w, struct kmemu_backend *b, const char *label)
{
	struct kmemu_stats st;

	memset(w, 0, sizeof(*w));
	w->b = b;
	w->label = label;
	if (kmemu_process_current(&w->pids[0]) || kmemu_stats_get(&st))
		return -1;
	w->proc_live[0] = 1;
	w->frames_total = st.frames_total;
	w->ram_bytes = st.frames_total * PAGE;
	return 0;
}

/* ---- resolving ------------------------------------------------------------- */

/* First empty slot at or after @from (cyclic), or -1. */
static int slot_free(const struct seq_world *w, unsigned from)
{
	for (unsigned i = 0; i < SEQ_SLOTS; i++) {
		unsigned s = (from + i) % SEQ_SLOTS;

		if (!w->slots[s].kb)
			return (int)s;
	}
	return -1;
}

/* Length codes: mostly short, sometimes page-sized or empty. */
static uint32_t len_of(uint8_t code)
{
	static const uint32_t big[8] = { 0, 4096, 4097, 8193, 2, 3, 4095, 64 };

	return code & 0x80 ? big[code & 7] : (uint32_t)(code & 0x3F) + 1;
}

/* A process argument: an index's pid (dead ones keep their last pid) or raw. */
static void resolve_pid(const struct seq_world *w, const uint8_t *a, struct seq_call *c)
{
	if (a[0] % 4 < 3) {
		c->proc = a[1] % SEQ_PROCS;
		c->pid = w->pids[c->proc];
		c->how = w->proc_live[c->proc] ? "live" : "dead";
		if (!c->pid) {  /* index never used: a destroyed pid, else a raw one */
			c->pid = w->n_dead ? w->dead[a[1] % (w->n_dead < SEQ_RING ? w->n_dead : SEQ_RING)]
					   : 0x7FFFFFFCu;
			c->proc = -1;
			c->how = "dead";
		}
	} else {
		c->pid = u32_of(a + 1);
		c->proc = -1;
		c->raw = 1;
		c->how = "raw";
	}
}

/* Reads and writes: the address from the slot's (possibly stale) views. */
static void resolve_access(const struct seq_world *w, const struct seq_op *op, struct seq_call *c)
{
	static const uint8_t nowhere;  /* host memory that is no kernel or user address */
	const uint8_t *a = op->a;
	const struct seq_slot *s;
	unsigned view = a[1] % 4;
	uint64_t size, off, u = u16_of(a + 2);
	uint64_t base;
	int is_write = op->kind == SEQ_OP_WRITE;

	c->slot = a[0] % SEQ_SLOTS;
	s = &w->slots[c->slot];
	c->len = len_of(a[4]);
	c->pat = a[6];
	c->step = (uint8_t)(a[5] | 1);
	size = s->used ? s->npages * PAGE : PAGE;
	switch (a[5] >> 6) {
	case 0: off = u % size; break;
	case 1: off = size - (u % 64) - 1; break;
	case 2: off = (uint64_t)0 - (u % 8192) - 1; break;
	default: off = u + (u % 16) * 4096; break;
	}
	c->how = !s->used ? "never-used" : s->kb ? "live" : "stale";
	if (view == 2) {
		base = s->used ? s->kaddr : (uint64_t)(uintptr_t)&nowhere;
		c->kind = is_write ? SEQ_C_KWRITE : SEQ_C_KREAD;
		if (is_write) {
			/* Kernel writes stay inside a live buffer: scribbling on free
			 * frames through the direct map is a driver bug, not a test. */
			if (!s->kb) {
				c->kind = SEQ_C_KREAD;
			} else {
				off %= size;
				if (c->len > size - off)
					c->len = (uint32_t)(size - off);
			}
		}
	} else {
		base = !s->used ? 0x10000 : view == 3 ? s->kaddr : s->uaddr;
		c->kind = is_write ? SEQ_C_UWRITE : SEQ_C_UREAD;
		c->pid = view == 1 ? 0 : s->used ? s->pid : 0;
		if (view == 3)
			c->how = "kernel-address";
	}
	c->addr = base + off;
}

void seq_resolve(const struct seq_world *w, const struct seq_op *op, struct seq_call *c)
{
	const uint8_t *a = op->a;
	const struct seq_slot *s;

	memset(c, 0, sizeof(*c));
	c->op = op->kind;
	c->slot = -1;
	c->proc = -1;
	c->how = "";
	switch (op->kind) {
	case SEQ_OP_ALLOC:
	case SEQ_OP_ALLOC2: {
		unsigned mode = a[1] >> 6;

		c->kind = SEQ_C_ALLOC;
		c->slot = slot_free(w, a[0] % SEQ_SLOTS);
		switch (mode) {
		case 0:
			c->bytes = 1 + u16_of(a + 2) % (5 * PAGE);
			break;
		case 1:
			c->bytes = (1 + u16_of(a + 2) % 1100) * PAGE - (uint64_t)a[4] * 16;
			break;
		case 2: {
			const uint64_t special[6] = { 0, w->ram_bytes + PAGE, UINT64_MAX,
						      UINT64_MAX - 4094, 1ull << 40, w->ram_bytes };

			c->bytes = special[a[2] % 6];
			c->null_out = a[1] & 1;
			break;
		}
		default:
			c->bytes = u32_of(a + 2);
			break;
		}
		if (a[6] < 0xC0)
			c->options = (a[6] & 1 ? KER_BUF_ALLOC_CONTIG : KER_BUF_ALLOC_NON_CONTIG) |
				     (a[6] & 2 ? KER_BUF_ALLOC_CACHED : 0);
		else
			c->options = a[6] & 0x20 ? 1u << (a[6] & 31) : a[6] & 0x1Fu;
		if (c->slot < 0)
			c->null_out = 1;  /* every slot full: the call still happens */
		c->how = mode == 3 ? "raw" : "";
		break;
	}
	case SEQ_OP_GET:
	case SEQ_OP_GET2: {
		const struct seq_slot *src = &w->slots[a[2] % SEQ_SLOTS];
		uint32_t live = src->kb ? w->bufs[src->buf].handle : 0;

		c->kind = SEQ_C_GET;
		c->slot = slot_free(w, a[0] % SEQ_SLOTS);
		switch (a[1] % 6) {
		case 0:
		case 1:
			c->handle = live;
			c->how = src->kb ? "live" : "zero";
			break;
		case 2:
			c->handle = w->n_stale ? w->stale[a[2] % (w->n_stale < SEQ_RING ? w->n_stale : SEQ_RING)]
					       : 0xFFFFFFFFu;
			c->how = "stale";
			break;
		case 3:
			c->handle = u32_of(a + 2);
			c->raw = 1;
			c->how = "raw";
			break;
		case 4:
			c->handle = live ^ (1u << (a[3] % 32));
			c->raw = 1;
			c->how = "near-miss";
			break;
		default:
			c->handle = live;
			c->null_out = 1;
			c->how = "null-out";
			break;
		}
		if (c->slot < 0)
			c->null_out = 1;
		break;
	}
	case SEQ_OP_FREE:
	case SEQ_OP_FREE2: {
		unsigned v = a[1] % 6;

		c->slot = a[0] % SEQ_SLOTS;
		s = &w->slots[c->slot];
		c->kind = SEQ_C_FREE;
		if (v <= 2 && s->kb) {
			c->ptr = s->kb;
			if (v < 2 && s->proc != w->cur) {
				c->kind = SEQ_C_FREE_AS;
				c->proc = s->proc;
				c->pid = w->pids[s->proc];
			}
			c->how = v < 2 ? "holder" : s->proc == w->cur ? "holder" : "foreign";
		} else if (v == 3) {
			c->how = "null";
		} else if (v == 4 || v <= 2) {
			unsigned n = w->n_freed < SEQ_RING ? w->n_freed : SEQ_RING;

			c->ptr = n ? w->freed[a[2] % n] : (WD_KERNEL_BUFFER *)&w->fake;
			c->how = n ? "freed" : "forged";
		} else {
			switch (a[2] % 3) {
			case 0:
				c->ptr = (WD_KERNEL_BUFFER *)(uintptr_t)(0x1000u + (a[3] & 0xF0u));
				c->how = "garbage";
				break;
			case 1:
				c->ptr = s->kb ? (WD_KERNEL_BUFFER *)((uint8_t *)s->kb + 8)
					       : (WD_KERNEL_BUFFER *)&w->fake;
				c->how = s->kb ? "interior" : "forged";
				break;
			default:
				c->ptr = (WD_KERNEL_BUFFER *)&w->fake;
				c->how = "forged";
				break;
			}
		}
		break;
	}
	case SEQ_OP_PCREATE: {
		int free_idx = -1;

		for (int i = 1; i < SEQ_PROCS && free_idx < 0; i++)
			if (!w->proc_live[i])
				free_idx = i;
		c->kind = SEQ_C_PCREATE;
		c->proc = free_idx;
		c->null_out = free_idx < 0;
		break;
	}
	case SEQ_OP_PDESTROY:
		c->kind = SEQ_C_PDESTROY;
		resolve_pid(w, a, c);
		break;
	case SEQ_OP_ATTACH:
		c->kind = SEQ_C_ATTACH;
		resolve_pid(w, a, c);
		break;
	case SEQ_OP_WRITE:
	case SEQ_OP_READ:
		resolve_access(w, op, c);
		break;
	case SEQ_OP_IRQL:
		c->kind = SEQ_C_IRQL_SET;
		c->irql = (uint8_t)(a[0] % 20);
		break;
	case SEQ_OP_RAISE:
		c->kind = SEQ_C_RAISE;
		c->irql = (uint8_t)(a[0] % 18);
		break;
	case SEQ_OP_LOWER:
		c->kind = SEQ_C_LOWER;
		c->irql = (uint8_t)(a[0] % 18);
		break;
	case SEQ_OP_FAULT: {
		struct kmemu_fault_config *f = &c->fault;

		c->kind = SEQ_C_FAULT;
		f->resources = a[1] & 15u;
		f->n = a[2] % 8;
		f->repeat = a[3] % 3;
		f->rate_ppm = ((uint32_t)a[4] + 1) * 2000;
		f->seed = a[5];
		switch (a[0] % 6) {
		case 0: f->mode = KMEMU_FAULT_OFF; break;
		case 1:
		case 2: f->mode = KMEMU_FAULT_NTH; break;
		case 3: f->mode = KMEMU_FAULT_RANDOM; break;
		case 4: f->mode = KMEMU_FAULT_EVERY_NTH; break;  /* n == 0 is invalid */
		default:
			if (a[4] & 1) {
				f->mode = (enum kmemu_fault_mode)(4 + a[5] % 4);
			} else {
				f->mode = KMEMU_FAULT_RANDOM;
				f->rate_ppm = 1000001u + a[5];
			}
			break;
		}
		break;
	}
	default: { /* SEQ_OP_PHYS */
		static const uint8_t nowhere;
		uint64_t frame = u16_of(a) % (w->frames_total ? w->frames_total : 1);

		c->kind = SEQ_C_KREAD;
		c->len = len_of(a[4]);
		c->addr = w->kbase ? w->kbase + frame * PAGE + u16_of(a + 2) % PAGE
				   : (uint64_t)(uintptr_t)&nowhere;
		c->how = w->kbase ? "direct-map" : "host-address";
		break;
	}
	}
}

/* ---- running ----------------------------------------------------------------- */

void seq_pattern(const struct seq_call *c, uint8_t *buf)
{
	for (uint32_t i = 0; i < c->len; i++)
		buf[i] = (uint8_t)(c->pat + i * c->step);
}

int seq_acquires(const struct seq_call *c)
{
	return c->kind == SEQ_C_ALLOC || c->kind == SEQ_C_GET || c->kind == SEQ_C_PCREATE;
}

struct irql_arg {
	uint8_t irql;  /* level to raise or lower to */
	int raise;     /* KeRaiseIrql (1) or KeLowerIrql (0) */
	KIRQL old;     /* KeRaiseIrql's old level */
};

static void irql_call(void *p)
{
	struct irql_arg *ia = p;

	if (ia->raise)
		KeRaiseIrql(ia->irql, &ia->old);
	else
		KeLowerIrql(ia->irql);
}

#define KB_SENTINEL ((WD_KERNEL_BUFFER *)(uintptr_t)0x5E9710E5ull)

void seq_exec(const struct seq_world *w, const struct seq_call *c, struct seq_result *r)
{
	static uint8_t pattern[SEQ_MAX_LEN];
	WD_KERNEL_BUFFER *kb = KB_SENTINEL;

	r->st_kind = SEQ_ST_NT;
	r->status = 0;
	r->kb = NULL;
	r->pid = 0;
	r->proto = NULL;
	switch (c->kind) {
	case SEQ_C_NOP:
		r->st_kind = SEQ_ST_NONE;
		break;
	case SEQ_C_ALLOC:
		r->st_kind = SEQ_ST_WD;
		r->status = WDS_SharedBufferAlloc(c->bytes, c->options, c->null_out ? NULL : &kb);
		if (r->status == WD_STATUS_SUCCESS) {
			if (c->null_out || !kb || kb == KB_SENTINEL)
				r->proto = "Alloc succeeded without filling *ppBuf";
			else
				r->kb = kb;
		} else if (kb != KB_SENTINEL) {
			r->proto = "Alloc changed *ppBuf on failure";
		}
		break;
	case SEQ_C_GET:
		r->st_kind = SEQ_ST_WD;
		r->status = WDS_SharedBufferGet(c->handle, c->null_out ? NULL : &kb);
		if (r->status == WD_STATUS_SUCCESS) {
			if (c->null_out || !kb || kb == KB_SENTINEL)
				r->proto = "Get succeeded without filling *ppKerBuf";
			else
				r->kb = kb;
		} else if (!c->null_out && r->status != WD_INVALID_PARAMETER && kb != NULL) {
			r->proto = "Get did not set *ppKerBuf to NULL on failure";
		}
		break;
	case SEQ_C_FREE:
		r->st_kind = SEQ_ST_WD;
		r->status = WDS_SharedBufferFree(c->ptr);
		break;
	case SEQ_C_FREE_AS:
		r->st_kind = SEQ_ST_WD;
		if (kmemu_process_attach(c->pid, NULL)) {
			r->proto = "attach to the holder failed";
			break;
		}
		r->status = WDS_SharedBufferFree(c->ptr);
		if (kmemu_process_attach(w->pids[w->cur], NULL))
			r->proto = "attach back failed";
		break;
	case SEQ_C_PCREATE:
		r->status = kmemu_process_create("fuzz", c->null_out ? NULL : &r->pid);
		break;
	case SEQ_C_PDESTROY:
		r->status = kmemu_process_destroy(c->pid);
		break;
	case SEQ_C_ATTACH:
		r->status = kmemu_process_attach(c->pid, &r->pid);
		break;
	case SEQ_C_UWRITE:
		seq_pattern(c, pattern);
		r->status = kmemu_user_write(c->pid, c->addr, pattern, c->len);
		break;
	case SEQ_C_KWRITE:
		seq_pattern(c, pattern);
		r->status = kmemu_kernel_write(c->addr, pattern, c->len);
		break;
	case SEQ_C_UREAD:
		r->status = kmemu_user_read(c->pid, c->addr, r->data, c->len);
		break;
	case SEQ_C_KREAD:
		r->status = kmemu_kernel_read(c->addr, r->data, c->len);
		break;
	case SEQ_C_IRQL_SET:
		r->old_irql = 0xFF;
		r->status = kmemu_irql_set(c->irql, &r->old_irql);
		r->irql_after = KeGetCurrentIrql();
		break;
	case SEQ_C_RAISE:
	case SEQ_C_LOWER: {
		struct irql_arg ia = { .irql = c->irql, .raise = c->kind == SEQ_C_RAISE, .old = 0xFF };
		struct kmemu_bugcheck_report rep;

		r->st_kind = SEQ_ST_BUGCHECK;
		r->status = kmemu_bugcheck_catch(irql_call, &ia, &rep) ? rep.code : 0;
		r->old_irql = ia.old;
		r->irql_after = KeGetCurrentIrql();
		break;
	}
	case SEQ_C_FAULT:
		r->status = kmemu_fault_set(&c->fault);
		break;
	}
}

/* ---- learning the outcome ------------------------------------------------------ */

static void ring_handle(struct seq_world *w, uint32_t h)
{
	w->stale[w->n_stale++ % SEQ_RING] = h;
}

static void ring_freed(struct seq_world *w, WD_KERNEL_BUFFER *p)
{
	w->freed[w->n_freed++ % SEQ_RING] = p;
}

/* Empty slot @s (its holding is gone); a buffer without holders dies. */
static void slot_drop(struct seq_world *w, int s)
{
	struct seq_slot *sl = &w->slots[s];
	struct seq_buf *b = &w->bufs[sl->buf];

	ring_freed(w, sl->kb);
	sl->kb = NULL;
	if (--b->holders == 0) {
		b->live = 0;
		ring_handle(w, b->handle);
	}
}

/* Slot holding @ptr in process @proc, or -1. */
static int slot_of_ptr(const struct seq_world *w, const WD_KERNEL_BUFFER *ptr, int proc)
{
	for (int s = 0; s < SEQ_SLOTS; s++)
		if (w->slots[s].kb && w->slots[s].kb == ptr && w->slots[s].proc == proc)
			return s;
	return -1;
}

/* Record a new holding in slot @s of buffer @bi from description @kb. */
static void slot_fill(struct seq_world *w, int s, int bi, WD_KERNEL_BUFFER *kb)
{
	struct seq_slot *sl = &w->slots[s];

	sl->kb = kb;
	sl->proc = w->cur;
	sl->buf = bi;
	sl->used = 1;
	sl->uaddr = kb->pUserAddr;
	sl->kaddr = kb->pKernelAddr;
	sl->npages = w->bufs[bi].npages;
	sl->pid = w->pids[w->cur];
	w->bufs[bi].holders++;
}

/* Process index of @pid among live processes, or -1. */
static int proc_of_pid(const struct seq_world *w, kmemu_pid pid)
{
	for (int i = 0; i < SEQ_PROCS; i++)
		if (w->proc_live[i] && w->pids[i] == pid)
			return i;
	return -1;
}

void seq_apply(struct seq_world *w, const struct seq_call *c, const struct seq_result *r,
	       int *new_buf)
{
	if (new_buf)
		*new_buf = -1;
	switch (c->kind) {
	case SEQ_C_ALLOC:
		if (r->kb && c->slot >= 0) {
			int bi = 0;

			while (bi < SEQ_SLOTS && w->bufs[bi].live)
				bi++;
			if (bi == SEQ_SLOTS)  /* cannot happen: one buffer per slot at most */
				break;
			w->bufs[bi] = (struct seq_buf){
				.live = 1, .handle = r->kb->hKerBuf, .bytes = r->kb->qwBytes,
				.options = r->kb->dwOptions, .npages = (c->bytes + PAGE - 1) / PAGE,
				.kaddr = r->kb->pKernelAddr,
			};
			slot_fill(w, c->slot, bi, r->kb);
			if (new_buf)
				*new_buf = bi;
		}
		break;
	case SEQ_C_GET:
		if (r->kb && c->slot >= 0) {
			for (int bi = 0; bi < SEQ_SLOTS; bi++) {
				if (w->bufs[bi].live && w->bufs[bi].handle == c->handle) {
					slot_fill(w, c->slot, bi, r->kb);
					break;
				}
			}
		}
		break;
	case SEQ_C_FREE:
	case SEQ_C_FREE_AS:
		if (r->status == WD_STATUS_SUCCESS) {
			int s = slot_of_ptr(w, c->ptr, c->kind == SEQ_C_FREE_AS ? c->proc : w->cur);

			if (s >= 0)
				slot_drop(w, s);
		}
		break;
	case SEQ_C_PCREATE:
		if (r->status == STATUS_SUCCESS && c->proc > 0) {
			w->pids[c->proc] = r->pid;
			w->proc_live[c->proc] = 1;
		}
		break;
	case SEQ_C_PDESTROY:
		if (r->status == STATUS_SUCCESS) {
			int p = proc_of_pid(w, c->pid);

			if (p <= 0)
				break;
			for (int s = 0; s < SEQ_SLOTS; s++)
				if (w->slots[s].kb && w->slots[s].proc == p)
					slot_drop(w, s);
			w->proc_live[p] = 0;
			w->dead[w->n_dead++ % SEQ_RING] = c->pid;
			if (w->cur == p)
				w->cur = 0;
		}
		break;
	case SEQ_C_ATTACH:
		if (r->status == STATUS_SUCCESS) {
			int p = proc_of_pid(w, c->pid);

			if (p >= 0)
				w->cur = p;
		}
		break;
	case SEQ_C_IRQL_SET:
	case SEQ_C_RAISE:
	case SEQ_C_LOWER:
		w->irql = r->irql_after;
		break;
	case SEQ_C_FAULT:
		if (r->status == STATUS_SUCCESS)
			w->fault = c->fault;
		break;
	default:
		break;
	}
}

int seq_undo(struct seq_world *w, const struct seq_call *c)
{
	struct seq_call f;
	struct seq_result r;

	memset(&f, 0, sizeof(f));
	if (c->kind == SEQ_C_ALLOC || c->kind == SEQ_C_GET) {
		if (c->slot < 0 || !w->slots[c->slot].kb)
			return 0;
		f.kind = SEQ_C_FREE;
		f.ptr = w->slots[c->slot].kb;
	} else if (c->kind == SEQ_C_PCREATE) {
		if (c->proc <= 0 || !w->proc_live[c->proc])
			return 0;
		f.kind = SEQ_C_PDESTROY;
		f.pid = w->pids[c->proc];
	} else {
		return 0;
	}
	seq_exec(w, &f, &r);
	if (r.status != 0)
		return -1;
	seq_apply(w, &f, &r, NULL);
	return 0;
}

int seq_teardown(struct seq_world *w, const char **why)
{
	int rc = 0;

	kmemu_fault_set(NULL);
	w->fault.mode = KMEMU_FAULT_OFF;
	kmemu_irql_set(0, NULL);
	w->irql = 0;
	for (int s = 0; s < SEQ_SLOTS; s++) {
		struct seq_slot *sl = &w->slots[s];

		if (!sl->kb)
			continue;
		if (kmemu_process_attach(w->pids[sl->proc], NULL) ||
		    WDS_SharedBufferFree(sl->kb) != WD_STATUS_SUCCESS) {
			*why = "teardown: freeing a held description failed";
			rc = -1;
			sl->kb = NULL;
			continue;
		}
		slot_drop(w, s);
	}
	if (kmemu_process_attach(w->pids[0], NULL)) {
		*why = "teardown: attaching to the initial process failed";
		rc = -1;
	}
	w->cur = 0;
	for (int p = 1; p < SEQ_PROCS; p++) {
		if (!w->proc_live[p])
			continue;
		if (kmemu_process_destroy(w->pids[p])) {
			*why = "teardown: destroying a process failed";
			rc = -1;
		}
		w->proc_live[p] = 0;
	}
	return rc;
}

/* ---- printing ------------------------------------------------------------------ */

static const char *options_name(uint32_t o, char *buf, size_t size)
{
	static const char *const bits[4] = { "NON_CONTIG", "CONTIG", "CACHED", "GET_EXISTING" };
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < 32; i++) {
		if (!(o & (1u << i)))
			continue;
		if (i < 4)
			n += (size_t)snprintf(buf + n, size > n ? size - n : 0, "%s%s", n ? "|" : "", bits[i]);
		else
			n += (size_t)snprintf(buf + n, size > n ? size - n : 0, "%s0x%x", n ? "|" : "", 1u << i);
	}
	if (!o)
		snprintf(buf, size, "0");
	return buf;
}

static const char *fault_mode_name(enum kmemu_fault_mode m)
{
	switch (m) {
	case KMEMU_FAULT_OFF: return "OFF";
	case KMEMU_FAULT_NTH: return "NTH";
	case KMEMU_FAULT_EVERY_NTH: return "EVERY_NTH";
	case KMEMU_FAULT_RANDOM: return "RANDOM";
	default: return "invalid";
	}
}

void seq_call_format(const struct seq_call *c, char *out, size_t size)
{
	char ob[96];

	switch (c->kind) {
	case SEQ_C_NOP:
		snprintf(out, size, "(skipped)");
		break;
	case SEQ_C_ALLOC:
		snprintf(out, size, "WDS_SharedBufferAlloc(%llu, %s, %s)  -> slot %d",
			 (unsigned long long)c->bytes, options_name(c->options, ob, sizeof(ob)),
			 c->null_out ? "NULL" : "&kb", c->slot);
		break;
	case SEQ_C_GET:
		snprintf(out, size, "WDS_SharedBufferGet(0x%08x [%s], %s)  -> slot %d", c->handle, c->how,
			 c->null_out ? "NULL" : "&kb", c->slot);
		break;
	case SEQ_C_FREE:
		snprintf(out, size, "WDS_SharedBufferFree(%p [%s, slot %d])", (void *)c->ptr, c->how,
			 c->slot);
		break;
	case SEQ_C_FREE_AS:
		snprintf(out, size, "attach(%u); WDS_SharedBufferFree(%p [slot %d]); attach back",
			 c->pid, (void *)c->ptr, c->slot);
		break;
	case SEQ_C_PCREATE:
		snprintf(out, size, "kmemu_process_create(\"fuzz\", %s)  -> process index %d",
			 c->null_out ? "NULL" : "&pid", c->proc);
		break;
	case SEQ_C_PDESTROY:
		snprintf(out, size, "kmemu_process_destroy(%u [%s, index %d])", c->pid, c->how, c->proc);
		break;
	case SEQ_C_ATTACH:
		snprintf(out, size, "kmemu_process_attach(%u [%s, index %d], &old)", c->pid, c->how,
			 c->proc);
		break;
	case SEQ_C_UWRITE:
	case SEQ_C_UREAD:
		snprintf(out, size, "kmemu_user_%s(%u, 0x%llx [slot %d %s], %u bytes%s)",
			 c->kind == SEQ_C_UWRITE ? "write" : "read", c->pid,
			 (unsigned long long)c->addr, c->slot, c->how, c->len,
			 c->kind == SEQ_C_UWRITE ? ", pattern" : "");
		break;
	case SEQ_C_KWRITE:
	case SEQ_C_KREAD:
		snprintf(out, size, "kmemu_kernel_%s(0x%llx [slot %d %s], %u bytes)",
			 c->kind == SEQ_C_KWRITE ? "write" : "read", (unsigned long long)c->addr, c->slot,
			 c->how, c->len);
		break;
	case SEQ_C_IRQL_SET:
		snprintf(out, size, "kmemu_irql_set(%u, &old)", c->irql);
		break;
	case SEQ_C_RAISE:
		snprintf(out, size, "KeRaiseIrql(%u, &old)", c->irql);
		break;
	case SEQ_C_LOWER:
		snprintf(out, size, "KeLowerIrql(%u)", c->irql);
		break;
	case SEQ_C_FAULT:
		snprintf(out, size,
			 "kmemu_fault_set(mode %s, resources 0x%x, n %llu, repeat %u, rate %u ppm, seed %llu)",
			 fault_mode_name(c->fault.mode), c->fault.resources,
			 (unsigned long long)c->fault.n, c->fault.repeat, c->fault.rate_ppm,
			 (unsigned long long)c->fault.seed);
		break;
	}
}

const char *seq_status_format(enum seq_status_kind kind, uint32_t status, char *out, size_t size)
{
	switch (kind) {
	case SEQ_ST_WD:
		snprintf(out, size, "%s", kmemu_wd_status_name(status));
		break;
	case SEQ_ST_NT:
		snprintf(out, size, "%s", kmemu_status_name((kmemu_status)status));
		break;
	case SEQ_ST_BUGCHECK:
		if (status)
			snprintf(out, size, "bugcheck %s", kmemu_bugcheck_name(status));
		else
			snprintf(out, size, "returned");
		break;
	default:
		snprintf(out, size, "-");
		break;
	}
	return out;
}
