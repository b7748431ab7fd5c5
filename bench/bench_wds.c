/* SPDX-License-Identifier: MIT */
/*
 * bench_wds.c - WDS_SharedBufferAlloc + WDS_SharedBufferFree cycle against
 * the bare host cycle it stands in for, measured side by side in one run.
 *
 * The bare cycle is what a user-space stand-in without an emulator would do
 * per buffer: memfd_create + ftruncate + two mmap (user and kernel views) +
 * two munmap + close.  The emulator needs no memfd per buffer: frames come
 * from its RAM, a contiguous buffer's kernel view is the direct map, so its
 * cycle is one mmap for the user view, one re-reservation and one hole punch.
 * Rounds of both cycles alternate and the median round is reported, so
 * machine noise hits both alike.  Target: ratio (emu / bare) <= 1.0.
 *
 * Usage: kmemu-bench-wds [--smoke]   (--smoke: few iterations, for CI)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wds_lib.h>
#include <kmemu/kmemu.h>
#include "bench.h"

/* One bare cycle; returns 0 on success. */
static int bare_cycle(void *ctx, size_t bytes)
{
	(void)ctx;
	int fd = memfd_create("bench", MFD_CLOEXEC);
	void *u, *k;

	if (fd < 0 || ftruncate(fd, (off_t)bytes))
		return -1;
	u = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	k = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (u == MAP_FAILED || k == MAP_FAILED)
		return -1;
	munmap(u, bytes);
	munmap(k, bytes);
	close(fd);
	return 0;
}

/* @ctx points to the DWORD options. */
static int emu_cycle(void *ctx, size_t bytes)
{
	WD_KERNEL_BUFFER *kb;

	if (WDS_SharedBufferAlloc(bytes, *(const DWORD *)ctx, &kb))
		return -1;
	return WDS_SharedBufferFree(kb) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 65536, 1 << 20 };
	static const struct { DWORD opt; const char *name; } kinds[] = {
		{ KER_BUF_ALLOC_CONTIG, "CONTIG" },
		{ KER_BUF_ALLOC_NON_CONTIG, "NON_CONTIG" },
	};
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	int rounds = smoke ? 3 : 9, iters = smoke ? 200 : 4000, worst_ok = 1;
	struct kmemu_config cfg;

	kmemu_config_default(&cfg);
	cfg.placement = KMEMU_PLACE_DEFAULT;
	if (kmemu_backend_use("emu", &cfg)) {
		fprintf(stderr, "cannot open the emulator\n");
		return 1;
	}
	printf("# WDS Alloc+Free cycle vs bare memfd_create+ftruncate+2 mmap+2 munmap+close\n");
	printf("# placement=default, %d rounds x %d cycles, median round\n", rounds, iters);
	printf("%-11s %9s %12s %12s %8s\n", "kind", "size", "emu ns/op", "bare ns/op", "ratio");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double e, b, ratio;

			if (bench_side_by_side(emu_cycle, (void *)&kinds[k].opt, bare_cycle, NULL,
					       sizes[s], rounds, iters, &e, &b))
				return 1;
			ratio = e / b;
			if (ratio > 1.0)
				worst_ok = 0;
			printf("%-11s %8zuK %12.0f %12.0f %7.2fx\n", kinds[k].name, sizes[s] / 1024,
			       e, b, ratio);
		}
	}
	printf("# target ratio <= 1.00: %s\n", worst_ok ? "met" : "NOT met");
	return 0;
}
