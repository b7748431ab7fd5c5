#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""seeds.py - write the hand-made seed corpora and dictionaries of fuzz/.

Each seed is a short program that reaches one operation of its target (the
record layouts are documented at the top of each harness and of seq.c).
Regression inputs (regress-*, linux-*) are kept by hand next to the seeds;
this script never deletes files.  Usage: fuzz/seeds.py  (from anywhere).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


# ---- seq / diff: 2-byte header + 8-byte records (see fuzz/seq.h, seq.c) ----
ALLOC, GET, FREE, PCREATE, PDESTROY, ATTACH, WRITE, READ = 0, 2, 4, 6, 7, 8, 9, 10
IRQL, RAISE, LOWER, FAULT, PHYS = 11, 12, 13, 14, 15


def hdr(placement=0, frag_idx=0, ram_idx=1, seed=0):
    return [placement | frag_idx << 2, ram_idx | seed << 2]


def r(kind, *a):
    a = list(a) + [0] * (7 - len(a))
    return [kind] + a


def alloc_small(slot, nbytes, opt=0):   # opt: bit0 CONTIG, bit1 CACHED
    v = nbytes - 1
    return r(ALLOC, slot, 0x00, v & 255, v >> 8, 0, 0, opt)


def alloc_pages(slot, pages, opt=0, minus16=0):
    v = pages - 1
    return r(ALLOC, slot, 0x40, v & 255, v >> 8, minus16, 0, opt)


def alloc_special(slot, which, opt=0, null=0):   # 0, RAM+1pg, MAX, MAX-4094, 2^40, RAM
    return r(ALLOC, slot, 0x80 | null, which, 0, 0, 0, opt)


def get(slot, how, src, bit=0):                   # how: 0 live 2 stale 3 raw 4 near-miss 5 NULL
    return r(GET, slot, how, src, bit)


def free(slot, how=0, idx=0):                     # 0 holder 2 current 3 NULL 4 freed 5 garbage
    return r(FREE, slot, how, idx)


def access(kind, slot, view, off, lenc, mode=0, pat=0x5A):
    return r(kind, slot, view, off & 255, off >> 8, lenc, mode << 6 | 0x13, pat)


# ---- section records (seq.c "Section records") ----
SCREATE, SOPEN, SMAP, SUNMAP, SCLOSE, VWRITE, VREAD, SPROC, SQUERY = 16, 18, 19, 21, 22, 23, 24, 25, 26
COMMIT, RESERVE, COMMIT_NOCACHE, RESERVE_WC, BAD_ATTR = 0, 3, 5, 6, 7
# creation protections (a5 % 8): 0 RW 2 RO 3 WC 4 X 5 XR 6 XRW 7 XWC; invalid 0x80-0x84
# view protections (a6 & 7): 0 NOACCESS 1 RO 2 RW 3 WC 4 X 5 XR 6 XRW 7 XWC


def screate(hs=0, pages=4, attr=COMMIT, prot=0, name=None, case=0, openif=0, ci=0,
            special=None, bad=0, generic=0):
    mode, a2 = (2, special) if special is not None else (1, pages - 1)
    a6 = 0 if name is None else 1 | name << 3 | case << 5 | openif << 6 | ci << 7
    return r(SCREATE, hs | (0x40 if generic else 0), mode | attr << 2, a2, 0, bad, prot, a6)


def sopen(hs=0, name=0, case=0, ci=0, access=0, mode=0):
    return r(SOPEN, hs, mode, name | case << 2 | ci << 3, access)


def smap(hidx=0, hsel=0, prot=2, share=0, commit=0, off_mode=0, a4=0, vs_mode=0, vs_lo=0,
         other=0, bad_prot=None):
    a6 = prot | share << 3 | commit << 4 if bad_prot is None else 0xC0 | bad_prot
    return r(SMAP, hsel, hidx, 3 if other else 0, off_mode, a4, vs_mode << 6 | vs_lo, a6)


def sunmap(vidx=0, mode=0, off=0, garbage=0):
    return r(SUNMAP, mode, vidx, garbage if mode == 3 else off & 255, off >> 8)


def sclose(idx=0, mode=0, a2=0):
    return r(SCLOSE, mode, idx, a2)


