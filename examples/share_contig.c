/* SPDX-License-Identifier: MIT */
/*
 * share_contig.c - a contiguous WinDriver shared buffer, end to end.
 *
 * Allocates a KER_BUF_ALLOC_CONTIG buffer, writes through the user address,
 * reads it back through the kernel address, hands the global handle to a
 * second emulated process which maps it with WDS_SharedBufferGet, and frees
 * it in both.  The buffer calls use only <wds_lib.h>; <kmemu/kmemu.h> is
 * used to create the second process and to check that nothing leaked.
 *
 * Build against an installed kmemu:
 *   cc share_contig.c $(pkg-config --cflags --libs kmemu) -o share_contig
 */
#include <stdio.h>
#include <string.h>
#include <wds_lib.h>
#include <kmemu/kmemu.h>

#define CHECK(cond, ...)                              \
	do {                                          \
		if (!(cond)) {                        \
			fprintf(stderr, __VA_ARGS__); \
			return 1;                     \
		}                                     \
	} while (0)

int main(void)
{
	WD_KERNEL_BUFFER *buf, *peer;
	kmemu_pid first, second;
	struct kmemu_stats st;
	uint64_t phys0, phys1;
	DWORD handle, rc;

	rc = WDS_SharedBufferAlloc(2 * 4096, KER_BUF_ALLOC_CONTIG, &buf);
	CHECK(rc == WD_STATUS_SUCCESS, "alloc: %s\n", Stat2Str(rc));

	/* Physically contiguous: page 1 is the frame after page 0. */
	kmemu_process_current(&first);
	kmemu_virt_to_phys(first, (void *)buf->pUserAddr, &phys0);
	kmemu_virt_to_phys(first, (void *)(buf->pUserAddr + 4096), &phys1);
	CHECK(phys1 == phys0 + 4096, "not contiguous: %llx %llx\n", (unsigned long long)phys0,
	      (unsigned long long)phys1);

	/* User and kernel addresses alias the same frames. */
	strcpy((char *)buf->pUserAddr, "written in user mode");
	CHECK(!strcmp((const char *)(uintptr_t)buf->pKernelAddr, "written in user mode"),
	      "kernel view differs\n");
	printf("user %#lx and kernel %#llx both read \"%s\"\n", buf->pUserAddr,
	       (unsigned long long)buf->pKernelAddr, (const char *)(uintptr_t)buf->pKernelAddr);

	/* A second process maps the buffer by its global handle. */
	handle = WDS_SharedBufferGetGlobalHandle(buf);
	kmemu_process_create("peer", &second);
	kmemu_process_attach(second, NULL);
	rc = WDS_SharedBufferGet(handle, &peer);
	CHECK(rc == WD_STATUS_SUCCESS, "get: %s\n", Stat2Str(rc));
	printf("process %u maps handle %#x at %#lx: \"%s\"\n", second, handle, peer->pUserAddr,
	       (const char *)peer->pUserAddr);

	/* The allocator frees first; the peer's mapping stays valid. */
	kmemu_process_attach(first, NULL);
	CHECK(WDS_SharedBufferFree(buf) == WD_STATUS_SUCCESS, "free in first\n");
	kmemu_process_attach(second, NULL);
	CHECK(!strcmp((const char *)peer->pUserAddr, "written in user mode"), "peer lost data\n");
	CHECK(WDS_SharedBufferFree(peer) == WD_STATUS_SUCCESS, "free in peer\n");
	kmemu_process_attach(first, NULL);
	kmemu_process_destroy(second);

	kmemu_stats_get(&st);
	CHECK(st.frames_used == 0 && st.wds_buffers == 0 && st.mappings == 0,
	      "leak: %llu frames, %llu buffers\n", (unsigned long long)st.frames_used,
	      (unsigned long long)st.wds_buffers);
	printf("freed everywhere: 0 frames, 0 buffers, 0 mappings in use\n");
	return 0;
}
