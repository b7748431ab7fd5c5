/* SPDX-License-Identifier: MIT */
/*
 * bench_wdf_memory.c - the WDFMEMORY cycle against the bare host work it
 * stands for, measured side by side in one run.
 *
 *   create: WdfMemoryCreate (a fresh, poisoned buffer) + WdfMemoryCopyFromBuffer
 *           of 64 bytes + WdfObjectDelete, with the verifier on and off
 *           vs malloc + memset (the poison) + memcpy of 64 bytes + free
 *
 * Rounds of both alternate and the median round is reported, so machine
 * noise hits both alike.  Small buffers measure the framework's bookkeeping
 * (handle registry, parent list, callbacks, locks), large ones the buffer
 * work.  Targets: the bookkeeping (emu - bare) stays under 1 us per cycle at
 * every size, and the ratio (emu / bare) is <= 1.5 at 64 KiB.
 *
 * Usage: kmemu-bench-wdf-memory [--smoke]   (--smoke: few iterations, for CI)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmemu/wdf.h>
#include "bench.h"

static uint8_t src[64];

static int bare_create(void *ctx, size_t bytes)
{
	uint8_t *p = malloc(bytes);

	(void)ctx;
	if (!p)
		return -1;
	memset(p, 0xCD, bytes);
	memcpy(p, src, sizeof(src) < bytes ? sizeof(src) : bytes);
	/* keep the stores: the buffer is read once before it goes */
	__asm__ volatile("" : : "r"(p) : "memory");
	free(p);
	return 0;
}

static int emu_create(void *ctx, size_t bytes)
{
	WDFMEMORY m = NULL;

	(void)ctx;
	if (WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 0, bytes, &m, NULL) ||
	    WdfMemoryCopyFromBuffer(m, 0, src, sizeof(src) < bytes ? sizeof(src) : bytes))
		return -1;
	WdfObjectDelete(m);
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 4096, 65536 };
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	int rounds = smoke ? 3 : 9, iters = smoke ? 200 : 20000, ok = 1;
	struct kmemu_config cfg;

	kmemu_config_default(&cfg);
	if (kmemu_backend_use("emu", &cfg)) {
		fprintf(stderr, "cannot open the emulator\n");
		return 1;
	}
	printf("# create: WdfMemoryCreate + CopyFromBuffer(64 B) + WdfObjectDelete"
	       "  vs  malloc + memset + memcpy(64 B) + free\n");
	printf("# %d rounds x %d cycles, median round\n", rounds, iters);
	printf("%-9s %7s %12s %12s %12s %8s\n", "verifier", "size", "emu ns/op", "bare ns/op",
	       "overhead ns", "ratio");
	for (int v = 1; v >= 0; v--) {
		struct kmemu_wdf_driver_options o = { .verifier = v, .has_verifier = 1, .quiet = 1 };
		struct kmemu_wdf_driver *d;

		if (kmemu_wdf_driver_create("bench", &o, NULL, &d)) {
			fprintf(stderr, "cannot create the driver\n");
			return 1;
		}
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double e, b, ratio;

			if (bench_side_by_side(emu_create, NULL, bare_create, NULL, sizes[s], rounds,
					       iters, &e, &b))
				return 1;
			ratio = e / b;
			if (e - b > 1000 || (sizes[s] >= 65536 && ratio > 1.5))
				ok = 0;
			printf("%-9s %6zuB %12.0f %12.0f %12.0f %7.2fx\n", v ? "on" : "off", sizes[s],
			       e, b, e - b, ratio);
		}
		kmemu_wdf_driver_unload(d);
	}
	printf("# targets (overhead < 1000 ns everywhere, ratio <= 1.50 at 64 KiB): %s\n",
	       ok ? "met" : "NOT met");
	return 0;
}