def vaccess(kind, view, off, lenc, mode=0, pat=0x5A, cur=0):
    return r(kind, view, cur, off & 255, off >> 8, lenc, mode << 6 | 0x13, pat)


def section_seeds():
    return {
        "section-basic": hdr() + screate(0, 4) + smap(0) + vaccess(VWRITE, 0, 100, 40)
        + vaccess(VREAD, 0, 90, 60) + r(SQUERY, 0, 0) + sunmap(0) + sclose(0)
        + vaccess(VREAD, 0, 0, 8),
        "section-alias": hdr() + screate(0, 2) + smap(0, prot=2) + smap(0, prot=1)
        + vaccess(VWRITE, 0, 4090, 0x82, pat=7) + vaccess(VREAD, 1, 4000, 0x82)
        + sclose(0) + vaccess(VREAD, 1, 0, 0x81) + r(PHYS, 1, 0, 0, 0, 0x81)
        + sunmap(0) + sunmap(1) + r(PHYS, 1, 0, 0, 0, 0x81),
        "section-reserve": hdr() + screate(0, 8, RESERVE) + smap(0) + vaccess(VREAD, 0, 0, 8)
        + smap(0, commit=1, a4=1) + vaccess(VWRITE, 1, 10, 30) + vaccess(VREAD, 0, 0, 0x3F)
        + vaccess(VREAD, 0, 4096 * 5, 4) + smap(0, commit=2) + vaccess(VREAD, 0, 4096 * 5, 4)
        + sunmap(0) + sunmap(1) + sunmap(2) + sclose(0),
        "section-names": hdr() + screate(0, 1, name=0) + screate(1, 1, name=0)
        + screate(1, 1, name=0, openif=1) + sopen(2, 0) + sopen(3, 1) + sopen(3, 0, case=1, ci=1)
        + sopen(4, 0, case=1) + sopen(4, 0, mode=6) + sopen(4, 0, mode=7)
        + sclose(0) + sclose(1) + sopen(4, 0) + sclose(2) + sclose(3) + sopen(4, 0)
        + screate(5, 1, name=0, case=1) + screate(6, 1, name=0, ci=1, openif=1) + sclose(5),
        "section-bad-params": hdr() + screate(0, special=0) + screate(0, special=1)
        + screate(0, prot=0x83) + screate(0, prot=0x84) + screate(0, attr=BAD_ATTR, bad=0)
        + screate(0, attr=BAD_ATTR, bad=2) + screate(0, special=2) + screate(0, special=4)
        + screate(0, special=5) + screate(0, attr=RESERVE, special=6) + screate(0, special=7)
        + screate(0, 4, prot=2) + smap(0, prot=2) + smap(0, prot=1, off_mode=3)
        + smap(0, prot=1, vs_mode=2) + smap(0, bad_prot=2) + smap(0, prot=1, commit=3)
        + smap(0, prot=1, off_mode=2, a4=1) + smap(hsel=6) + smap(hsel=7, hidx=1)
        + sunmap(0, 3, garbage=0) + sunmap(0, 3, garbage=2) + sclose(0, 4) + sclose(0, 5, 1)
        + sclose(0) + sclose(0, 3) + r(SQUERY, 5, 0),
        "section-processes": hdr() + r(PCREATE) + r(SPROC, 0, 1, 0, 0, 0, 0, 1)
        + screate(0, 4) + smap(0, other=1, share=1) + vaccess(VWRITE, 0, 200, 16)
        + smap(0, prot=1) + vaccess(VREAD, 1, 190, 32) + r(SPROC, 0, 1, 0, 0, 0, 1, 0)
        + vaccess(VREAD, 2, 190, 32) + r(PDESTROY, 0, 1) + vaccess(VREAD, 2, 200, 4)
        + smap(0, other=1) + sunmap(2) + r(SPROC, 0, 1, 0, 0, 0, 2, 2) + sclose(1),
        "section-faults": hdr() + r(FAULT, 1, 1, 0) + screate(0, 3) + r(FAULT, 1, 0, 1)
        + screate(1, 2, RESERVE) + smap(0) + smap(1, commit=2) + r(FAULT, 3, 0, 0, 0, 120, 3)
        + screate(2, 5, name=1) + sopen(3, 1) + smap(2) + r(SPROC, 0, 0, 0, 0, 0, 0, 4)
        + r(FAULT, 0) + smap(2) + vaccess(VWRITE, 0, 7, 20) + vaccess(VREAD, 1, 0, 30),
        "section-irql": hdr() + r(RAISE, 2) + screate(0, 1) + sclose(0, 4) + r(LOWER, 0)
        + screate(0, 1) + r(IRQL, 1) + smap(0) + r(IRQL, 0) + smap(0) + r(IRQL, 2) + sunmap(0)
        + r(IRQL, 0) + sunmap(0),
        "section-contig-unknown": hdr(0, 0, 0) + screate(0, 6) + alloc_pages(0, 4, 1)
        + smap(0) + alloc_pages(1, 2, 1) + r(PHYS, 3, 0, 0, 0, 8) + sclose(0) + sunmap(0)
        + alloc_pages(2, 8, 1),
    }


