/* SPDX-License-Identifier: MIT */
/*
 * oom.c - the exhaustive OOM loop (SQLite's, as a library function).
 *
 * For N = 0, 1, 2 ... fail exactly acquisition N of the chosen resources and
 * run the operation.  A run in which the fault fired must end with an
 * allowed status, every resource counter back where it was, and every
 * invariant checker passing.  The first N that triggers no fault ends the
 * loop: that run must succeed.
 */
#include <stdio.h>
#include <string.h>
#include "core.h"

static int stats_equal(const struct kmemu_stats *a, const struct kmemu_stats *b)
{
	return a->heap_blocks == b->heap_blocks && a->heap_bytes == b->heap_bytes &&
	       a->frames_used == b->frames_used && a->handles_used == b->handles_used &&
	       a->processes == b->processes && a->wds_buffers == b->wds_buffers &&
	       a->mappings == b->mappings;
}

static int status_allowed(const struct kmemu_oom_op *op, uint32_t st)
{
	if (st == op->success)
		return 1;
	for (unsigned i = 0; i < op->n_fail_ok; i++)
		if (op->fail_ok[i] == st)
			return 1;
	return 0;
}

kmemu_status kmemu_oom_loop(const struct kmemu_oom_op *op, unsigned max,
			    struct kmemu_oom_result *out)
{
	struct kmemu_stats before, after;
	const char *why;

	if (!op || !op->run || !out)
		return STATUS_INVALID_PARAMETER;
	memset(out, 0, sizeof(*out));
	out->ok = 1;
	if (!max)
		max = 100000;
	/* Open the backend before counting, so its own setup is not a leak, and
	 * run the operation once without faults: tables it grows on first use
	 * (handle slots, area and holding arrays) stay grown and are not leaks. */
	if (kmemu_stats_get(&before))
		return STATUS_INVALID_PARAMETER;
	kmemu_fault_set(NULL);
	if (op->run(op->ctx) != op->success) {
		snprintf(out->message, sizeof(out->message), "%s: the warm-up run without faults failed",
			 op->name ? op->name : "op");
		out->ok = 0;
		return STATUS_UNSUCCESSFUL;
	}
	for (unsigned n = 0; n < max; n++) {
		struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .n = n,
						 .resources = op->resources };
		struct kmemu_fault_stats fs;
		uint32_t st;

		kmemu_stats_get(&before);
		kmemu_fault_set(&fc);
		st = op->run(op->ctx);
		kmemu_fault_get_stats(&fs);
		kmemu_fault_set(NULL);
		out->iterations++;
		if (fs.failures == 0) {
			if (st != op->success) {
				snprintf(out->message, sizeof(out->message),
					 "%s: run %u with no fault returned 0x%08X, not success",
					 op->name ? op->name : "op", n, st);
				out->ok = 0;
			}
			break;
		}
		out->failures++;
		kmemu_stats_get(&after);
		if (!status_allowed(op, st)) {
			snprintf(out->message, sizeof(out->message),
				 "%s: fault at acquisition %u gave status 0x%08X, not an allowed one",
				 op->name ? op->name : "op", n, st);
			out->ok = 0;
		} else if (!stats_equal(&before, &after)) {
			snprintf(out->message, sizeof(out->message),
				 "%s: fault at acquisition %u leaked: heap %llu->%llu blocks, frames "
				 "%llu->%llu, handles %llu->%llu, mappings %llu->%llu",
				 op->name ? op->name : "op", n,
				 (unsigned long long)before.heap_blocks,
				 (unsigned long long)after.heap_blocks,
				 (unsigned long long)before.frames_used,
				 (unsigned long long)after.frames_used,
				 (unsigned long long)before.handles_used,
				 (unsigned long long)after.handles_used,
				 (unsigned long long)before.mappings, (unsigned long long)after.mappings);
			out->ok = 0;
		} else if (kmemu_check(&why) == STATUS_INTERNAL_ERROR) {
			snprintf(out->message, sizeof(out->message),
				 "%s: fault at acquisition %u broke an invariant: %s",
				 op->name ? op->name : "op", n, why);
			out->ok = 0;
		}
		if (!out->ok)
			break;
		if (n + 1 == max) {
			snprintf(out->message, sizeof(out->message),
				 "%s: still faulting after %u iterations", op->name ? op->name : "op",
				 max);
			out->ok = 0;
		}
	}
	return out->ok ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
