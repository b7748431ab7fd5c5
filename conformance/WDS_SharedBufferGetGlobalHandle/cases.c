/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of the WDS_SharedBufferGetGlobalHandle macro.
 */
#include "../wds_helpers.h"

#define H "WDS_SharedBufferGetGlobalHandle/"

KMEMU_CASE(equals_hkerbuf, H "equals-hkerbuf", KMEMU_CAP_WDS,
	   H "returns-global-handle " H "return-value " H "prototype " H "pkerbuf-description")
{
	WD_KERNEL_BUFFER *kb = wds_setup_alloc(WDS_PAGE, wds_any_kind()), *again = NULL;
	int is_dword = _Generic(WDS_SharedBufferGetGlobalHandle(kb), DWORD: 1, default: 0);

#ifndef WDS_SharedBufferGetGlobalHandle
	KMEMU_FAIL("WDS_SharedBufferGetGlobalHandle is not a macro");
#endif
	KMEMU_EXPECT_TRUE(is_dword);
	KMEMU_EXPECT_EQ(sizeof(WDS_SharedBufferGetGlobalHandle(kb)), 4);
	KMEMU_EXPECT_EQ(WDS_SharedBufferGetGlobalHandle(kb), kb->hKerBuf);
	KMEMU_EXPECT_NE(WDS_SharedBufferGetGlobalHandle(kb), 0);
	/* the value is what Get accepts; a same-process Get's description yields it too */
	if (KMEMU_EXPECT_WD(WDS_SharedBufferGet(WDS_SharedBufferGetGlobalHandle(kb), &again),
			    WD_STATUS_SUCCESS)) {
		KMEMU_EXPECT_EQ(WDS_SharedBufferGetGlobalHandle(again),
				WDS_SharedBufferGetGlobalHandle(kb));
		KMEMU_EXPECT_WD(WDS_SharedBufferFree(again), WD_STATUS_SUCCESS);
	}
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

KMEMU_CASE(field_access, H "plain-field-access", KMEMU_CAP_WDS, H "field-access-macro")
{
	WD_KERNEL_BUFFER local = { .hKerBuf = 0x12345678u, .dwOptions = 0xFFu };
	WD_KERNEL_BUFFER *p = &local;

	KMEMU_EXPECT_EQ(WDS_SharedBufferGetGlobalHandle(p), 0x12345678u);
	KMEMU_EXPECT_TRUE(&WDS_SharedBufferGetGlobalHandle(p) == &p->hKerBuf);
	if (wds_has_caps(KMEMU_CAP_FAULT_INJECT)) {
		/* count acquisitions without failing any: the macro makes none */
		struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .n = UINT64_MAX };
		struct kmemu_fault_stats fs;
		volatile DWORD v;

		KMEMU_SETUP_NT(kmemu_fault_set(&fc));
		v = WDS_SharedBufferGetGlobalHandle(p);
		kmemu_fault_get_stats(&fs);
		kmemu_fault_set(NULL);
		KMEMU_EXPECT_EQ(v, 0x12345678u);
		KMEMU_EXPECT_EQ(fs.acquisitions, 0);
	}
}

KMEMU_CASE(three_processes, H "shared-across-three-processes",
	   KMEMU_CAP_WDS | KMEMU_CAP_MULTI_PROCESS,
	   H "shares-between-processes " H "handle-is-global " H "pkerbuf-description")
{
	kmemu_pid a = wds_current_pid(), b = wds_setup_process("b"), c = wds_setup_process("c");
	WD_KERNEL_BUFFER *ka = wds_setup_alloc(2 * WDS_PAGE, KER_BUF_ALLOC_NON_CONTIG), *kb, *kc, *ka2;
	DWORD h = WDS_SharedBufferGetGlobalHandle(ka);
	uint8_t byte = 0;

	wds_setup_attach(b);
	kb = wds_setup_get(h);
	KMEMU_EXPECT_EQ(WDS_SharedBufferGetGlobalHandle(kb), h);
	wds_setup_attach(c);
	kc = wds_setup_get(WDS_SharedBufferGetGlobalHandle(kb));
	KMEMU_EXPECT_EQ(WDS_SharedBufferGetGlobalHandle(kc), h);
	KMEMU_EXPECT_NT(kmemu_user_write(c, kc->pUserAddr + 100, (uint8_t[]){ 0xC3 }, 1),
			STATUS_SUCCESS);
	KMEMU_EXPECT_NT(kmemu_user_read(b, kb->pUserAddr + 100, &byte, 1), STATUS_SUCCESS);
	KMEMU_EXPECT_EQ(byte, 0xC3);
	wds_setup_attach(a);
	KMEMU_EXPECT_EQ(kmemu_uaddr(ka)[100], 0xC3);
	ka2 = wds_setup_get(h);
	KMEMU_EXPECT_EQ(WDS_SharedBufferGetGlobalHandle(ka2), h);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka2), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	wds_setup_attach(b);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	wds_setup_attach(c);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kc), WD_STATUS_SUCCESS);
	wds_setup_attach(a);
}

KMEMU_CASE(distinct, H "distinct-handles", KMEMU_CAP_WDS, H "distinct-per-buffer")
{
	WD_KERNEL_BUFFER *kb[3], *kn;
	DWORD dead;

	for (int i = 0; i < 3; i++) {
		kb[i] = wds_setup_alloc(WDS_PAGE, i % 2 ? KER_BUF_ALLOC_NON_CONTIG : wds_any_kind());
		KMEMU_EXPECT_NE(WDS_SharedBufferGetGlobalHandle(kb[i]), 0);
		for (int j = 0; j < i; j++)
			KMEMU_EXPECT_NE(WDS_SharedBufferGetGlobalHandle(kb[i]),
					WDS_SharedBufferGetGlobalHandle(kb[j]));
	}
	dead = WDS_SharedBufferGetGlobalHandle(kb[1]);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb[1]), WD_STATUS_SUCCESS);
	kn = wds_setup_alloc(WDS_PAGE, wds_any_kind());
	KMEMU_EXPECT_NE(WDS_SharedBufferGetGlobalHandle(kn), dead);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kn), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb[0]), WD_STATUS_SUCCESS);
	KMEMU_EXPECT_WD(WDS_SharedBufferFree(kb[2]), WD_STATUS_SUCCESS);
}

const struct kmemu_case *const kmemu_cases_WDS_SharedBufferGetGlobalHandle[] = {
	KMEMU_CASE_REF(equals_hkerbuf),
	KMEMU_CASE_REF(field_access),
	KMEMU_CASE_REF(three_processes),
	KMEMU_CASE_REF(distinct),
	NULL,
};