def seq_seeds():
    seeds = {
        "alloc-free": hdr() + alloc_small(0, 5000) + free(0),
        "alloc-contig-rw": hdr() + alloc_pages(0, 16, 1) + access(WRITE, 0, 0, 100, 40)
        + access(READ, 0, 2, 90, 60) + access(WRITE, 0, 2, 4090, 0x82)
        + access(READ, 0, 0, 4000, 0x83) + free(0),
        "share-two-processes": hdr() + r(PCREATE) + alloc_pages(0, 3) + r(ATTACH, 0, 1)
        + get(1, 0, 0) + access(WRITE, 1, 1, 10, 20) + access(READ, 0, 0, 0, 40)
        + access(READ, 0, 2, 0, 40) + free(0) + access(READ, 1, 0, 0, 40)
        + r(PDESTROY, 0, 1) + access(READ, 1, 0, 0, 8),
        "get-same-process": hdr() + alloc_small(0, 100) + get(1, 0, 0) + free(0)
        + access(READ, 1, 0, 0, 16) + free(1) + get(2, 0, 1),
        "stale-handle": hdr() + alloc_small(0, 4096) + free(0) + get(1, 2, 0) + get(1, 0, 0),
        "raw-handles": hdr() + alloc_small(0, 10) + r(GET, 1, 3, 1, 0, 0x10, 0)
        + get(2, 4, 0, 20) + get(3, 4, 0, 0) + get(4, 5, 0),
        "free-variants": hdr() + alloc_small(0, 10) + free(0, 3) + free(0, 5, 0)
        + free(0, 5, 1) + free(0, 5, 2) + free(0) + free(0, 4, 0),
        "free-foreign": hdr() + r(PCREATE) + alloc_small(0, 10) + r(ATTACH, 0, 1)
        + free(0, 2) + free(0, 0),
        "sizes-special": hdr() + alloc_special(0, 0) + alloc_special(0, 1)
        + alloc_special(0, 2) + alloc_special(0, 3, 1) + alloc_special(0, 4)
        + alloc_special(0, 5) + alloc_special(1, 5, 0, 1),
        "bad-options": hdr() + r(ALLOC, 0, 0, 10, 0, 0, 0, 0xC3) + r(ALLOC, 0, 0, 10, 0, 0, 0, 0xC0)
        + r(ALLOC, 0, 0, 10, 0, 0, 0, 0xC4) + r(ALLOC, 0, 0, 10, 0, 0, 0, 0xE3)
        + r(ALLOC, 0, 0, 10, 0, 0, 0, 0xC8),
        "irql": hdr() + r(IRQL, 2) + r(RAISE, 5) + r(LOWER, 1) + r(RAISE, 0) + r(LOWER, 9)
        + r(IRQL, 17) + r(RAISE, 16) + r(IRQL, 0),
        "faults-heap": hdr() + r(FAULT, 1, 1, 0) + alloc_small(0, 10) + r(PCREATE)
        + r(FAULT, 1, 1, 2, 1) + alloc_small(1, 10) + r(RAISE, 3) + r(LOWER, 0)
        + r(FAULT, 0) + free(0) + free(1),
        "faults-frames-random": hdr() + r(FAULT, 3, 2, 0, 0, 200, 7) + alloc_small(0, 9000)
        + alloc_pages(1, 3, 1) + get(2, 0, 0) + r(FAULT, 4, 4, 2) + alloc_small(3, 10)
        + r(FAULT, 5, 0, 0, 0, 1) + r(FAULT, 5, 0, 0, 0, 0) + r(FAULT, 4, 0, 0),
        "faults-syscalls": hdr(2) + r(FAULT, 1, 8, 1) + alloc_pages(0, 4) + r(PCREATE)
        + r(FAULT, 0) + free(0),
        "phys-direct-map": hdr() + alloc_pages(0, 2, 1) + r(PHYS, 0, 0, 0, 0, 8)
        + r(PHYS, 1, 0, 0, 0, 0x81) + r(PHYS, 5, 0, 0xF0, 0x0F, 0x83) + free(0)
        + r(PHYS, 1, 0, 0, 0, 0x81),
        "contig-fragmented": hdr(0, 5, 2) + alloc_pages(0, 2, 1) + alloc_pages(1, 4, 1)
        + alloc_pages(2, 8, 0) + free(0) + alloc_pages(0, 1, 1),
        "exhaust-ram": hdr(0, 0, 0) + alloc_pages(0, 8) + alloc_pages(1, 8) + alloc_pages(2, 1)
        + free(1) + alloc_pages(1, 7, 1) + alloc_pages(3, 4, 1),
        "scatter-cross-page": hdr(1, 0, 1) + alloc_pages(0, 5) + access(WRITE, 0, 0, 4090, 0x83, 0)
        + access(READ, 0, 2, 4000, 0x83) + access(READ, 0, 3, 0, 8)
        + access(READ, 0, 0, 0x30, 0x20, 1) + access(READ, 0, 0, 0x30, 0x20, 2),
        "random-placement": hdr(2, 0, 2, 5) + alloc_pages(0, 7) + alloc_pages(1, 9, 1)
        + alloc_small(2, 3000, 2) + access(READ, 1, 2, 0, 0x84) + free(1) + free(0),
        "process-lifecycle": hdr() + r(PCREATE) + r(PCREATE) + r(ATTACH, 0, 2) + alloc_small(0, 10)
        + r(PDESTROY, 0, 2) + r(ATTACH, 0, 2) + r(PDESTROY, 0, 0) + r(PDESTROY, 3, 1, 2, 3, 4)
        + free(0, 4, 0) + r(ATTACH, 3, 8, 0, 0, 0),
        "empty-and-outside": hdr() + alloc_small(0, 100) + access(READ, 0, 1, 5, 0x80)
        + access(WRITE, 0, 0, 3, 0x80, 3) + access(READ, 3, 0, 0, 0x80)
        + access(READ, 0, 0, 0, 0x20, 3) + access(WRITE, 0, 0, 0x2000, 4, 3),
    }
    seeds.update(section_seeds())
    for name, data in seeds.items():
        put("seq", name, data)
        put("diff", name, data)


