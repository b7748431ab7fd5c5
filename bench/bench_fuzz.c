/* SPDX-License-Identifier: MIT */
/*
 * bench_fuzz.c - executions per second of every fuzz target, without libFuzzer.
 *
 * The harnesses of fuzz/ are compiled here as plain code (no sanitizers, no
 * coverage instrumentation, each LLVMFuzzerTestOneInput renamed), and this
 * driver feeds them generated inputs from a seeded PRNG for a fixed time,
 * one target after the other on one core.  Inputs have the shape of each
 * target's format: fuzz_seq and fuzz_diff get programs of exactly 16 calls
 * (a 2-byte machine header and 16 records), so their exec/s is programs of
 * 16 calls per second, compared with the target of 5,000/s.  The user and
 * system CPU time of each target shows where the time goes (system time is
 * the emulator's host syscalls: mmap, munmap, fallocate, memfd).
 *
 * Usage: kmemu-bench-fuzz [--smoke] [--seconds S] [TARGET...]
 *   TARGET: wds physmem handle seq diff (default: all)
 *   --smoke: 0.2 s per target (CI)
 * Environment: KMEMU_DIFF_BACKEND as for fuzz_diff, but "emu" when unset
 * (emu default vs emu scatter: a pair with no difference to stop on).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int kmemu_bench_fuzz_wds(const uint8_t *data, size_t size);
int kmemu_bench_fuzz_physmem(const uint8_t *data, size_t size);
int kmemu_bench_fuzz_handle(const uint8_t *data, size_t size);
int kmemu_bench_fuzz_seq(const uint8_t *data, size_t size);
int kmemu_bench_fuzz_diff(const uint8_t *data, size_t size);

#define SEQ_TARGET 5000.0   /* programs of 16 calls per second, one core */

struct target {
	const char *name;                              /* short name */
	int (*one)(const uint8_t *data, size_t size);  /* the harness */
	size_t header, record, records;                /* input shape */
	const char *unit;                              /* what one execution is */
	int byte0;                                     /* forced first byte, or -1 */
};

static const struct target targets[] = {
	{ "wds", kmemu_bench_fuzz_wds, 0, 8, 16, "programs of 16 calls", -1 },
	{ "physmem", kmemu_bench_fuzz_physmem, 4, 4, 32, "programs of 32 steps", -1 },
	{ "handle", kmemu_bench_fuzz_handle, 2, 4, 64, "programs of 64 steps", -1 },
	{ "seq", kmemu_bench_fuzz_seq, 2, 8, 16, "programs of 16 calls", -1 },
	{ "diff", kmemu_bench_fuzz_diff, 2, 8, 16, "programs of 16 calls x 2 backends", -1 },
};

/* Where fuzz_seq's time goes: one placement at a time (header byte 0 picks
 * it, no fragmentation), and an empty program (machine open + close only). */
static const struct target seq_parts[] = {
	{ "seq/default", kmemu_bench_fuzz_seq, 2, 8, 16, "16 calls, default placement", 0 },
	{ "seq/scatter", kmemu_bench_fuzz_seq, 2, 8, 16, "16 calls, scatter placement", 1 },
	{ "seq/random", kmemu_bench_fuzz_seq, 2, 8, 16, "16 calls, random placement", 2 },
	{ "seq/empty", kmemu_bench_fuzz_seq, 2, 8, 0, "no call: machine open + close", -1 },
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(int sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	if (sys)
		return (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Run @t for @secs seconds; prints one line; returns executions per second. */
static double run_target(const struct target *t, double secs)
{
	size_t size = t->header + t->record * t->records;
	uint8_t input[1024];
	uint64_t seed = 42, execs = 0;
	double t0, el, u0 = cpu_s(0), s0 = cpu_s(1), rate, us, ss;

	t0 = now_s();
	do {
		/* a batch between clock reads */
		for (int k = 0; k < 16; k++) {
			for (size_t i = 0; i < size; i += 8) {
				uint64_t v = prng_next(&seed);

				memcpy(input + i, &v, size - i < 8 ? size - i : 8);
			}
			if (t->byte0 >= 0)
				input[0] = (uint8_t)t->byte0;
			t->one(input, size);
			execs++;
		}
		el = now_s() - t0;
	} while (el < secs);
	rate = execs / el;
	us = cpu_s(0) - u0;
	ss = cpu_s(1) - s0;
	printf("fuzz_%-12s %10.0f exec/s  (%s; %llu in %.2f s; cpu %.0f%% user, %.0f%% system)\n",
	       t->name, rate, t->unit, (unsigned long long)execs, el,
	       100.0 * us / (us + ss > 0 ? us + ss : 1), 100.0 * ss / (us + ss > 0 ? us + ss : 1));
	return rate;
}

/**
 * main() - run the chosen targets and print exec/s; for fuzz_seq also the
 * ratio to the 5,000 programs/s target.
 * Return: 0; 2 for a usage error.
 */
int main(int argc, char **argv)
{
	double secs = 2.0;
	int chosen[sizeof(targets) / sizeof(targets[0])] = { 0 }, any = 0;

	for (int i = 1; i < argc; i++) {
		int found = 0;

		if (!strcmp(argv[i], "--smoke")) {
			secs = 0.2;
			continue;
		}
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			secs = atof(argv[++i]);
			continue;
		}
		for (size_t k = 0; k < sizeof(targets) / sizeof(targets[0]); k++) {
			if (!strcmp(argv[i], targets[k].name)) {
				chosen[k] = found = any = 1;
			}
		}
		if (!found) {
			fprintf(stderr, "usage: kmemu-bench-fuzz [--smoke] [--seconds S] "
					"[wds|physmem|handle|seq|diff]...\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("KMEMU_DIFF_BACKEND", "emu", 0);
	printf("fuzz targets without libFuzzer or sanitizers, one core, %.1f s each\n", secs);
	for (size_t k = 0; k < sizeof(targets) / sizeof(targets[0]); k++) {
		double rate;

		if (any && !chosen[k])
			continue;
		rate = run_target(&targets[k], secs);
		if (!strcmp(targets[k].name, "seq")) {
			printf("fuzz_seq: %.0f programs of 16 calls/s vs target %.0f/s: ratio %.2f (%s)\n",
			       rate, SEQ_TARGET, rate / SEQ_TARGET, rate >= SEQ_TARGET ? "met" : "BELOW");
			for (size_t p = 0; p < sizeof(seq_parts) / sizeof(seq_parts[0]); p++)
				run_target(&seq_parts[p], secs / 2);
		}
	}
	return 0;
}
