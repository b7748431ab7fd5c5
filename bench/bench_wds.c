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

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One bare cycle; returns 0 on success. */
static int bare_cycle(size_t bytes)
{
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

static int emu_cycle(size_t bytes, DWORD options)
{
	WD_KERNEL_BUFFER *kb;

	if (WDS_SharedBufferAlloc(bytes, options, &kb))
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
			double e[16], b[16], ratio;

			for (int r = 0; r < rounds; r++) {
				double t0 = now_ns();

				for (int i = 0; i < iters; i++)
					if (emu_cycle(sizes[s], kinds[k].opt))
						return fprintf(stderr, "emu cycle failed\n"), 1;
				e[r] = (now_ns() - t0) / iters;
				t0 = now_ns();
				for (int i = 0; i < iters; i++)
					if (bare_cycle(sizes[s]))
						return fprintf(stderr, "bare cycle failed\n"), 1;
				b[r] = (now_ns() - t0) / iters;
			}
			qsort(e, (size_t)rounds, sizeof(double), cmp_double);
			qsort(b, (size_t)rounds, sizeof(double), cmp_double);
			ratio = e[rounds / 2] / b[rounds / 2];
			if (ratio > 1.0)
				worst_ok = 0;
			printf("%-11s %8zuK %12.0f %12.0f %7.2fx\n", kinds[k].name, sizes[s] / 1024,
			       e[rounds / 2], b[rounds / 2], ratio);
		}
	}
	printf("# target ratio <= 1.00: %s\n", worst_ok ? "met" : "NOT met");
	return 0;
}
