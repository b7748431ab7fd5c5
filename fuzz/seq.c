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
 *
 * Section records (SEQ_OP_S*, V*; handles, sections and views live in the
 * world's slots, a call that finds no free slot passes a NULL out-pointer):
 *
 *   SCREATE a0 handle slot, bit 6 GENERIC_READ (else SECTION_ALL_ACCESS) |
 *           a1 & 3 size mode: 0 small bytes (a2,a3), 1 pages (a2), 2 special
 *           (a2 % 8: 0, no size, RAM+1 page, 16*RAM, 2^47, -1, 2^38+1 page,
 *           NULL SectionHandle), 3 pages (a2,a3) | a1>>2 & 7 attributes: 0-2
 *           SEC_COMMIT, 3,4 SEC_RESERVE, 5 COMMIT|NOCACHE, 6 RESERVE|
 *           WRITECOMBINE, 7 invalid (a4 % 6) | a5 protection: bit 7 invalid
 *           (a5 % 5), else table (a5 % 8) | a6 & 3: named (name a6>>3 & 3,
 *           spelling bit 5, OBJ_OPENIF bit 6, OBJ_CASE_INSENSITIVE bit 7)
 *   SOPEN   a0 handle slot | a1 % 8: 0-5 by name, 6 no name, 7 no leading
 *           '\' | a2: name & 3, spelling bit 2, OBJ_CASE_INSENSITIVE bit 3 |
 *           a3 % 4 access: ALL, ALL, MAP_READ|QUERY, GENERIC_READ|WRITE
 *   SMAP    a0 % 8 section handle: 0-4 live (slot a1), 5 closed value, 6 raw
 *           small value, 7 process handle or NtCurrentProcess() | a2 % 4 == 3:
 *           a process handle of the current process, else NtCurrentProcess() |
 *           a3 % 4 offset: 0,1 zero, 2 64 KiB * (a4 % 4), 3 unaligned |
 *           a5>>6 view size: 0 zero, 1 whole pages inside, 2 past the end,
 *           3 odd bytes inside | a6: bits 0-2 protection (table), bit 3
 *           ViewShare, bits 4-5 CommitSize (0, a few pages, the view, the
 *           view + 1 page), bits 6-7 == 3: invalid protection (a6 & 3)
 *   SUNMAP  a0 % 4: 0,1 inside a live view (slot a1, offset a2,a3), 2 a
 *           stale view, 3 garbage (a2 % 3: low, a WDS user address, kernel) |
 *           process: the view's (a handle when it is another process), a4 %
 *           4 == 3 any process handle
 *   SCLOSE  a0 % 6: 0-2 a live handle (slot a1), 3 closed value, 4 zero,
 *           5 NtCurrentProcess() (a1 odd) or a raw small value (a2)
 *   SQUERY  a0,a1 section handle as SMAP | a2 % 4 == 3 image class | a3 % 4
 *           == 3 a short buffer
 *   SPROC   a0..a4 process as PDESTROY | a5 bit 0: create_child (else
 *           process_open), bit 1: PROCESS_QUERY_INFORMATION (else
 *           PROCESS_VM_OPERATION)
 *   VWRITE/VREAD  a0 view slot | a1 bit 0: pid 0 (current), else the view's
 *           process | a2,a3 offset | a4 length code | a5>>6 offset mode as
 *           WRITE/READ | a6 pattern
 */
#include <stdio.h>
#include <string.h>
#include <kmemu/backend.h>
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

		op->kind = (uint8_t)(data[off] % 32);
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
	w->sections = (kmemu_backend_caps(b) & KMEMU_CAP_SECTIONS) != 0;
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

/* ---- resolving section records ----------------------------------------------- */

#define PSEUDO_PROCESS ((uintptr_t)-1)

/* Generic rights mapped as the section type does (api/section.c). */
static uint32_t map_generic(uint32_t a)
{
	uint32_t out = a & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);

	if (a & GENERIC_READ)
		out |= STANDARD_RIGHTS_READ | SECTION_QUERY | SECTION_MAP_READ;
	if (a & GENERIC_WRITE)
		out |= STANDARD_RIGHTS_WRITE | SECTION_MAP_WRITE;
	if (a & GENERIC_EXECUTE)
		out |= STANDARD_RIGHTS_EXECUTE | SECTION_MAP_EXECUTE;
	if (a & GENERIC_ALL)
		out |= SECTION_ALL_ACCESS;
	return out;
}

uint32_t seq_section_access(uint32_t protect)
{
	switch (protect & 0xFFu) {
	case PAGE_READWRITE: return SECTION_MAP_WRITE;
	case PAGE_EXECUTE: return SECTION_MAP_EXECUTE;
	case PAGE_EXECUTE_READ:
	case PAGE_EXECUTE_WRITECOPY: return SECTION_MAP_EXECUTE | SECTION_MAP_READ;
	case PAGE_EXECUTE_READWRITE: return SECTION_MAP_EXECUTE | SECTION_MAP_WRITE;
	default: return SECTION_MAP_READ;
	}
}

int seq_is_section_call(const struct seq_call *c)
{
	return c->kind == SEQ_C_SCREATE || c->kind == SEQ_C_SOPEN || c->kind == SEQ_C_SMAP ||
	       c->kind == SEQ_C_SUNMAP || c->kind == SEQ_C_SCLOSE || c->kind == SEQ_C_SQUERY;
}