# ---- physmem: 4-byte header, 4-byte records ---------------------------------
def physmem_seeds():
    def h(frames, place=0, frag=0, seed=1):
        v = frames - 2
        return [v & 255, (v >> 8) | place << 4, frag, seed]
    C, P, F, HALF, FAULT = 0, 2, 4, 6, 7
    seeds = {
        "contig-pages-free": h(64) + [C, 0, 3, 0, P, 0, 5, 0, F, 0, 0, 0, F, 0, 1, 0],
        "scatter": h(100, 1) + [P, 0, 9, 0, P, 0x40, 30, 0, F, 0, 0, 0, C, 0, 2, 0],
        "random": h(257, 2, 0, 9) + [C, 0x40, 17, 0, P, 0x40, 33, 0, F, 0, 1, 0, F, 0, 0, 0],
        "fragmented": h(512, 0, 3) + [C, 0, 2, 0, C, 0, 5, 0, P, 0x40, 60, 0],
        "half-free": h(64) + [C, 0, 7, 0, HALF, 0, 0, 0, F, 0, 0, 0],
        "too-big-and-zero": h(16) + [C, 0xC0, 1, 9, P, 0xC0, 0, 1, C, 0x80, 0, 0, P, 0x80, 16, 0],
        "fault": h(32) + [FAULT, 1, 0, 0, FAULT, 0, 0, 0, C, 0, 1, 0],
        "all-of-ram": h(4097) + [P, 0x80, 0xFF, 0x0F, C, 0x80, 0, 8, F, 0, 0, 0],
    }
    for name, data in seeds.items():
        put("physmem", name, data)


