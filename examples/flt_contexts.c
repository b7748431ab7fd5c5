/* SPDX-License-Identifier: MIT */
/*
 * flt_contexts.c - a minifilter's stream-context code, written as for
 * Windows, driven by a test program that builds the volume, instance and
 * files it needs with the kmemu_flt_* model.
 *
 * The driver half (DriverEntry down to KscFindOrCreateContext) includes
 * only <fltkernel.h>: a FLT_REGISTRATION with a context registration array
 * (one fixed-size stream context with a cleanup callback), FltRegisterFilter,
 * FltStartFiltering, an InstanceSetupCallback, and the usual "get the
 * stream context, else allocate one and set it with KEEP_IF_EXISTS" routine.
 *
 * The test half (main) shows:
 *   - FltAllocateContext does not zero: a fresh fixed-size context reads
 *     0xFC (KMEMU_FLT_POISON), and one recycled through the lookaside list
 *     comes back with the previous stream's bytes;
 *   - FLT_SET_CONTEXT_KEEP_IF_EXISTS on a stream that has a context answers
 *     STATUS_FLT_CONTEXT_ALREADY_DEFINED and returns the existing one;
 *   - two opens of one stream share its context, which goes (cleanup
 *     callback) with the last open;
 *   - the filter unloads with no leak report and no live context.
 * It exits 0 only if every check held.
 *
 * Build against an installed kmemu:
 *   cc flt_contexts.c $(pkg-config --cflags --libs kmemu) -o flt_contexts
 */

/* ==== the minifilter ====================================================== */
#include <fltkernel.h>

#define KSC_TAG 0x6353734Bu  /* 'KsSc' (a 'cSsK' literal in MSVC; GCC's -Wmultichar rejects it) */
#define KSC_SIGNATURE 0x4353534Bu  /* "KSSC" */

typedef struct _KSC_STREAM_CONTEXT {
	ULONG Signature;
	ULONG OpenCount;            /* opens this filter has seen on the stream */
	LONGLONG FirstSeen;         /* order of first open (a sequence number) */
	CHAR Name[48];              /* what the filter calls the stream */
} KSC_STREAM_CONTEXT, *PKSC_STREAM_CONTEXT;

static PFLT_FILTER KscFilter;
static LONGLONG KscSequence;
static ULONG KscCleanups;   /* cleanup callbacks run */

static VOID FLTAPI KscContextCleanup(PFLT_CONTEXT Context, FLT_CONTEXT_TYPE ContextType)
{
	PKSC_STREAM_CONTEXT ctx = Context;

	if (ContextType == FLT_STREAM_CONTEXT && ctx->Signature == KSC_SIGNATURE)
		KscCleanups++;
}

static NTSTATUS FLTAPI KscUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
	UNREFERENCED_PARAMETER(Flags);
	FltUnregisterFilter(KscFilter);
	KscFilter = NULL;
	return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI KscInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
					DEVICE_TYPE VolumeDeviceType,
					FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
	UNREFERENCED_PARAMETER(FltObjects);
	UNREFERENCED_PARAMETER(Flags);
	UNREFERENCED_PARAMETER(VolumeDeviceType);
	/* NTFS only: its streams have per-stream contexts */
	return VolumeFilesystemType == FLT_FSTYPE_NTFS ? STATUS_SUCCESS : STATUS_FLT_DO_NOT_ATTACH;
}

