/* SPDX-License-Identifier: MIT */
/*
 * bench_flt.c - the Filter Manager context cycle a minifilter runs per
 * operation, against malloc + free of the same size, side by side in one
 * run (bench/bench.h).
 *
 * The cycle: FltAllocateContext + FltSetStreamContext + FltGetStreamContext
 * + FltReleaseContext x2 (the get's and the allocation's reference) +
 * FltDeleteStreamContext (the stream's reference: the context is freed).
 * Fixed sizes come back from the lookaside list; variable sizes go to the
 * heap and are zeroed.  The ratio (emu / bare) says what the bookkeeping -
 * one lock, the live-set lookups that make stale pointers reportable, the
 * cleanup callback - costs over the bare allocation.
 *
 * Usage: kmemu-bench-flt [--smoke]   (--smoke: few iterations, for CI)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fltkernel.h>
#include <kmemu/kmemu.h>
#include <kmemu/flt.h>
#include "bench.h"

static VOID FLTAPI on_cleanup(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
	(void)c;
	(void)t;
}

static const FLT_CONTEXT_REGISTRATION regs[] = {
	{ FLT_STREAM_CONTEXT, 0, on_cleanup, 64, 0x68636E42u, NULL, NULL, NULL },
	{ FLT_STREAM_CONTEXT, 0, on_cleanup, 512, 0x68636E42u, NULL, NULL, NULL },
	{ FLT_STREAM_CONTEXT, 0, on_cleanup, FLT_VARIABLE_SIZED_CONTEXTS, 0x68636E42u, NULL, NULL, NULL },
	{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

struct world {
	PFLT_FILTER f;
	PFLT_INSTANCE in;
	PFILE_OBJECT fo;
};

/* One emulated cycle of @size bytes; 0 on success. */
static int emu_cycle(void *ctx, size_t size)
{
	struct world *w = ctx;
	PFLT_CONTEXT c, got;

	if (FltAllocateContext(w->f, FLT_STREAM_CONTEXT, size, NonPagedPool, &c))
		return -1;
	((volatile char *)c)[0] = 1;
	if (FltSetStreamContext(w->in, w->fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL) ||
	    FltGetStreamContext(w->in, w->fo, &got) || got != c)
		return -1;
	FltReleaseContext(got);
	FltReleaseContext(c);
	return FltDeleteStreamContext(w->in, w->fo, NULL) ? -1 : 0;
}

/* The bare cycle: the allocation alone. */
static int bare_cycle(void *ctx, size_t size)
{
	volatile char *p = malloc(size);

	(void)ctx;
	if (!p)
		return -1;
	p[0] = 1;
	free((void *)p);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *kind; size_t size; } cases[] = {
		{ "fixed", 64 }, { "fixed", 512 }, { "variable", 100 }, { "variable", 4000 },
	};
	int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	int rounds = smoke ? 3 : 9, iters = smoke ? 2000 : 200000;
	FLT_REGISTRATION reg;
	PFLT_VOLUME v;
	struct world w;
	static char driver;

	memset(&reg, 0, sizeof(reg));
	reg.Size = sizeof(reg);
	reg.Version = FLT_REGISTRATION_VERSION;
	reg.ContextRegistration = regs;
	if (FltRegisterFilter((PDRIVER_OBJECT)(void *)&driver, &reg, &w.f) || FltStartFiltering(w.f) ||
	    kmemu_flt_volume_create("B:", 0, &v) || kmemu_flt_instance_attach(w.f, v, &w.in) ||
	    kmemu_flt_file_open(v, "bench.dat", &w.fo)) {
		fprintf(stderr, "cannot set the Filter Manager up\n");
		return 1;
	}
	printf("# FltAllocateContext+Set+Get+Release x2+Delete cycle vs malloc+free\n");
	printf("# %d rounds x %d cycles, median round\n", rounds, iters);
	printf("%-9s %6s %12s %12s %8s\n", "kind", "size", "emu ns/op", "bare ns/op", "ratio");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double e, b;

		if (bench_side_by_side(emu_cycle, &w, bare_cycle, NULL, cases[i].size, rounds, iters,
				       &e, &b))
			return 1;
		printf("%-9s %6zu %12.1f %12.1f %7.2fx\n", cases[i].kind, cases[i].size, e, b, e / b);
	}
	kmemu_flt_file_close(w.fo);
	FltUnregisterFilter(w.f);
	kmemu_flt_volume_destroy(v);
	return 0;
}