# ---- handle: 2-byte header, 4-byte records ----------------------------------
def handle_seeds():
    A, L, C, FAULT, G = 0, 2, 4, 6, 7
    NTT, GLB = 0, 8
    seeds = {
        "nt-alloc-lookup-close": [16, 16] + [A, 0, 3, 0, A, 1, 1, 0, L, 0, 0, 0x05, L, 0, 1, 0x02,
                                            L, 2, 0, 0x0D, C, 0, 0, 0, L, 1, 0, 0, A, 2, 0, 0],
        "global-stale": [16, 16] + [A | GLB, 0, 1, 0, C | GLB, 0, 0, 0, L | GLB, 1, 0, 0,
                                    A | GLB, 3, 1, 0, L | GLB, 2, 0, 20],
        "full-tables": [2, 1] + [A, 0, 0, 0, A, 1, 0, 0, A, 2, 0, 0, A | GLB, 0, 0, 0, A | GLB, 0, 0, 0],
        "zero-max": [0, 0] + [A, 0, 0, 0, A | GLB, 0, 0, 0],
        "garbage": [250, 255] + [G, 0x34, 0x12, 0, G | GLB, 1, 0, 0x10, L, 3, 0xFF, 0x01],
        "faults": [40, 40] + [FAULT, 1, 0, 0, A, 0, 0, 0, FAULT, 0, 0, 0, A | GLB, 0, 0, 0] + [A, 4, 0, 0] * 17
        + [FAULT, 0, 0, 0, A, 5, 0, 0, C, 0, 0, 0],
        "shrink": [200, 8] + [A, 0, 0, 0] * 40 + [C, 0, 0, 0] * 38 + [L, 0, 0, 0],
    }
    for name, data in seeds.items():
        put("handle", name, data)


# ---- wds: 8-byte records ----------------------------------------------------
def wds_seeds():
    def rec(op, b1=0, b2=0, b3=0, arg=0):
        return [op, b1, b2, b3] + list(struct.pack("<I", arg))
    seeds = {
        "alloc-free": rec(0, 0, 2, 0, 8192) + rec(2, 0),
        "share": rec(0, 0, 1, 0, 5000) + rec(5, 1) + rec(1, 0, 0, 0) + rec(6, 1, 0x5A, 1, 7)
        + rec(3, 0) + rec(2, 1),
        "sizes": rec(0, 0, 2, 0x80) + rec(0, 0, 2, 0x81) + rec(0, 0, 2, 0x82) + rec(0, 0, 2, 0x83)
        + rec(0, 0, 2, 0x84) + rec(0, 0, 1, 0x40, 0x3FFFFF) + rec(0, 0, 1, 0xC0, 1),
        "options": rec(0, 0, 0, 0, 10) + rec(0, 0, 3, 0, 10) + rec(0, 0, 4, 0, 10)
        + rec(0, 0, 0x88, 0, 10) + rec(0, 0, 1, 0x20, 10) + rec(0, 0, 2, 0x10, 10),
        "handles": rec(0, 0, 2, 0, 100) + rec(2, 0) + rec(1, 1, 0) + rec(1, 2) + rec(1, 3, 0, 0, 0x100001)
        + rec(1, 4, 0, 3) + rec(0, 0, 2, 0, 100) + rec(5, 1) + rec(1, 5),
        "free-odd": rec(0, 0, 2, 0, 100) + rec(4, 0) + rec(4, 2, 0, 0, 0x1234) + rec(4, 3)
        + rec(4, 4) + rec(2, 0) + rec(4, 1),
        "alloc-free-now": rec(7, 0, 1, 0, 70000) + rec(7, 0, 2, 0x40, 16),
    }
    for name, data in seeds.items():
        put("wds", name, data)