int seq_proc_of_pid(const struct seq_world *w, kmemu_pid pid)
{
	for (int i = 0; i < SEQ_PROCS; i++)
		if (w->proc_live[i] && w->pids[i] == pid)
			return i;
	return -1;
}

int seq_name_lookup(const struct seq_world *w, int name, int name_case, int ci)
{
	int best = -1;

	for (int i = 0; i < SEQ_SECS; i++) {
		const struct seq_sec *s = &w->secs[i];

		if (!s->live || !s->named || s->name != name || (s->name_case != name_case && !ci))
			continue;
		if (best < 0 || s->name_order > w->secs[best].name_order)
			best = i;
	}
	return best;
}

int seq_handle_find(const struct seq_world *w, int proc, uintptr_t v)
{
	for (int i = 0; i < SEQ_HANDLES; i++)
		if (w->hs[i].live && w->hs[i].proc == proc && w->hs[i].value == v)
			return i;
	return -1;
}

int seq_view_at(const struct seq_world *w, int proc, uint64_t addr)
{
	for (int i = 0; i < SEQ_VIEWS; i++) {
		const struct seq_view *v = &w->views[i];

		if (v->live && v->proc == proc && addr >= v->addr && addr - v->addr < v->size)
			return i;
	}
	return -1;
}

static int hslot_free(const struct seq_world *w, unsigned from)
{
	for (unsigned i = 0; i < SEQ_HANDLES; i++) {
		unsigned s = (from + i) % SEQ_HANDLES;

		if (!w->hs[s].live)
			return (int)s;
	}
	return -1;
}

/* A live handle slot from @from: of the current process first (section
 * handles only when @sections), then of any process; -1 when none. */
static int hslot_live(const struct seq_world *w, unsigned from, int sections, int procs)
{
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < SEQ_HANDLES; i++) {
			const struct seq_handle *h = &w->hs[(from + i) % SEQ_HANDLES];

			if (!h->live || (pass == 0 && h->proc != w->cur))
				continue;
			if ((h->is_proc && procs) || (!h->is_proc && sections))
				return (int)((from + i) % SEQ_HANDLES);
		}
	}
	return -1;
}

/* A closed handle's value (may have been reused), or 0. */
static uintptr_t handle_stale(const struct seq_world *w, unsigned from)
{
	for (unsigned i = 0; i < SEQ_HANDLES; i++) {
		const struct seq_handle *h = &w->hs[(from + i) % SEQ_HANDLES];

		if (!h->live && h->value)
			return h->value;
	}
	return 0;
}

/* A live process handle of the current process naming @pid (any pid when 0), or -1. */
static int proc_handle_of(const struct seq_world *w, kmemu_pid pid)
{
	for (int i = 0; i < SEQ_HANDLES; i++) {
		const struct seq_handle *h = &w->hs[i];

		if (h->live && h->is_proc && h->proc == w->cur && (!pid || h->target == pid))
			return i;
	}
	return -1;
}

/* SMAP / SQUERY: the section handle argument. */
static void resolve_shandle(const struct seq_world *w, uint8_t sel, uint8_t idx, struct seq_call *c)
{
	int hs;

	c->sec = -1;
	switch (sel % 8) {
	case 5:
		c->h = handle_stale(w, idx);
		c->how = "closed";
		c->raw = 1;
		if (!c->h)
			c->h = 0x40;
		return;
	case 6:
		c->h = (uintptr_t)(idx % 64 + 1) * 4;
		c->how = "raw";
		c->raw = 1;
		return;
	case 7:
		hs = idx & 1 ? -1 : proc_handle_of(w, 0);
		c->h = hs >= 0 ? w->hs[hs].value : PSEUDO_PROCESS;
		c->how = hs >= 0 ? "process-handle" : "NtCurrentProcess";
		return;
	default:
		hs = hslot_live(w, idx, 1, 0);
		if (hs < 0) {
			c->h = 0x7FFFFFF4u;
			c->how = "none";
			c->raw = 1;
			return;
		}
		c->h = w->hs[hs].value;
		c->sec = w->hs[hs].sec;
		c->how = w->hs[hs].proc == w->cur ? "live" : "foreign";
		c->raw = w->hs[hs].proc != w->cur;
		return;
	}
}

static const uint32_t map_protects[8] = { PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE,
					  PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ,
					  PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY };

static void resolve_screate(const struct seq_world *w, const uint8_t *a, struct seq_call *c)
{
	static const uint32_t protects[8] = { PAGE_READWRITE, PAGE_READWRITE, PAGE_READONLY,
					      PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ,
					      PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY };
	static const uint32_t bad_protects[5] = { 0, PAGE_NOACCESS, PAGE_READWRITE | PAGE_GUARD, 0x3,
						  PAGE_READWRITE | PAGE_NOCACHE };
	static const uint32_t attrs[7] = { SEC_COMMIT, SEC_COMMIT, SEC_COMMIT, SEC_RESERVE, SEC_RESERVE,
					   SEC_COMMIT | SEC_NOCACHE, SEC_RESERVE | SEC_WRITECOMBINE };
	static const uint32_t bad_attrs[6] = { 0, SEC_COMMIT | SEC_RESERVE, SEC_IMAGE,
					       SEC_COMMIT | SEC_NOCACHE | SEC_WRITECOMBINE,
					       SEC_RESERVE | SEC_LARGE_PAGES, SEC_COMMIT | 0x1 };
	unsigned am = (a[1] >> 2) & 7;

	c->kind = SEQ_C_SCREATE;
	c->hslot = hslot_free(w, a[0] % SEQ_HANDLES);
	for (int i = 0; i < SEQ_SECS && c->sec < 0; i++)
		if (!w->secs[i].live)
			c->sec = i;
	c->access = a[0] & 0x40 ? GENERIC_READ : SECTION_ALL_ACCESS;
	c->granted = map_generic(c->access);
	c->has_size = 1;
	switch (a[1] & 3) {
	case 0:
		c->size = 1 + u16_of(a + 2) % (4 * PAGE);
		break;
	case 1:
		c->size = (int64_t)((1 + a[2] % 64) * PAGE);
		break;
	case 2:
		switch (a[2] % 8) {
		case 0: c->size = 0; break;
		case 1: c->has_size = 0; break;
		case 2: c->size = (int64_t)(w->ram_bytes + PAGE); break;
		case 3: c->size = (int64_t)(16 * w->ram_bytes); break;
		case 4: c->size = (int64_t)(1ull << 47); break;
		case 5: c->size = -1; break;
		case 6: c->size = (int64_t)((1ull << 38) + PAGE); break;
		default: c->size = (int64_t)PAGE; c->null_out = 1; break;
		}
		break;
	default:
		c->size = (int64_t)((1 + u16_of(a + 2) % 1024) * PAGE);
		break;
	}
	c->attributes = am < 7 ? attrs[am] : bad_attrs[a[4] % 6];
	c->protect = a[5] & 0x80 ? bad_protects[a[5] % 5] : protects[a[5] % 8];
	c->name = -1;
	if (a[6] & 3) {
		c->name = (a[6] >> 3) & 3;
		c->name_case = (a[6] >> 5) & 1;
		c->obj_attr = (a[6] & 0x40 ? OBJ_OPENIF : 0) | (a[6] & 0x80 ? OBJ_CASE_INSENSITIVE : 0);
	}
	if (c->hslot < 0 || c->sec < 0)
		c->null_out = 1;
}

static void resolve_sopen(const struct seq_world *w, const uint8_t *a, struct seq_call *c)
{
	static const uint32_t access[4] = { SECTION_ALL_ACCESS, SECTION_ALL_ACCESS,
					    SECTION_MAP_READ | SECTION_QUERY, GENERIC_READ | GENERIC_WRITE };

	c->kind = SEQ_C_SOPEN;
	c->hslot = hslot_free(w, a[0] % SEQ_HANDLES);
	c->name_mode = a[1] % 8 < 6 ? 0 : a[1] % 8 - 5;
	c->name = a[2] & 3;
	c->name_case = (a[2] >> 2) & 1;
	c->obj_attr = a[2] & 8 ? OBJ_CASE_INSENSITIVE : 0;
	c->access = access[a[3] % 4];
	c->granted = map_generic(c->access);
	c->sec = seq_name_lookup(w, c->name, c->name_case, (c->obj_attr & OBJ_CASE_INSENSITIVE) != 0);
	if (c->hslot < 0)
		c->null_out = 1;
}

static void resolve_smap(const struct seq_world *w, const uint8_t *a, struct seq_call *c)
{
	uint64_t size, avail;
	int ph;

	c->kind = SEQ_C_SMAP;
	resolve_shandle(w, a[0], a[1], c);
	size = c->sec >= 0 ? w->secs[c->sec].size : 16 * PAGE;
	c->ph = PSEUDO_PROCESS;
	if (a[2] % 4 == 3 && (ph = proc_handle_of(w, 0)) >= 0)
		c->ph = w->hs[ph].value;
	switch (a[3] % 4) {
	case 2: c->offset = 0x10000ull * (a[4] % 4); break;
	case 3: c->offset = PAGE * (1 + a[4] % 15); break;
	default: c->offset = 0; break;
	}
	avail = size > c->offset ? size - c->offset : PAGE;
	switch (a[5] >> 6) {
	case 0: c->view_size = 0; break;
	case 1: c->view_size = (1 + (a[5] & 63) % (avail / PAGE)) * PAGE; break;
	case 2: c->view_size = (size > c->offset ? size - c->offset : 0) + 1 + (uint64_t)(a[5] & 63) * PAGE; break;
	default: c->view_size = 1 + ((uint64_t)(a[5] & 63) * 197 + a[4]) % avail; break;
	}
	c->protect = (a[6] >> 6) == 3 ? (const uint32_t[4]){ 0, 0x3, PAGE_GUARD | PAGE_NOACCESS, 0x800 }[a[6] & 3]
				      : map_protects[a[6] & 7];
	c->inherit = a[6] & 8 ? ViewShare : ViewUnmap;
	{
		uint64_t vb = c->view_size ? c->view_size : avail;

		switch ((a[6] >> 4) & 3) {
		case 0: c->commit = 0; break;
		case 1: c->commit = (1 + a[4] % 8) * PAGE; if (c->commit > vb) c->commit = vb; break;
		case 2: c->commit = vb; break;
		default: c->commit = ((vb + PAGE - 1) & ~(PAGE - 1)) + PAGE; break;
		}
	}
	c->view = -1;
	for (int i = 0; i < SEQ_VIEWS && c->view < 0; i++)
		if (!w->views[i].live)
			c->view = i;
	if (c->view < 0)
		c->null_out = 1;
}

