/* SPDX-License-Identifier: MIT */
/*
 * fuzz_wds.c - libFuzzer harness for the WDS shared-buffer API.
 *
 * The input is a program: each 8-byte record is one call (alloc with fuzzed
 * size and options, get with a fuzzed or a live handle, free of a live,
 * already-freed or foreign description, switch emulated process, write and
 * read back through the aliases).  After every input the emulator's
 * invariant checkers must pass, and after freeing everything no frame,
 * mapping or buffer may remain.  Every call's status must be one the API
 * documents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wds_lib.h>
#include <kmemu/kmemu.h>

#define MAX_LIVE 16

struct live {
	WD_KERNEL_BUFFER *kb;  /* description, or NULL */
	kmemu_pid pid;         /* process that holds it */
};

static int documented(DWORD rc)
{
	return rc == WD_STATUS_SUCCESS || rc == WD_INVALID_PARAMETER || rc == WD_INVALID_HANDLE ||
	       rc == WD_INSUFFICIENT_RESOURCES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int opened;
	struct live live[MAX_LIVE] = { 0 };
	kmemu_pid procs[2];
	struct kmemu_stats st;
	const char *why;

	if (!opened) {
		struct kmemu_config cfg;

		kmemu_config_default(&cfg);
		cfg.ram_bytes = 32u << 20;
		cfg.placement = KMEMU_PLACE_SCATTER;
		if (kmemu_backend_use("emu", &cfg))
			abort();
		opened = 1;
	}
	kmemu_process_current(&procs[0]);
	if (kmemu_process_create("fuzz", &procs[1]))
		abort();
	for (size_t off = 0; off + 8 <= size; off += 8) {
		const uint8_t *r = data + off;
		unsigned slot = r[1] % MAX_LIVE;
		uint32_t arg;
		WD_KERNEL_BUFFER *kb = NULL;
		DWORD rc = WD_STATUS_SUCCESS;

		memcpy(&arg, r + 4, 4);
		switch (r[0] % 6) {
		case 0: /* alloc: size up to 1 MiB or huge, raw option bits */
			if (live[slot].kb)
				break;
			rc = WDS_SharedBufferAlloc(r[3] & 0x80 ? (UINT64)arg << 12 : arg % (1u << 20),
						   r[2], &kb);
			if (rc == WD_STATUS_SUCCESS) {
				live[slot].kb = kb;
				kmemu_process_current(&live[slot].pid);
			}
			break;
		case 1: /* get: a live handle or a raw one */
			if (live[slot].kb)
				break;
			rc = WDS_SharedBufferGet(r[2] & 1 && live[r[3] % MAX_LIVE].kb
							 ? live[r[3] % MAX_LIVE].kb->hKerBuf
							 : arg,
						 &kb);
			if (rc == WD_STATUS_SUCCESS) {
				live[slot].kb = kb;
				kmemu_process_current(&live[slot].pid);
			}
			break;
		case 2: { /* free from the holder, or (refused) from the other process */
			kmemu_pid cur;

			if (!live[slot].kb)
				break;
			kmemu_process_current(&cur);
			rc = WDS_SharedBufferFree(live[slot].kb);
			if (cur == live[slot].pid) {
				if (rc != WD_STATUS_SUCCESS)
					abort();
				live[slot].kb = NULL;
			} else if (rc != WD_INVALID_HANDLE) {
				abort();
			}
			break;
		}
		case 3: /* switch process */
			kmemu_process_attach(procs[r[2] & 1], NULL);
			break;
		case 4: /* write through the user view, read through the kernel view */
			if (live[slot].kb && live[slot].kb->qwBytes) {
				kmemu_pid cur;
				uint64_t at = arg % live[slot].kb->qwBytes;
				uint8_t back = 0;

				kmemu_process_current(&cur);
				if (kmemu_user_write(live[slot].pid, live[slot].kb->pUserAddr + at, &r[2], 1) ||
				    kmemu_kernel_read(live[slot].kb->pKernelAddr + at, &back, 1) ||
				    back != r[2])
					abort();
			}
			break;
		default: /* free with a NULL or a never-allocated pointer */
			rc = WDS_SharedBufferFree(r[2] & 1 ? NULL : (WD_KERNEL_BUFFER *)&live[slot]);
			if (rc != (r[2] & 1 ? WD_INVALID_PARAMETER : WD_INVALID_HANDLE))
				abort();
			break;
		}
		if (!documented(rc))
			abort();
	}
	if (kmemu_check(&why))
		abort();
	for (unsigned i = 0; i < MAX_LIVE; i++) {
		if (live[i].kb) {
			kmemu_process_attach(live[i].pid, NULL);
			if (WDS_SharedBufferFree(live[i].kb))
				abort();
		}
	}
	kmemu_process_attach(procs[0], NULL);
	kmemu_process_destroy(procs[1]);
	kmemu_stats_get(&st);
	if (st.frames_used || st.wds_buffers || st.mappings || st.processes != 1 || kmemu_check(&why))
		abort();
	return 0;
}