static const FLT_CONTEXT_REGISTRATION KscContexts[] = {
	{ FLT_STREAM_CONTEXT, 0, KscContextCleanup, sizeof(KSC_STREAM_CONTEXT), KSC_TAG, NULL, NULL,
	  NULL },
	{ FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

static const FLT_REGISTRATION KscRegistration = {
	.Size = sizeof(FLT_REGISTRATION),
	.Version = FLT_REGISTRATION_VERSION,
	.Flags = 0,
	.ContextRegistration = KscContexts,
	.OperationRegistration = NULL,
	.FilterUnloadCallback = KscUnload,
	.InstanceSetupCallback = KscInstanceSetup,
};

static NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NTSTATUS status;

	UNREFERENCED_PARAMETER(RegistryPath);
	status = FltRegisterFilter(DriverObject, &KscRegistration, &KscFilter);
	if (!NT_SUCCESS(status))
		return status;
	status = FltStartFiltering(KscFilter);
	if (!NT_SUCCESS(status))
		FltUnregisterFilter(KscFilter);
	return status;
}

/* The stream context of @FileObject's stream, created on first use; the
 * caller releases the returned reference.  (@Name names a new context.) */
static NTSTATUS KscFindOrCreateContext(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
				       PCSTR Name, PKSC_STREAM_CONTEXT *Context)
{
	PKSC_STREAM_CONTEXT ctx, old = NULL;
	NTSTATUS status;
	size_t i;

	status = FltGetStreamContext(Instance, FileObject, (PFLT_CONTEXT *)&ctx);
	if (NT_SUCCESS(status)) {
		ctx->OpenCount++;
		*Context = ctx;
		return status;
	}
	if (status != STATUS_NOT_FOUND)
		return status;
	status = FltAllocateContext(KscFilter, FLT_STREAM_CONTEXT, sizeof(KSC_STREAM_CONTEXT),
				    PagedPool, (PFLT_CONTEXT *)&ctx);
	if (!NT_SUCCESS(status))
		return status;
	/* FltAllocateContext does not zero: every field is set here */
	ctx->Signature = KSC_SIGNATURE;
	ctx->OpenCount = 1;
	ctx->FirstSeen = ++KscSequence;
	for (i = 0; Name[i] && i < sizeof(ctx->Name) - 1; i++)
		ctx->Name[i] = Name[i];
	for (; i < sizeof(ctx->Name); i++)
		ctx->Name[i] = 0;
	status = FltSetStreamContext(Instance, FileObject, FLT_SET_CONTEXT_KEEP_IF_EXISTS, ctx,
				     (PFLT_CONTEXT *)&old);
	if (status == STATUS_FLT_CONTEXT_ALREADY_DEFINED) {
		/* another thread set one first: use it */
		FltReleaseContext(ctx);
		old->OpenCount++;
		*Context = old;
		return STATUS_SUCCESS;
	}
	if (!NT_SUCCESS(status)) {
		FltReleaseContext(ctx);
		return status;
	}
	*Context = ctx;
	return STATUS_SUCCESS;
}

/* ==== the test: volumes, instances and files from the model =============== */
#include <stdio.h>
#include <string.h>
#include <kmemu/flt.h>

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (!(cond)) {                                   \
			fprintf(stderr, "FAILED: " __VA_ARGS__); \
			return 1;                                \
		}                                                \
	} while (0)

static unsigned leak_reports;

static void on_leak(const struct kmemu_flt_leak *leak, void *arg)
{
	(void)arg;
	fprintf(stderr, "leak: context %p type %#x, %ld reference(s)\n", leak->context,
		(unsigned)leak->type, leak->references);
	leak_reports++;
}

static int all_bytes(const void *p, size_t n, unsigned char b)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)p)[i] != b)
			return 0;
	return 1;
}