static void resolve_sunmap(const struct seq_world *w, const uint8_t *a, struct seq_call *c)
{
	const struct seq_view *v = NULL;
	unsigned mode = a[0] % 4;
	int ph;

	c->kind = SEQ_C_SUNMAP;
	c->ph = PSEUDO_PROCESS;
	c->view = -1;
	if (mode < 3) {
		for (unsigned i = 0; i < SEQ_VIEWS && c->view < 0; i++) {
			unsigned s = (a[1] + i) % SEQ_VIEWS;

			if (mode < 2 ? w->views[s].live : (w->views[s].used && !w->views[s].live))
				c->view = (int)s;
		}
	}
	if (c->view >= 0) {
		v = &w->views[c->view];
		c->addr = v->addr + u16_of(a + 2) % v->size;
		c->how = v->live ? "live" : "stale";
		if (v->live && v->proc != w->cur && (ph = proc_handle_of(w, v->pid)) >= 0)
			c->ph = w->hs[ph].value;
	} else {
		switch (a[2] % 3) {
		case 0:
			c->addr = 0x10000ull + ((uint64_t)a[3] << 16);
			c->how = "low";
			break;
		case 1:
			c->addr = w->slots[a[3] % SEQ_SLOTS].used ? w->slots[a[3] % SEQ_SLOTS].uaddr : 0x20000;
			c->how = "wds-user";
			break;
		default:
			c->addr = 0xFFFF800000001000ull;
			c->how = "kernel";
			break;
		}
	}
	if (a[4] % 4 == 3 && (ph = proc_handle_of(w, 0)) >= 0)
		c->ph = w->hs[ph].value;
}

static void resolve_sclose(const struct seq_world *w, const uint8_t *a, struct seq_call *c)
{
	c->kind = SEQ_C_SCLOSE;
	switch (a[0] % 6) {
	case 3:
		c->h = handle_stale(w, a[1]);
		c->how = "closed";
		c->raw = 1;
		if (!c->h)
			c->h = 0x44;
		break;
	case 4:
		c->h = 0;
		c->how = "zero";
		break;
	case 5:
		c->h = a[1] & 1 ? PSEUDO_PROCESS : (uintptr_t)(a[2] % 64 + 1) * 4;
		c->how = a[1] & 1 ? "NtCurrentProcess" : "raw";
		c->raw = !(a[1] & 1);
		break;
	default:
		c->hslot = hslot_live(w, a[1], 1, 1);
		if (c->hslot < 0) {
			c->h = 0x7FFFFFF4u;
			c->how = "none";
			c->raw = 1;
		} else {
			c->h = w->hs[c->hslot].value;
			c->how = w->hs[c->hslot].proc == w->cur ? "live" : "foreign";
			c->raw = w->hs[c->hslot].proc != w->cur;
		}
		break;
	}
}

static void resolve_sproc(const struct seq_world *w, const uint8_t *a, struct seq_call *c)
{
	resolve_pid(w, a, c);
	if (a[5] & 1) {
		int p = c->proc, need = 0, room = 0, free_idx = -1;

		c->kind = SEQ_C_PCHILD;
		for (int i = 1; i < SEQ_PROCS && free_idx < 0; i++)
			if (!w->proc_live[i])
				free_idx = i;
		for (int i = 0; i < SEQ_VIEWS; i++) {
			room += !w->views[i].live;
			need += p >= 0 && w->views[i].live && w->views[i].proc == p &&
				w->views[i].inherit == ViewShare;
		}
		c->null_out = free_idx < 0 || need > room;
	} else {
		c->kind = SEQ_C_POPEN;
		c->access = a[5] & 2 ? PROCESS_QUERY_INFORMATION : PROCESS_VM_OPERATION;
		c->hslot = hslot_free(w, a[6] % SEQ_HANDLES);
		c->null_out = c->hslot < 0;
	}
}

static void resolve_vaccess(const struct seq_world *w, const struct seq_op *op, struct seq_call *c)
{
	const uint8_t *a = op->a;
	const struct seq_view *v;
	uint64_t size, off, u = u16_of(a + 2);

	c->view = a[0] % SEQ_VIEWS;
	c->slot = -1;
	v = &w->views[c->view];
	c->len = len_of(a[4]);
	c->pat = a[6];
	c->step = (uint8_t)(a[5] | 1);
	size = v->used ? v->size : PAGE;
	switch (a[5] >> 6) {
	case 0: off = u % size; break;
	case 1: off = size - (u % 64) - 1; break;
	case 2: off = (uint64_t)0 - (u % 8192) - 1; break;
	default: off = u + (u % 16) * 4096; break;
	}
	c->how = !v->used ? "never-used" : v->live ? "live" : "stale";
	c->kind = op->kind == SEQ_OP_VWRITE || op->kind == SEQ_OP_VWRITE2 ? SEQ_C_UWRITE : SEQ_C_UREAD;
	c->pid = a[1] & 1 ? 0 : v->used ? v->pid : 0;
	c->addr = (v->used ? v->addr : 0x10000) + off;
}