def dicts():
    seq = {
        "alloc_small_non_contig": r(ALLOC, 0, 0, 0x87, 0x13, 0, 0, 0),
        "alloc_16_pages_contig": r(ALLOC, 0, 0x40, 15, 0, 0, 0, 1),
        "alloc_ram_plus_one": r(ALLOC, 0, 0x80, 1, 0, 0, 0, 0),
        "alloc_bad_options": r(ALLOC, 0, 0, 10, 0, 0, 0, 0xC3),
        "get_live": r(GET, 1, 0, 0),
        "get_stale": r(GET, 1, 2, 0),
        "free_holder": r(FREE, 0, 0),
        "free_null": r(FREE, 0, 3),
        "free_freed": r(FREE, 0, 4),
        "pcreate": r(PCREATE),
        "attach_p1": r(ATTACH, 0, 1),
        "destroy_p1": r(PDESTROY, 0, 1),
        "write_user": r(WRITE, 0, 0, 16, 0, 40, 0x13, 0x5A),
        "read_kernel": r(READ, 0, 2, 16, 0, 40, 0x13, 0),
        "read_cross_end": r(READ, 0, 0, 8, 0, 0x82, 0x53, 0),
        "raise_5": r(RAISE, 5),
        "lower_0": r(LOWER, 0),
        "fault_nth_heap": r(FAULT, 1, 1, 0),
        "fault_off": r(FAULT, 0),
        "phys_frame": r(PHYS, 3, 0, 0, 0, 8),
        "screate_4_pages": screate(0, 4),
        "screate_reserve": screate(0, 8, RESERVE),
        "screate_named_openif": screate(0, 1, name=0, openif=1),
        "sopen_name0": sopen(1, 0),
        "smap_whole_rw": smap(0),
        "smap_reserve_commit": smap(0, commit=1, a4=1),
        "smap_share_other": smap(0, other=1, share=1),
        "sunmap_live": sunmap(0),
        "sclose_live": sclose(0),
        "vwrite_view0": vaccess(VWRITE, 0, 16, 40),
        "vread_view0": vaccess(VREAD, 0, 0, 0x3F),
        "sproc_open_p1": r(SPROC, 0, 1, 0, 0, 0, 0, 1),
        "sproc_child_p0": r(SPROC, 0, 0, 0, 0, 0, 1, 0),
        "squery": r(SQUERY, 0, 0),
    }
    with open(os.path.join(HERE, "fuzz_seq.dict"), "w") as f, \
            open(os.path.join(HERE, "fuzz_diff.dict"), "w") as g:
        for out in (f, g):
            out.write("# Records of fuzz/seq.h programs (generated by fuzz/seeds.py)\n")
            for k, v in seq.items():
                out.write('%s="%s"\n' % (k, "".join("\\x%02x" % b for b in v)))
    wds = ["\\x00\\x00\\x00\\x00", "\\xff\\xff\\xff\\xff", "\\x00\\x10\\x00\\x00",
           "\\x01\\x00\\x00\\x00", "\\x02\\x00\\x00\\x00", "\\x04\\x00\\x00\\x00",
           "\\x08\\x00\\x00\\x00", "\\x01\\x00\\x10\\x00", "\\x00\\x00\\x00\\x02"]
    with open(os.path.join(HERE, "fuzz_wds.dict"), "w") as f:
        f.write("# Sizes, options and handle shapes of WDS_SharedBuffer* (fuzz/seeds.py)\n")
        for i, v in enumerate(wds):
            f.write('w%d="%s"\n' % (i, v))
    with open(os.path.join(HERE, "fuzz_physmem.dict"), "w") as f:
        f.write("# physmem records (fuzz/seeds.py)\n")
        for name, v in {"contig_8": [0, 0, 7, 0], "pages_64": [2, 0x40, 63, 0],
                        "free_0": [4, 0, 0, 0], "half": [6, 0, 0, 0], "fault": [7, 1, 0, 0],
                        "all_ram": [2, 0x80, 0xFF, 0x0F]}.items():
            f.write('%s="%s"\n' % (name, "".join("\\x%02x" % b for b in v)))
    with open(os.path.join(HERE, "fuzz_handle.dict"), "w") as f:
        f.write("# handle-table records (fuzz/seeds.py)\n")
        for name, v in {"nt_alloc": [0, 0, 3, 0], "gl_alloc": [8, 1, 1, 0], "lookup_typed": [2, 0, 0, 5],
                        "close_live": [4, 0, 0, 0], "close_stale": [4, 1, 0, 0], "fault": [6, 1, 0, 0],
                        "nt_value_4": [7, 4, 0, 0], "gl_gen1_slot1": [15, 1, 0, 0x10]}.items():
            f.write('%s="%s"\n' % (name, "".join("\\x%02x" % b for b in v)))


if __name__ == "__main__":
    seq_seeds()
    physmem_seeds()
    handle_seeds()
    wds_seeds()
    dicts()