int main(void)
{
	static DRIVER_OBJECT driverObject = { .Type = IO_TYPE_DRIVER, .Size = sizeof(DRIVER_OBJECT) };
	UNICODE_STRING registryPath;
	PFLT_VOLUME volume;
	PFLT_INSTANCE instance;
	PFILE_OBJECT open1, open2, other;
	PKSC_STREAM_CONTEXT ctx, again, extra, existing = NULL, fresh;
	KSC_STREAM_CONTEXT before;
	struct kmemu_flt_stats st;
	const char *why = NULL;
	NTSTATUS status;

	kmemu_flt_set_leak_handler(on_leak, NULL);
	RtlInitUnicodeString(&registryPath,
			     u"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\ksc");
	status = DriverEntry(&driverObject, &registryPath);
	CHECK(status == STATUS_SUCCESS, "DriverEntry: %#x\n", (unsigned)status);

	CHECK(kmemu_flt_volume_create("C:", 0, &volume) == STATUS_SUCCESS, "volume\n");
	CHECK(kmemu_flt_instance_attach(KscFilter, volume, &instance) == STATUS_SUCCESS,
	      "instance attach\n");
	CHECK(kmemu_flt_file_open(volume, "docs\\report.txt", &open1) == STATUS_SUCCESS &&
		      kmemu_flt_file_open(volume, "docs\\report.txt", &open2) == STATUS_SUCCESS &&
		      kmemu_flt_file_open(volume, "docs\\notes.txt", &other) == STATUS_SUCCESS,
	      "file opens\n");

	/* 1. A fresh fixed-size context is not zeroed: it reads 0xFC. */
	status = FltAllocateContext(KscFilter, FLT_STREAM_CONTEXT, sizeof(KSC_STREAM_CONTEXT),
				    PagedPool, (PFLT_CONTEXT *)&fresh);
	CHECK(status == STATUS_SUCCESS && all_bytes(fresh, sizeof(*fresh), KMEMU_FLT_POISON),
	      "a fresh context: %#x\n", (unsigned)status);
	printf("fresh context %p: every byte is %#x, not 0\n", (void *)fresh, KMEMU_FLT_POISON);
	FltReleaseContext(fresh);  /* never attached: back to the lookaside list */

	/* 2. The driver's routine creates the stream's context on first open;
	 * a second open of the same stream finds it. */
	CHECK(KscFindOrCreateContext(instance, open1, "report", &ctx) == STATUS_SUCCESS,
	      "first open\n");
	CHECK(KscFindOrCreateContext(instance, open2, "report (2nd)", &again) == STATUS_SUCCESS &&
		      again == ctx && ctx->OpenCount == 2 && !strcmp(ctx->Name, "report"),
	      "the second open has another context\n");
	printf("two opens of docs\\report.txt share stream context %p (OpenCount %u)\n",
	       (void *)ctx, (unsigned)ctx->OpenCount);
	FltReleaseContext(again);

	/* 3. KEEP_IF_EXISTS keeps the existing context and returns it. */
	status = FltAllocateContext(KscFilter, FLT_STREAM_CONTEXT, sizeof(KSC_STREAM_CONTEXT),
				    PagedPool, (PFLT_CONTEXT *)&extra);
	CHECK(status == STATUS_SUCCESS, "allocate: %#x\n", (unsigned)status);
	status = FltSetStreamContext(instance, open2, FLT_SET_CONTEXT_KEEP_IF_EXISTS, extra,
				     (PFLT_CONTEXT *)&existing);
	CHECK(status == STATUS_FLT_CONTEXT_ALREADY_DEFINED && existing == ctx,
	      "KEEP_IF_EXISTS: %#x, %p\n", (unsigned)status, (void *)existing);
	printf("KEEP_IF_EXISTS on that stream: STATUS_FLT_CONTEXT_ALREADY_DEFINED (%#x), "
	       "OldContext = the existing %p\n",
	       (unsigned)status, (void *)existing);
	FltReleaseContext(existing);
	FltReleaseContext(extra);

	/* 4. The context goes with the last open of the stream. */
	memcpy(&before, ctx, sizeof(before));
	FltReleaseContext(ctx);
	CHECK(kmemu_flt_file_close(open1) == STATUS_SUCCESS && KscCleanups == 0,
	      "cleanup ran while an open remained\n");
	CHECK(kmemu_flt_file_close(open2) == STATUS_SUCCESS && KscCleanups == 1,
	      "cleanup did not run at the last close (%u)\n", (unsigned)KscCleanups);
	printf("last close of the stream: the cleanup callback ran once\n");

	/* 5. The lookaside list hands the freed block out again with the old
	 * stream's bytes in it.  kmemu first keeps a freed context in a
	 * quarantine (so a stale pointer to it is reported, not aliased);
	 * ending the quarantine now makes the next allocation reuse it. */
	CHECK(kmemu_flt_quarantine_flush() == STATUS_SUCCESS, "quarantine flush\n");
	status = FltAllocateContext(KscFilter, FLT_STREAM_CONTEXT, sizeof(KSC_STREAM_CONTEXT),
				    PagedPool, (PFLT_CONTEXT *)&fresh);
	CHECK(status == STATUS_SUCCESS, "allocate: %#x\n", (unsigned)status);
	CHECK(fresh == ctx && !memcmp(fresh, &before, sizeof(before)),
	      "the recycled context has other bytes\n");
	printf("next FltAllocateContext: %p again, still reading \"%s\", OpenCount %u\n",
	       (void *)fresh, fresh->Name, (unsigned)fresh->OpenCount);
	fresh->Signature = 0;  /* its cleanup must not count it */
	FltReleaseContext(fresh);

	/* 6. A context left on a stream still open is deleted at unload. */
	CHECK(KscFindOrCreateContext(instance, other, "notes", &ctx) == STATUS_SUCCESS,
	      "notes\n");
	FltReleaseContext(ctx);
	CHECK(KscRegistration.FilterUnloadCallback(0) == STATUS_SUCCESS, "unload\n");
	CHECK(KscCleanups == 2, "the unload did not clean the open stream's context\n");
	CHECK(kmemu_flt_file_close(other) == STATUS_SUCCESS, "close\n");
	CHECK(kmemu_flt_volume_destroy(volume) == STATUS_SUCCESS, "volume destroy\n");

	CHECK(kmemu_flt_stats_get(&st) == STATUS_SUCCESS, "stats\n");
	CHECK(leak_reports == 0 && st.leaks_reported == 0 && st.live_contexts == 0 &&
		      st.filters == 0,
	      "%u leak report(s), %llu live context(s)\n", leak_reports,
	      (unsigned long long)st.live_contexts);
	CHECK(kmemu_flt_check(&why) == STATUS_SUCCESS, "invariants: %s\n", why ? why : "?");
	printf("unloaded: no leak report, 0 live contexts, invariants hold\n");
	return 0;
}