void seq_resolve(const struct seq_world *w, const struct seq_op *op, struct seq_call *c)
{
	const uint8_t *a = op->a;
	const struct seq_slot *s;

	memset(c, 0, sizeof(*c));
	c->op = op->kind;
	c->slot = -1;
	c->proc = -1;
	c->view = -1;
	c->hslot = -1;
	c->sec = -1;
	c->name = -1;
	c->how = "";
	switch (op->kind) {
	case SEQ_OP_SCREATE:
	case SEQ_OP_SCREATE2:
		resolve_screate(w, a, c);
		break;
	case SEQ_OP_SOPEN:
		resolve_sopen(w, a, c);
		break;
	case SEQ_OP_SMAP:
	case SEQ_OP_SMAP2:
	case SEQ_OP_SMAP3:
		resolve_smap(w, a, c);
		break;
	case SEQ_OP_SUNMAP:
	case SEQ_OP_SUNMAP2:
		resolve_sunmap(w, a, c);
		break;
	case SEQ_OP_SCLOSE:
	case SEQ_OP_SCLOSE2:
		resolve_sclose(w, a, c);
		break;
	case SEQ_OP_SQUERY:
		c->kind = SEQ_C_SQUERY;
		resolve_shandle(w, a[0], a[1], c);
		c->qclass = a[2] % 4 == 3 ? SectionImageInformation : SectionBasicInformation;
		c->qlen = a[3] % 4 == 3 ? 16 : (uint32_t)sizeof(SECTION_BASIC_INFORMATION);
		break;
	case SEQ_OP_SPROC:
		resolve_sproc(w, a, c);
		break;
	case SEQ_OP_VWRITE:
	case SEQ_OP_VWRITE2:
	case SEQ_OP_VREAD:
	case SEQ_OP_VREAD2:
		resolve_vaccess(w, op, c);
		break;
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
	return c->kind == SEQ_C_ALLOC || c->kind == SEQ_C_GET || c->kind == SEQ_C_PCREATE ||
	       c->kind == SEQ_C_SCREATE || c->kind == SEQ_C_SOPEN || c->kind == SEQ_C_SMAP ||
	       c->kind == SEQ_C_POPEN || c->kind == SEQ_C_PCHILD;
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

/* ---- running section calls ------------------------------------------------------ */

/* The name of index @n in spelling @upper ("\Kmemu\Sec<n>" / "\KMEMU\SEC<n>"),
 * without the leading '\' when @bad. */
static void name_build(int n, int upper, int bad, WCHAR *out, UNICODE_STRING *us)
{
	const char *src = upper ? "\\KMEMU\\SEC0" : "\\Kmemu\\Sec0";
	size_t k = 0;

	for (size_t i = bad ? 1 : 0; src[i]; i++)
		out[k++] = (WCHAR)src[i];
	out[k - 1] = (WCHAR)('0' + n);
	out[k] = 0;
	us->Length = (USHORT)(k * sizeof(WCHAR));
	us->MaximumLength = (USHORT)((k + 1) * sizeof(WCHAR));
	us->Buffer = out;
}

#define H_SENTINEL ((HANDLE)(uintptr_t)0x5E5E5E50ull)

struct sec_arg {
	const struct seq_call *c;  /* the call */
	struct seq_result *r;      /* its outcome */
};

static void sec_call(void *p)
{
	struct sec_arg *sa = p;
	const struct seq_call *c = sa->c;
	struct seq_result *r = sa->r;
	OBJECT_ATTRIBUTES oa;
	UNICODE_STRING us;
	WCHAR nbuf[16];
	HANDLE h = H_SENTINEL;

	switch (c->kind) {
	case SEQ_C_SCREATE: {
		LARGE_INTEGER sz;

		sz.QuadPart = c->size;
		if (c->name >= 0)
			name_build(c->name, c->name_case, 0, nbuf, &us);
		InitializeObjectAttributes(&oa, c->name >= 0 ? &us : NULL, c->obj_attr, NULL, NULL);
		r->status = (uint32_t)ZwCreateSection(c->null_out ? NULL : &h, c->access, &oa,
						      c->has_size ? &sz : NULL, c->protect,
						      c->attributes, NULL);
		break;
	}
	case SEQ_C_SOPEN:
		name_build(c->name, c->name_case, c->name_mode == 2, nbuf, &us);
		InitializeObjectAttributes(&oa, c->name_mode == 1 ? NULL : &us, c->obj_attr, NULL, NULL);
		r->status = (uint32_t)ZwOpenSection(c->null_out ? NULL : &h, c->access, &oa);
		break;
	case SEQ_C_SMAP: {
		PVOID base = NULL;
		SIZE_T vs = (SIZE_T)c->view_size;
		LARGE_INTEGER off;

		off.QuadPart = (LONGLONG)c->offset;
		r->status = (uint32_t)ZwMapViewOfSection((HANDLE)c->h, (HANDLE)c->ph,
							 c->null_out ? NULL : &base, 0, (SIZE_T)c->commit,
							 &off, &vs, (SECTION_INHERIT)c->inherit, 0,
							 c->protect);
		if (NT_SUCCESS((NTSTATUS)r->status)) {
			r->base = (uint64_t)(uintptr_t)base;
			r->view_size = vs;
			r->offset = (uint64_t)off.QuadPart;
			if (!base || c->null_out)
				r->proto = "ZwMapViewOfSection succeeded without a base";
		} else if (base || vs != (SIZE_T)c->view_size || (uint64_t)off.QuadPart != c->offset) {
			r->proto = "ZwMapViewOfSection changed an output on failure";
		}
		return;
	}
	case SEQ_C_SUNMAP:
		r->status = (uint32_t)ZwUnmapViewOfSection((HANDLE)c->ph, (PVOID)(uintptr_t)c->addr);
		return;
	case SEQ_C_SCLOSE:
		r->status = (uint32_t)ZwClose((HANDLE)c->h);
		return;
	case SEQ_C_SQUERY: {
		SECTION_BASIC_INFORMATION info;
		SIZE_T ret = 0;

		memset(&info, 0xAB, sizeof(info));
		r->status = (uint32_t)NtQuerySection((HANDLE)c->h, (SECTION_INFORMATION_CLASS)c->qclass,
						     &info, c->qlen, &ret);
		r->q_attr = info.AllocationAttributes;
		r->q_size = (uint64_t)info.MaximumSize.QuadPart;
		r->q_base = (uint64_t)(uintptr_t)info.BaseAddress;
		r->q_ret = ret;
		return;
	}
	default:
		return;
	}
	/* SCREATE, SOPEN: the handle is written on success only */
	if (NT_SUCCESS((NTSTATUS)r->status)) {
		if (c->null_out || h == H_SENTINEL || !h)
			r->proto = "a section handle was not written on success";
		r->handle = (uintptr_t)h;
	} else if (h != H_SENTINEL) {
		r->proto = "*SectionHandle was written on failure";
	}
}

/* A section service under kmemu_bugcheck_catch (they bug check above PASSIVE). */
static void sec_exec(const struct seq_call *c, struct seq_result *r)
{
	struct sec_arg sa = { .c = c, .r = r };
	struct kmemu_bugcheck_report rep;

	if (kmemu_bugcheck_catch(sec_call, &sa, &rep)) {
		r->st_kind = SEQ_ST_BUGCHECK;
		r->status = rep.code;
		r->proto = NULL;
	}
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
	r->handle = 0;
	if (seq_is_section_call(c)) {
		sec_exec(c, r);
		return;
	}
	switch (c->kind) {
	case SEQ_C_POPEN: {
		void *h = H_SENTINEL;

		r->status = kmemu_process_open(c->pid, c->access, c->null_out ? NULL : &h);
		if (!r->status)
			r->handle = (uintptr_t)h;
		else if (h != H_SENTINEL)
			r->proto = "kmemu_process_open wrote the handle on failure";
		break;
	}
	case SEQ_C_PCHILD:
		r->status = kmemu_process_create_child(c->pid, "fuzz", c->null_out ? NULL : &r->pid);
		break;
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
	default:  /* the section services: sec_exec() */
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

/* ---- learning section outcomes ----------------------------------------------------- */

/* A section without handles and views is gone. */
static void sec_maybe_die(struct seq_world *w, int si)
{
	struct seq_sec *s = &w->secs[si];

	if (s->live && !s->handles && !s->views)
		s->live = 0;
}

static void handle_drop(struct seq_world *w, int hi)
{
	struct seq_handle *h = &w->hs[hi];

	h->live = 0;
	if (!h->is_proc) {
		struct seq_sec *s = &w->secs[h->sec];

		if (--s->handles == 0)
			s->named = 0;  /* the name goes with the last handle */
		sec_maybe_die(w, h->sec);
	}
}

static void view_drop(struct seq_world *w, int vi)
{
	struct seq_view *v = &w->views[vi];

	v->live = 0;
	w->secs[v->sec].views--;
	sec_maybe_die(w, v->sec);
}

static void handle_add(struct seq_world *w, int hi, uintptr_t value, int is_proc, int sec,
		       kmemu_pid target, uint32_t granted)
{
	w->hs[hi] = (struct seq_handle){ .live = 1, .value = value, .proc = w->cur, .is_proc = is_proc,
					 .sec = sec, .target = target, .granted = granted };
	if (!is_proc)
		w->secs[sec].handles++;
}

/* The process index a process-handle argument names from the current process
 * (NtCurrentProcess() = the current one), or -1. */
static int proc_of_handle(const struct seq_world *w, uintptr_t ph)
{
	int hi;

	if (ph == PSEUDO_PROCESS)
		return w->cur;
	hi = seq_handle_find(w, w->cur, ph);
	if (hi < 0 || !w->hs[hi].is_proc)
		return -1;
	return seq_proc_of_pid(w, w->hs[hi].target);
}

static void apply_section(struct seq_world *w, const struct seq_call *c, const struct seq_result *r)
{
	if (r->st_kind != SEQ_ST_NT || !NT_SUCCESS((NTSTATUS)r->status))
		return;
	switch (c->kind) {
	case SEQ_C_SCREATE:
		if (c->null_out || c->hslot < 0)
			break;
		if (r->status == (uint32_t)STATUS_OBJECT_NAME_EXISTS) {
			int si = seq_name_lookup(w, c->name, c->name_case,
						 (c->obj_attr & OBJ_CASE_INSENSITIVE) != 0);

			if (si >= 0)
				handle_add(w, c->hslot, r->handle, 0, si, 0, c->granted);
			break;
		}
		if (c->sec < 0)
			break;
		{
			uint64_t npages = ((uint64_t)c->size + PAGE - 1) / PAGE;

			w->secs[c->sec] = (struct seq_sec){
				.live = 1, .size = npages * PAGE, .npages = npages,
				.attributes = c->attributes, .protect = c->protect, .name = c->name,
				.name_case = c->name_case, .named = c->name >= 0,
				.name_order = ++w->name_clock,
			};
		}
		handle_add(w, c->hslot, r->handle, 0, c->sec, 0, c->granted);
		break;
	case SEQ_C_SOPEN: {
		int si = seq_name_lookup(w, c->name, c->name_case, (c->obj_attr & OBJ_CASE_INSENSITIVE) != 0);

		if (si >= 0 && c->hslot >= 0 && !c->null_out)
			handle_add(w, c->hslot, r->handle, 0, si, 0, c->granted);
		break;
	}
	case SEQ_C_SMAP: {
		int p = proc_of_handle(w, c->ph), hi = seq_handle_find(w, w->cur, c->h);

		if (p < 0 || hi < 0 || w->hs[hi].is_proc || c->view < 0)
			break;
		w->views[c->view] = (struct seq_view){
			.live = 1, .used = 1, .addr = r->base, .size = r->view_size, .proc = p,
			.pid = w->pids[p], .sec = w->hs[hi].sec, .first_page = c->offset / PAGE,
			.protect = c->protect, .inherit = c->inherit,
		};
		w->secs[w->hs[hi].sec].views++;
		break;
	}
	case SEQ_C_SUNMAP: {
		int p = proc_of_handle(w, c->ph), vi = p >= 0 ? seq_view_at(w, p, c->addr) : -1;

		if (vi >= 0)
			view_drop(w, vi);
		break;
	}
	case SEQ_C_SCLOSE: {
		int hi = c->h <= UINT32_MAX ? seq_handle_find(w, w->cur, c->h) : -1;

		if (hi >= 0)
			handle_drop(w, hi);
		break;
	}
	default:
		break;
	}
}

void seq_apply(struct seq_world *w, const struct seq_call *c, const struct seq_result *r,
	       int *new_buf)
{
	if (new_buf)
		*new_buf = -1;
	if (seq_is_section_call(c)) {
		apply_section(w, c, r);
		return;
	}
	switch (c->kind) {
	case SEQ_C_POPEN:
		if (r->status == STATUS_SUCCESS && !c->null_out && c->hslot >= 0)
			handle_add(w, c->hslot, r->handle, 1, -1, c->pid, c->access);
		break;
	case SEQ_C_PCHILD:
		if (r->status == STATUS_SUCCESS && !c->null_out) {
			int parent = proc_of_pid(w, c->pid), child = -1;

			for (int i = 1; i < SEQ_PROCS && child < 0; i++)
				if (!w->proc_live[i])
					child = i;
			if (child < 0 || parent < 0)
				break;
			w->pids[child] = r->pid;
			w->proc_live[child] = 1;
			w->last_child = child;
			for (int i = 0; i < SEQ_VIEWS; i++) {
				struct seq_view *v = &w->views[i];
				int f = 0;

				if (!v->live || v->proc != parent || v->inherit != ViewShare)
					continue;
				while (f < SEQ_VIEWS && w->views[f].live)
					f++;
				if (f == SEQ_VIEWS)
					break;
				v->inherited = 1;
				w->views[f] = *v;
				w->views[f].proc = child;
				w->views[f].pid = r->pid;
				w->secs[v->sec].views++;
			}
		}
		break;
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
			for (int h = 0; h < SEQ_HANDLES; h++)
				if (w->hs[h].live && w->hs[h].proc == p)
					handle_drop(w, h);
			for (int v = 0; v < SEQ_VIEWS; v++)
				if (w->views[v].live && w->views[v].proc == p)
					view_drop(w, v);
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
	f.view = f.hslot = f.sec = f.slot = f.proc = -1;
	f.how = "undo";
	if (c->kind == SEQ_C_SCREATE || c->kind == SEQ_C_SOPEN || c->kind == SEQ_C_POPEN) {
		if (c->hslot < 0 || !w->hs[c->hslot].live)
			return 0;
		f.kind = SEQ_C_SCLOSE;
		f.h = w->hs[c->hslot].value;
	} else if (c->kind == SEQ_C_SMAP) {
		if (c->view < 0 || !w->views[c->view].live)
			return 0;
		f.kind = SEQ_C_SUNMAP;
		f.ph = c->ph;
		f.addr = w->views[c->view].addr;
	} else if (c->kind == SEQ_C_PCHILD) {
		if (c->null_out || !w->proc_live[w->last_child])
			return 0;
		f.kind = SEQ_C_PDESTROY;
		f.pid = w->pids[w->last_child];
	} else if (c->kind == SEQ_C_ALLOC || c->kind == SEQ_C_GET) {
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
	for (int v = 0; v < SEQ_VIEWS; v++) {
		if (!w->views[v].live || w->views[v].proc != 0)
			continue;
		if (ZwUnmapViewOfSection(NtCurrentProcess(), (PVOID)(uintptr_t)w->views[v].addr)) {
			*why = "teardown: unmapping a view of the initial process failed";
			rc = -1;
		}
		view_drop(w, v);
	}
	for (int h = 0; h < SEQ_HANDLES; h++) {
		if (!w->hs[h].live || w->hs[h].proc != 0)
			continue;
		if (ZwClose((HANDLE)w->hs[h].value)) {
			*why = "teardown: closing a handle of the initial process failed";
			rc = -1;
		}
		handle_drop(w, h);
	}
	for (int p = 1; p < SEQ_PROCS; p++) {
		if (!w->proc_live[p])
			continue;
		if (kmemu_process_destroy(w->pids[p])) {
			*why = "teardown: destroying a process failed";
			rc = -1;
		}
		for (int h = 0; h < SEQ_HANDLES; h++)
			if (w->hs[h].live && w->hs[h].proc == p)
				handle_drop(w, h);
		for (int v = 0; v < SEQ_VIEWS; v++)
			if (w->views[v].live && w->views[v].proc == p)
				view_drop(w, v);
		w->proc_live[p] = 0;
	}
	for (int si = 0; si < SEQ_SECS; si++) {
		if (w->secs[si].live) {
			*why = "teardown: a section is left after closing every handle and view";
			rc = -1;
			w->secs[si].live = 0;
		}
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
		snprintf(out, size, "kmemu_user_%s(%u, 0x%llx [%s %d %s], %u bytes%s)",
			 c->kind == SEQ_C_UWRITE ? "write" : "read", c->pid,
			 (unsigned long long)c->addr, c->view >= 0 ? "view" : "slot",
			 c->view >= 0 ? c->view : c->slot, c->how, c->len,
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
	case SEQ_C_SCREATE: {
		char nb[48] = "unnamed";

		if (c->name >= 0)
			snprintf(nb, sizeof(nb), "%s%d%s%s", c->name_case ? "\\KMEMU\\SEC" : "\\Kmemu\\Sec",
				 c->name, c->obj_attr & OBJ_OPENIF ? " OPENIF" : "",
				 c->obj_attr & OBJ_CASE_INSENSITIVE ? " CI" : "");
		snprintf(out, size,
			 "ZwCreateSection(%s, 0x%x, %s, size %s%lld, prot 0x%x, attr 0x%x)  -> handle slot %d, section %d",
			 c->null_out ? "NULL" : "&h", c->access, nb, c->has_size ? "" : "NULL ",
			 (long long)c->size, c->protect, c->attributes, c->hslot, c->sec);
		break;
	}
	case SEQ_C_SOPEN:
		snprintf(out, size, "ZwOpenSection(%s, 0x%x, %s%d%s%s)  -> handle slot %d",
			 c->null_out ? "NULL" : "&h", c->access,
			 c->name_mode == 1 ? "no name " : c->name_mode == 2 ? "Kmemu\\Sec" :
			 c->name_case ? "\\KMEMU\\SEC" : "\\Kmemu\\Sec",
			 c->name, c->obj_attr & OBJ_CASE_INSENSITIVE ? " CI" : "", "", c->hslot);
		break;
	case SEQ_C_SMAP:
		snprintf(out, size,
			 "ZwMapViewOfSection(0x%llx [%s, section %d], 0x%llx, %s, commit %llu, offset 0x%llx, size %llu, %s, prot 0x%x)  -> view %d",
			 (unsigned long long)c->h, c->how, c->sec, (unsigned long long)c->ph,
			 c->null_out ? "NULL" : "&base", (unsigned long long)c->commit,
			 (unsigned long long)c->offset, (unsigned long long)c->view_size,
			 c->inherit == ViewShare ? "ViewShare" : "ViewUnmap", c->protect, c->view);
		break;
	case SEQ_C_SUNMAP:
		snprintf(out, size, "ZwUnmapViewOfSection(0x%llx, 0x%llx [%s, view %d])",
			 (unsigned long long)c->ph, (unsigned long long)c->addr, c->how, c->view);
		break;
	case SEQ_C_SCLOSE:
		snprintf(out, size, "ZwClose(0x%llx [%s, slot %d])", (unsigned long long)c->h, c->how,
			 c->hslot);
		break;
	case SEQ_C_SQUERY:
		snprintf(out, size, "NtQuerySection(0x%llx [%s, section %d], class %d, len %u)",
			 (unsigned long long)c->h, c->how, c->sec, c->qclass, c->qlen);
		break;
	case SEQ_C_POPEN:
		snprintf(out, size, "kmemu_process_open(%u [%s, index %d], 0x%x, %s)  -> handle slot %d",
			 c->pid, c->how, c->proc, c->access, c->null_out ? "NULL" : "&h", c->hslot);
		break;
	case SEQ_C_PCHILD:
		snprintf(out, size, "kmemu_process_create_child(%u [%s, index %d], %s)", c->pid, c->how,
			 c->proc, c->null_out ? "NULL" : "&pid");
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
