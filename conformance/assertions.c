/* SPDX-License-Identifier: MIT */
/*
 * assertions.c - the assertion table, compiled from the per-API X-macro lists
 * conformance/<API>/assertions.def.  Each local id is qualified with its API
 * ("WDS_SharedBufferAlloc/" "size-zero") by string-literal concatenation.
 */
#include <string.h>
#include "harness.h"

#define KMEMU_ASSERTION(id, level, source, sentence, check) \
	{ KMEMU_API "/" id, KMEMU_LEVEL_##level, source, sentence, check },

const struct kmemu_assertion kmemu_assertions[] = {
#define KMEMU_API "WDS_SharedBufferAlloc"
#include "WDS_SharedBufferAlloc/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WDS_SharedBufferFree"
#include "WDS_SharedBufferFree/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WDS_SharedBufferGet"
#include "WDS_SharedBufferGet/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WDS_SharedBufferGetGlobalHandle"
#include "WDS_SharedBufferGetGlobalHandle/assertions.def"
#undef KMEMU_API
#define KMEMU_API "ZwCreateSection"
#include "ZwCreateSection/assertions.def"
#undef KMEMU_API
#define KMEMU_API "ZwOpenSection"
#include "ZwOpenSection/assertions.def"
#undef KMEMU_API
#define KMEMU_API "ZwMapViewOfSection"
#include "ZwMapViewOfSection/assertions.def"
#undef KMEMU_API
#define KMEMU_API "ZwUnmapViewOfSection"
#include "ZwUnmapViewOfSection/assertions.def"
#undef KMEMU_API
#define KMEMU_API "ObReferenceObjectByHandle"
#include "ObReferenceObjectByHandle/assertions.def"
#undef KMEMU_API
#define KMEMU_API "MmMapViewInSystemSpace"
#include "MmMapViewInSystemSpace/assertions.def"
#undef KMEMU_API
#define KMEMU_API "NtMapViewOfSectionEx"
#include "NtMapViewOfSectionEx/assertions.def"
#undef KMEMU_API
#define KMEMU_API "NtUnmapViewOfSectionEx"
#include "NtUnmapViewOfSectionEx/assertions.def"
#undef KMEMU_API
#define KMEMU_API "NtAreMappedFilesTheSame"
#include "NtAreMappedFilesTheSame/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfDriverCreate"
#include "WdfDriverCreate/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfMemoryCreate"
#include "WdfMemoryCreate/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfMemoryCreatePreallocated"
#include "WdfMemoryCreatePreallocated/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfMemoryAssignBuffer"
#include "WdfMemoryAssignBuffer/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfMemoryGetBuffer"
#include "WdfMemoryGetBuffer/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfMemoryCopyToBuffer"
#include "WdfMemoryCopyToBuffer/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfObjectDelete"
#include "WdfObjectDelete/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfRequestProbeAndLockUserBufferForWrite"
#include "WdfRequestProbeAndLockUserBufferForWrite/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfRequestProbeAndLockUserBufferForRead"
#include "WdfRequestProbeAndLockUserBufferForRead/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfRequestRetrieveUnsafeUserInputBuffer"
#include "WdfRequestRetrieveUnsafeUserInputBuffer/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfRequestRetrieveUnsafeUserOutputBuffer"
#include "WdfRequestRetrieveUnsafeUserOutputBuffer/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfRequestComplete"
#include "WdfRequestComplete/assertions.def"
#undef KMEMU_API
#define KMEMU_API "WdfRequestMarkCancelable"
#include "WdfRequestMarkCancelable/assertions.def"
#undef KMEMU_API
#define KMEMU_API "FltRegisterFilter"
#include "FltRegisterFilter/assertions.def"
#undef KMEMU_API
#define KMEMU_API "FltAllocateContext"
#include "FltAllocateContext/assertions.def"
#undef KMEMU_API
#define KMEMU_API "FltReleaseContext"
#include "FltReleaseContext/assertions.def"
#undef KMEMU_API
#define KMEMU_API "FltSetContext"
#include "FltSetContext/assertions.def"
#undef KMEMU_API
};

#undef KMEMU_ASSERTION

const size_t kmemu_assertion_count = sizeof(kmemu_assertions) / sizeof(kmemu_assertions[0]);

/* kmemu_assertion_find() - the assertion with qualified id @id, or NULL. */
const struct kmemu_assertion *kmemu_assertion_find(const char *id)
{
	for (size_t i = 0; i < kmemu_assertion_count; i++)
		if (!strcmp(kmemu_assertions[i].id, id))
			return &kmemu_assertions[i];
	return NULL;
}

/* kmemu_level_name() - "SHALL", "OBSERVED" or "DECIDED". */
const char *kmemu_level_name(enum kmemu_level level)
{
	switch (level) {
	case KMEMU_LEVEL_SHALL:
		return "SHALL";
	case KMEMU_LEVEL_OBSERVED:
		return "OBSERVED";
	case KMEMU_LEVEL_DECIDED:
		return "DECIDED";
	}
	return "?";
}
