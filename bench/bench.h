/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the side-by-side measurement every benchmark here uses.
 *
 * Rounds of the emulator's cycle and of the bare host cycle alternate, so
 * machine noise hits both alike; the median round of each is reported.
 */
#ifndef KMEMU_BENCH_H
#define KMEMU_BENCH_H

#include <stdlib.h>
#include <time.h>

#define BENCH_MAX_ROUNDS 16

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Time @n calls of @fn(@ctx, @size); ns per call, or -1 when a call failed. */
static inline double bench_round(int (*fn)(void *ctx, size_t size), void *ctx, size_t size, int n)
{
	double t0 = bench_now_ns();

	for (int i = 0; i < n; i++)
		if (fn(ctx, size))
			return -1;
	return (bench_now_ns() - t0) / n;
}

/**
 * bench_side_by_side() - median ns per call of two cycles, measured in
 * alternating rounds.
 * @emu, @emu_ctx:   the emulator's cycle.
 * @bare, @bare_ctx: the bare host cycle.
 * @size:            passed to both.
 * @rounds:          rounds of each (1 .. BENCH_MAX_ROUNDS).
 * @n:               calls per round.
 * @emu_ns, @bare_ns: receive the medians.
 * Return: 0; -1 (with a message on stderr) when a cycle failed.
 */
static inline int bench_side_by_side(int (*emu)(void *, size_t), void *emu_ctx,
				     int (*bare)(void *, size_t), void *bare_ctx, size_t size,
				     int rounds, int n, double *emu_ns, double *bare_ns)
{
	double e[BENCH_MAX_ROUNDS], b[BENCH_MAX_ROUNDS];

	if (rounds > BENCH_MAX_ROUNDS)
		rounds = BENCH_MAX_ROUNDS;
	for (int r = 0; r < rounds; r++) {
		if ((e[r] = bench_round(emu, emu_ctx, size, n)) < 0)
			return fprintf(stderr, "emu cycle failed\n"), -1;
		if ((b[r] = bench_round(bare, bare_ctx, size, n)) < 0)
			return fprintf(stderr, "bare cycle failed\n"), -1;
	}
	qsort(e, (size_t)rounds, sizeof(double), bench_cmp_double);
	qsort(b, (size_t)rounds, sizeof(double), bench_cmp_double);
	*emu_ns = e[rounds / 2];
	*bare_ns = b[rounds / 2];
	return 0;
}

#endif /* KMEMU_BENCH_H */
