/* SPDX-License-Identifier: MIT */
/*
 * bench_section.c - section cycles against the bare host work they stand
 * for, measured side by side in one run.
 *
 *   full:  ZwCreateSection + two ZwMapViewOfSection + touch every page of
 *          both + two ZwUnmapViewOfSection + ZwClose
 *          vs memfd_create + ftruncate + two mmap + touch + two munmap + close
 *   remap: ZwMapViewOfSection + touch + ZwUnmapViewOfSection of an existing
 *          section  vs  mmap + touch + munmap of an existing memfd
 *
 * Rounds of both alternate and the median round is reported, so machine
 * noise hits both alike.  Target: ratio (emu / bare) <= 1.5.
 *
 * On Windows (the nt preset; run under Wine by scripts/bench-nt) the same
 * cycles run through kmemu on the nt backend, against the bare ntdll calls
 * (bench_nt_bare.c): the ratio is what the api layer and the backend add
 * to the kernel's work.
 *
 * Usage: kmemu-bench-section [--smoke]   (--smoke: few iterations, for CI)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wdm.h>
#ifndef _WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <kmemu/kmemu.h>
#include "bench.h"

static void touch(volatile uint8_t *p, size_t bytes)
{
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = (uint8_t)i;
}

#ifdef _WIN32
/* bench_nt_bare.c */
int bench_nt_bare_init(size_t remap_bytes);
void bench_nt_bare_fini(void);
int bench_nt_bare_full(void *ctx, size_t bytes);
int bench_nt_bare_remap(void *ctx, size_t bytes);
#define BENCH_BACKEND "nt"
#define bare_full bench_nt_bare_full
#define bare_remap bench_nt_bare_remap
#else
#define BENCH_BACKEND "emu"

static int bare_full(void *ctx, size_t bytes)
{
	(void)ctx;
	int fd = memfd_create("bench", MFD_CLOEXEC);
	void *a, *b;

	if (fd < 0 || ftruncate(fd, (off_t)bytes))
		return -1;
	a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	touch(a, bytes);
	touch(b, bytes);
	munmap(a, bytes);
	munmap(b, bytes);
	close(fd);
	return 0;
}

#endif /* !_WIN32 */

static int emu_full(void *ctx, size_t bytes)
{
	(void)ctx;
	LARGE_INTEGER li = { .QuadPart = (LONGLONG)bytes };
	HANDLE s;
	PVOID a = NULL, b = NULL;
	SIZE_T za = 0, zb = 0;

	if (ZwCreateSection(&s, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL))
		return -1;
	if (ZwMapViewOfSection(s, ZwCurrentProcess(), &a, 0, 0, NULL, &za, ViewUnmap, 0, PAGE_READWRITE) ||
	    ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &zb, ViewUnmap, 0, PAGE_READWRITE))
		return -1;
	touch(a, bytes);
	touch(b, bytes);
	if (ZwUnmapViewOfSection(ZwCurrentProcess(), a) || ZwUnmapViewOfSection(ZwCurrentProcess(), b))
		return -1;
	return ZwClose(s) ? -1 : 0;
}

static HANDLE emu_sec;
#ifndef _WIN32
static int bare_fd = -1;

static int bare_remap(void *ctx, size_t bytes)
{
	(void)ctx;
	void *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bare_fd, 0);

	if (a == MAP_FAILED)
		return -1;
	touch(a, bytes);
	return munmap(a, bytes);
}
#endif

static int emu_remap(void *ctx, size_t bytes)
{
	(void)ctx;
	PVOID a = NULL;
	SIZE_T z = bytes;

	if (ZwMapViewOfSection(emu_sec, ZwCurrentProcess(), &a, 0, 0, NULL, &z, ViewUnmap, 0,
			       PAGE_READWRITE))
		return -1;
	touch(a, bytes);
	return ZwUnmapViewOfSection(ZwCurrentProcess(), a) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 65536, 1 << 20 };
	static const struct {
		const char *name;
		int (*emu)(void *, size_t);
		int (*bare)(void *, size_t);
	} kinds[] = { { "full", emu_full, bare_full }, { "remap", emu_remap, bare_remap } };
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	int rounds = smoke ? 3 : 9, iters = smoke ? 100 : 2000, worst_ok = 1;
	struct kmemu_config cfg;
	LARGE_INTEGER li = { .QuadPart = 1 << 20 };

	kmemu_config_default(&cfg);
	if (kmemu_backend_use(BENCH_BACKEND, &cfg)) {
		fprintf(stderr, "cannot open the %s backend\n", BENCH_BACKEND);
		return 1;
	}
#ifdef _WIN32
	if (bench_nt_bare_init(1 << 20) ||
#else
	bare_fd = memfd_create("bench-remap", MFD_CLOEXEC);
	if (bare_fd < 0 || ftruncate(bare_fd, 1 << 20) ||
#endif
	    ZwCreateSection(&emu_sec, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
#ifdef _WIN32
	printf("# backend nt: kmemu over ntdll vs the same Nt calls without kmemu (\"emu\" = kmemu)\n");
	printf("# full:  create + 2 views + touch + 2 unmaps + close  vs  the same Nt* calls\n");
	printf("# remap: map + touch + unmap of an existing section   vs  the same Nt* calls\n");
#else
	printf("# full:  create + 2 views + touch + 2 unmaps + close  vs  memfd+ftruncate+2 mmap+touch+2 munmap+close\n");
	printf("# remap: map + touch + unmap of an existing section   vs  mmap+touch+munmap of an existing memfd\n");
#endif
	printf("# %d rounds x %d cycles, median round\n", rounds, iters);
	printf("%-6s %9s %12s %12s %8s\n", "kind", "size", "emu ns/op", "bare ns/op", "ratio");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double e, b, ratio;
			int n = sizes[s] >= (1u << 20) ? iters / 8 : iters;

			if (bench_side_by_side(kinds[k].emu, NULL, kinds[k].bare, NULL, sizes[s], rounds,
					       n, &e, &b))
				return 1;
			ratio = e / b;
			if (ratio > 1.5)
				worst_ok = 0;
			printf("%-6s %8zuK %12.0f %12.0f %7.2fx\n", kinds[k].name, sizes[s] / 1024,
			       e, b, ratio);
		}
	}
	printf("# target ratio <= 1.50: %s\n", worst_ok ? "met" : "NOT met");
	ZwClose(emu_sec);
#ifdef _WIN32
	bench_nt_bare_fini();
#else
	close(bare_fd);
#endif
	return 0;
}
