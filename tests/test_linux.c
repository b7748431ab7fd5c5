/* SPDX-License-Identifier: MIT */
/*
 * test_linux.c - unit tests of the linux backend (real/linux): the errno
 * translation, the syscall table and its fault injection, the OOM loop over
 * Alloc/Free and Get/Free, the agent processes' lifecycle, the memfd hand-off
 * with pidfd_getfd, huge pages and pagemap where the machine gives them.
 *
 * The group setup makes a fresh "linux" instance current and warms it up
 * (the handle table and the host's holding list grow on first use and stay
 * grown); every test ends with KMEMU_TEST_CLEAN(): kmemu_check() passes
 * (which reads one byte of every mapping the tables name, in the process
 * that holds it) and no buffer, handle, mapping, process or heap block is
 * left.  Tests that need huge pages or CAP_SYS_ADMIN skip() without them.
 *
 *   host (this test) ── memfd ── kernel view (locked)
 *        │                  └── agent (forked child): mapping at the alias address
 *        └── socketpair: MAP+fd / UNMAP / PING
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <kmemu/kmemu.h>
#include <kmemu/backend.h>
#include <kmemu/linux.h>
#include <wds_lib.h>
#include <wdm.h>
#include "linux.h"
#include "kmemu_test.h"

#define PAGE KT_PAGE
#define NC KER_BUF_ALLOC_NON_CONTIG
#define BAD_KB ((WD_KERNEL_BUFFER *)(uintptr_t)0x5A5A5A50)  /* never written by a call */

/* ---- machines ------------------------------------------------------------------------ */

static uint64_t caps;  /* the instance's capabilities */

/* Grow what the backend keeps grown (handle slots, the host's holdings). */
static int warm_up(void)
{
	WD_KERNEL_BUFFER *kb[20] = { 0 }, *again = NULL;
	int ok = 1;

	for (unsigned i = 0; i < 20; i++)
		ok &= WDS_SharedBufferAlloc(PAGE, NC, &kb[i]) == 0;
	if (kb[0])
		ok &= WDS_SharedBufferGet(kb[0]->hKerBuf, &again) == 0;
	if (again)
		ok &= WDS_SharedBufferFree(again) == 0;
	for (unsigned i = 0; i < 20; i++)
		if (kb[i])
			ok &= WDS_SharedBufferFree(kb[i]) == 0;
	{
		/* the host's object handle table (sections, process handles) */
		LARGE_INTEGER li = { .QuadPart = PAGE };
		HANDLE h = NULL;

		ok &= ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT,
				      NULL) == STATUS_SUCCESS;
		ok &= ZwClose(h) == STATUS_SUCCESS;
	}
	return ok ? 0 : -1;
}

static int use_linux(void)
{
	kmemu_status rc = kmemu_backend_use("linux", NULL);

	if (rc) {
		fprintf(stderr, "kmemu_backend_use(linux): %s\n", kmemu_status_name(rc));
		return -1;
	}
	caps = kmemu_backend_caps(NULL);
	return warm_up();
}

static int group_setup(void **state)
{
	(void)state;
	return use_linux();
}

static int group_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	linux_syscall_reset();
	return kt_close_backend();
}

static int test_teardown(void **state)
{
	(void)state;
	kmemu_fault_set(NULL);
	linux_syscall_reset();
	return 0;
}

/* ---- the errno translation ---------------------------------------------------------- */

static void test_linux_status_from_errno(void **state)
{
	static const struct {
		int err, op;
		uint32_t want;
	} t[] = {
		/* WD family: every errno it maps, for both WD ops */
		{ 0, LINUX_OP_WDS, WD_STATUS_SUCCESS },
		{ ENOMEM, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ EAGAIN, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ EMFILE, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ ENFILE, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ ENOSPC, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ EFBIG, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ ENOBUFS, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ EPERM, LINUX_OP_WDS, WD_INSUFFICIENT_RESOURCES },
		{ EINVAL, LINUX_OP_WDS, WD_INVALID_PARAMETER },
		{ EFAULT, LINUX_OP_WDS, WD_INVALID_PARAMETER },
		{ ENOSYS, LINUX_OP_WDS, WD_NOT_IMPLEMENTED },
		{ EOPNOTSUPP, LINUX_OP_WDS, WD_NOT_IMPLEMENTED },
		{ ESRCH, LINUX_OP_WDS, WD_SYSTEM_INTERNAL_ERROR },
		{ EPIPE, LINUX_OP_WDS, WD_SYSTEM_INTERNAL_ERROR },
		{ ECONNRESET, LINUX_OP_WDS, WD_SYSTEM_INTERNAL_ERROR },
		{ EEXIST, LINUX_OP_WDS, WD_SYSTEM_INTERNAL_ERROR },
		{ EIO, LINUX_OP_WDS, WD_SYSTEM_INTERNAL_ERROR },
		{ 0, LINUX_OP_WDS_MAP, WD_STATUS_SUCCESS },
		{ ENOMEM, LINUX_OP_WDS_MAP, WD_INSUFFICIENT_RESOURCES },
		{ EMFILE, LINUX_OP_WDS_MAP, WD_INSUFFICIENT_RESOURCES },
		{ ENOBUFS, LINUX_OP_WDS_MAP, WD_INSUFFICIENT_RESOURCES },
		{ ESRCH, LINUX_OP_WDS_MAP, WD_FAILED_USER_MAPPING },
		{ EPIPE, LINUX_OP_WDS_MAP, WD_FAILED_USER_MAPPING },
		{ ECONNRESET, LINUX_OP_WDS_MAP, WD_FAILED_USER_MAPPING },
		{ EEXIST, LINUX_OP_WDS_MAP, WD_FAILED_USER_MAPPING },
		{ EINVAL, LINUX_OP_WDS_MAP, WD_INVALID_PARAMETER },
		{ EBADF, LINUX_OP_WDS_MAP, WD_SYSTEM_INTERNAL_ERROR },
		/* NT family */
		{ 0, LINUX_OP_ACCESS, (uint32_t)STATUS_SUCCESS },
		{ ENOMEM, LINUX_OP_PROCESS, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ EAGAIN, LINUX_OP_PROCESS, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ EMFILE, LINUX_OP_PROCESS, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ ENFILE, LINUX_OP_FD, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ ENOSPC, LINUX_OP_ACCESS, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ ENOBUFS, LINUX_OP_PROCESS, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ EFAULT, LINUX_OP_ACCESS, (uint32_t)STATUS_ACCESS_VIOLATION },
		{ EFAULT, LINUX_OP_PHYS, (uint32_t)STATUS_INVALID_ADDRESS },
		{ EFAULT, LINUX_OP_PROCESS, (uint32_t)STATUS_INVALID_PARAMETER },
		{ EPERM, LINUX_OP_PHYS, (uint32_t)STATUS_NOT_SUPPORTED },
		{ EACCES, LINUX_OP_PHYS, (uint32_t)STATUS_NOT_SUPPORTED },
		{ EPERM, LINUX_OP_ACCESS, (uint32_t)STATUS_ACCESS_DENIED },
		{ EACCES, LINUX_OP_FD, (uint32_t)STATUS_ACCESS_DENIED },
		{ ESRCH, LINUX_OP_ACCESS, (uint32_t)STATUS_PROCESS_IS_TERMINATING },
		{ EPIPE, LINUX_OP_PROCESS, (uint32_t)STATUS_PROCESS_IS_TERMINATING },
		{ ECONNRESET, LINUX_OP_PROCESS, (uint32_t)STATUS_PROCESS_IS_TERMINATING },
		{ EBADF, LINUX_OP_FD, (uint32_t)STATUS_INVALID_HANDLE },
		{ EINVAL, LINUX_OP_ACCESS, (uint32_t)STATUS_INVALID_PARAMETER },
		{ ENOSYS, LINUX_OP_FD, (uint32_t)STATUS_NOT_SUPPORTED },
		{ EOPNOTSUPP, LINUX_OP_PHYS, (uint32_t)STATUS_NOT_SUPPORTED },
		{ EIO, LINUX_OP_ACCESS, (uint32_t)STATUS_UNSUCCESSFUL },
		/* sections: the kernel's commit accounting, the size limit */
		{ 0, LINUX_OP_SECTION, (uint32_t)STATUS_SUCCESS },
		{ ENOMEM, LINUX_OP_SECTION, (uint32_t)STATUS_COMMITMENT_LIMIT },
		{ ENOSPC, LINUX_OP_SECTION, (uint32_t)STATUS_COMMITMENT_LIMIT },
		{ EFBIG, LINUX_OP_SECTION, (uint32_t)STATUS_SECTION_TOO_BIG },
		{ EMFILE, LINUX_OP_SECTION, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ EINVAL, LINUX_OP_SECTION, (uint32_t)STATUS_INVALID_PARAMETER },
		/* views: MAP_FIXED_NOREPLACE's EEXIST, no room, agents */
		{ EEXIST, LINUX_OP_VIEW, (uint32_t)STATUS_CONFLICTING_ADDRESSES },
		{ ENOMEM, LINUX_OP_VIEW, (uint32_t)STATUS_NO_MEMORY },
		{ EAGAIN, LINUX_OP_VIEW, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ ENOBUFS, LINUX_OP_VIEW, (uint32_t)STATUS_INSUFFICIENT_RESOURCES },
		{ EPERM, LINUX_OP_VIEW, (uint32_t)STATUS_ACCESS_DENIED },
		{ EACCES, LINUX_OP_VIEW, (uint32_t)STATUS_ACCESS_DENIED },
		{ ESRCH, LINUX_OP_VIEW, (uint32_t)STATUS_PROCESS_IS_TERMINATING },
		{ ECONNRESET, LINUX_OP_VIEW, (uint32_t)STATUS_PROCESS_IS_TERMINATING },
		{ EEXIST, LINUX_OP_PROCESS, (uint32_t)STATUS_UNSUCCESSFUL },
	};

	(void)state;
	for (size_t i = 0; i < KT_ARRAY_SIZE(t); i++) {
		uint32_t got = linux_status_from_errno(t[i].err, t[i].op);

		if (got != t[i].want) {
			print_error("linux_status_from_errno(%s, op %d) = 0x%08X, expected 0x%08X\n",
				    strerror(t[i].err), t[i].op, got, t[i].want);
			fail();
		}
	}
}

/* ---- the syscall table ------------------------------------------------------------------ */

static int fake_mlock2_eperm(const void *addr, size_t len, unsigned flags)
{
	(void)addr;
	(void)len;
	(void)flags;
	errno = EPERM;  /* RLIMIT_MEMLOCK is 0 and no CAP_IPC_LOCK */
	return -1;
}

static int fake_mlock2_enomem(const void *addr, size_t len, unsigned flags)
{
	(void)addr;
	(void)len;
	(void)flags;
	errno = ENOMEM;  /* over RLIMIT_MEMLOCK */
	return -1;
}

static int fake_memfd_emfile(const char *name, unsigned flags)
{
	(void)name;
	(void)flags;
	errno = EMFILE;
	return -1;
}

static void test_linux_syscall_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < RSYS_COUNT; i++) {
		assert_non_null(linux_syscalls[i].name);
		assert_ptr_equal(linux_syscalls[i].current, linux_syscalls[i].dflt);
		assert_ptr_equal(linux_syscall_get(linux_syscalls[i].name), linux_syscalls[i].dflt);
		/* releasing entries are never failed, acquiring ones say how */
		if (linux_syscalls[i].fault_resources)
			assert_int_not_equal(linux_syscalls[i].fault_errno, 0);
	}
	assert_int_equal(linux_syscall_set("no-such-call", NULL), -1);
	assert_null(linux_syscall_get("no-such-call"));
	assert_int_equal(linux_syscall_set("mlock2", (linux_syscall_ptr)fake_mlock2_eperm), 0);
	assert_ptr_equal(linux_syscall_get("mlock2"), (linux_syscall_ptr)fake_mlock2_eperm);
	assert_int_equal(linux_syscall_set("mlock2", NULL), 0);
	assert_ptr_equal(linux_syscall_get("mlock2"), linux_syscalls[RSYS_MLOCK2].dflt);
	assert_int_equal(linux_syscalls[RSYS_MUNMAP].fault_resources, 0);
	assert_int_equal(linux_syscalls[RSYS_CLOSE].fault_resources, 0);
	assert_true(linux_syscalls[RSYS_MLOCK2].fault_resources & KMEMU_FAULT_FRAMES);
}

/* The kernel's answers through a replaced entry become WD statuses, and a
 * failed Alloc leaves nothing behind. */
static void test_linux_kernel_refusals(void **state)
{
	static const struct {
		const char *name;
		linux_syscall_ptr fn;
	} r[] = {
		{ "mlock2", (linux_syscall_ptr)fake_mlock2_eperm },
		{ "mlock2", (linux_syscall_ptr)fake_mlock2_enomem },
		{ "memfd_create", (linux_syscall_ptr)fake_memfd_emfile },
	};

	(void)state;
	KT_BEGIN();
	for (size_t i = 0; i < KT_ARRAY_SIZE(r); i++) {
		WD_KERNEL_BUFFER *kb = BAD_KB;

		assert_int_equal(linux_syscall_set(r[i].name, r[i].fn), 0);
		assert_wd(WDS_SharedBufferAlloc(4 * PAGE, NC, &kb), WD_INSUFFICIENT_RESOURCES);
		assert_ptr_equal(kb, BAD_KB);
		linux_syscall_reset();
	}
	KMEMU_TEST_CLEAN();
}

/* Each acquiring entry, failed by the simulator, fails the call it is in
 * with its errno: here the n-th syscall acquisition of an Alloc. */
static void test_linux_fault_syscalls(void **state)
{
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .resources = KMEMU_FAULT_SYSCALLS };
	struct kmemu_fault_stats fs;
	WD_KERNEL_BUFFER *kb = NULL;
	uint64_t n_acq;

	(void)state;
	KT_BEGIN();
	/* count the syscall acquisitions of one Alloc (memfd, ftruncate, mmap,
	 * madvise, mlock2, host mmap, madvise) */
	fc.n = UINT64_MAX;
	assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	kmemu_fault_get_stats(&fs);
	kmemu_fault_set(NULL);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	n_acq = fs.acquisitions;
	assert_u64_equal(n_acq, 7);
	for (uint64_t n = 0; n < n_acq; n++) {
		kb = BAD_KB;
		fc.n = n;
		assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
		assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_INSUFFICIENT_RESOURCES);
		kmemu_fault_get_stats(&fs);
		kmemu_fault_set(NULL);
		assert_u64_equal(fs.failures, 1);
		assert_ptr_equal(kb, BAD_KB);
	}
	KMEMU_TEST_CLEAN();
}

/* ---- capabilities and the rules of the instance ------------------------------------------ */

static void test_linux_caps(void **state)
{
	const struct kmemu_backend_ops *ops = kmemu_backend_find("linux");
	struct kmemu_config cfg;
	struct kmemu_backend *b = NULL;
	uint8_t old = 7;

	(void)state;
	assert_non_null(ops);
	assert_int_equal(caps & ~ops->caps, 0);
	assert_true(caps & KMEMU_CAP_WDS);
	assert_true(caps & KMEMU_CAP_FAULT_INJECT);
	assert_true(caps & KMEMU_CAP_KERNEL_ACCESS);
	assert_true(caps & KMEMU_CAP_CHECKERS);
	assert_true(caps & KMEMU_CAP_SECTIONS);
	assert_int_equal(ops->version, 5);
	/* the frameworks (KMDF, Filter Manager) and their reports run on it */
	assert_true(caps & KMEMU_CAP_WDF);
	assert_true(caps & KMEMU_CAP_FLT);
	assert_true(caps & KMEMU_CAP_BUGCHECK);
	assert_true(caps & KMEMU_CAP_VERIFIER);
	assert_true(caps & KMEMU_CAP_KERNEL_VIEWS);
	assert_true(caps & KMEMU_CAP_SECTIONS_EX);
	assert_false(ops->caps & (KMEMU_CAP_IRQL | KMEMU_CAP_PLACEMENT));
	print_message("# linux caps here: contig %d, phys %d, multi-process %d\n",
		      !!(caps & KMEMU_CAP_CONTIG), !!(caps & KMEMU_CAP_PHYS),
		      !!(caps & KMEMU_CAP_MULTI_PROCESS));
	/* no IRQL but PASSIVE_LEVEL */
	assert_status(kmemu_irql_set(2, &old), STATUS_NOT_SUPPORTED);
	assert_int_equal(old, 7);
	assert_status(kmemu_irql_set(0, &old), STATUS_SUCCESS);
	assert_int_equal(old, 0);
	assert_status(kmemu_irql_set(0, NULL), STATUS_SUCCESS);
	/* placement policies cannot be honoured */
	assert_status(kmemu_config_default(&cfg), STATUS_SUCCESS);
	cfg.placement = KMEMU_PLACE_SCATTER;
	assert_status(kmemu_backend_open("linux", &cfg, &b), STATUS_NOT_SUPPORTED);
	assert_null(b);
	cfg.placement = KMEMU_PLACE_DEFAULT;
	cfg.fragment_order = 4;
	assert_status(kmemu_backend_open("linux", &cfg, &b), STATUS_NOT_SUPPORTED);
}

static int fake_memfd_no_hugetlb(const char *name, unsigned flags)
{
	if (flags & MFD_HUGETLB) {
		errno = EINVAL;  /* a kernel without hugetlbfs */
		return -1;
	}
	return memfd_create(name, flags);
}

/* Without huge pages the instance says so, and refuses CONTIG. */
static void test_linux_no_hugetlb(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	WD_KERNEL_BUFFER *kb = BAD_KB;

	(void)state;
	assert_int_equal(linux_syscall_set("memfd_create", (linux_syscall_ptr)fake_memfd_no_hugetlb), 0);
	assert_status(kmemu_backend_open("linux", NULL, &b), STATUS_SUCCESS);
	assert_false(kmemu_backend_caps(b) & KMEMU_CAP_CONTIG);
	old = kmemu_backend_set_current(b);
	assert_wd(WDS_SharedBufferAlloc(PAGE, KER_BUF_ALLOC_CONTIG, &kb), WD_INSUFFICIENT_RESOURCES);
	assert_ptr_equal(kb, BAD_KB);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
}

/* The probe finds a 2 MiB page; at the allocation the 2 MiB pool is empty and
 * the kernel has no 1 GiB pool at all (ENODEV). */
static int fake_memfd_no_1g(const char *name, unsigned flags)
{
	if (!strcmp(name, "kmemu-probe"))
		return memfd_create(name, MFD_CLOEXEC);
	if ((flags & MFD_HUGETLB) && (flags & MFD_HUGE_1GB) == MFD_HUGE_1GB) {
		errno = ENODEV;
		return -1;
	}
	if (flags & MFD_HUGETLB) {
		errno = ENOMEM;
		return -1;
	}
	return memfd_create(name, flags);
}

/* A CONTIG buffer past one huge page falls back to a 1 GiB page; when that
 * try fails too, the 2 MiB answer (out of memory) is the status, not the
 * fallback's ENODEV. */
static void test_linux_contig_1g_fallback(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	WD_KERNEL_BUFFER *kb = BAD_KB;

	(void)state;
	assert_int_equal(linux_syscall_set("memfd_create", (linux_syscall_ptr)fake_memfd_no_1g), 0);
	assert_status(kmemu_backend_open("linux", NULL, &b), STATUS_SUCCESS);
	assert_true(kmemu_backend_caps(b) & KMEMU_CAP_CONTIG);
	old = kmemu_backend_set_current(b);
	assert_wd(WDS_SharedBufferAlloc(3 * KT_MIB, KER_BUF_ALLOC_CONTIG, &kb), WD_INSUFFICIENT_RESOURCES);
	assert_ptr_equal(kb, BAD_KB);
	assert_wd(WDS_SharedBufferAlloc(PAGE, KER_BUF_ALLOC_CONTIG, &kb), WD_INSUFFICIENT_RESOURCES);
	assert_ptr_equal(kb, BAD_KB);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
}

/* Above the lockable budget nothing is asked of the kernel. */
static void test_linux_budget(void **state)
{
	struct kmemu_fault_config fc = { .mode = KMEMU_FAULT_NTH, .n = UINT64_MAX,
					 .resources = KMEMU_FAULT_SYSCALLS };
	struct kmemu_fault_stats fs;
	struct kmemu_stats st;
	WD_KERNEL_BUFFER *kb = BAD_KB;

	(void)state;
	KT_BEGIN();
	kt_snapshot(&st);
	assert_true(st.frames_total > 0);
	assert_status(kmemu_fault_set(&fc), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc((st.frames_total + 1) * PAGE, NC, &kb),
		  WD_INSUFFICIENT_RESOURCES);
	assert_wd(WDS_SharedBufferAlloc(UINT64_MAX, KER_BUF_ALLOC_CONTIG, &kb),
		  WD_INSUFFICIENT_RESOURCES);
	kmemu_fault_get_stats(&fs);
	kmemu_fault_set(NULL);
	assert_u64_equal(fs.acquisitions, 0);
	assert_ptr_equal(kb, BAD_KB);
	KMEMU_TEST_CLEAN();
}

/* ---- views ------------------------------------------------------------------------------- */

static void test_linux_views(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL, *k2 = NULL;
	struct kmemu_stats s1;
	uint8_t buf[3 * PAGE], byte = 0;
	uint8_t *u;

	(void)state;
	KT_BEGIN();
	assert_wd(WDS_SharedBufferAlloc(2 * PAGE + 10, NC, &kb), WD_STATUS_SUCCESS);
	kt_snapshot(&s1);
	assert_u64_equal(s1.wds_buffers, kt_base_.wds_buffers + 1);
	assert_u64_equal(s1.mappings, kt_base_.mappings + 2);  /* kernel view + holding */
	assert_u64_equal(s1.frames_used, kt_base_.frames_used + 3);
	assert_u64_equal(s1.handles_used, kt_base_.handles_used + 1);
	u = (uint8_t *)(uintptr_t)kb->pUserAddr;
	assert_true(kb->pKernelAddr != kb->pUserAddr);
	for (size_t i = 0; i < 2 * PAGE + 10; i++)
		assert_int_equal(u[i], 0);
	memset(u, 0xA7, 2 * PAGE + 10);
	/* the kernel view: whole pages reachable, past them an access violation */
	assert_status(kmemu_kernel_read(kb->pKernelAddr, buf, 3 * PAGE), STATUS_SUCCESS);
	assert_int_equal(buf[2 * PAGE + 9], 0xA7);
	assert_int_equal(buf[2 * PAGE + 10], 0);
	assert_status(kmemu_kernel_read(kb->pKernelAddr + 3 * PAGE - 1, buf, 2), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_kernel_read(kb->pUserAddr, buf, 1), STATUS_ACCESS_VIOLATION);
	byte = 0x3C;
	assert_status(kmemu_kernel_write(kb->pKernelAddr + 5, &byte, 1), STATUS_SUCCESS);
	assert_int_equal(u[5], 0x3C);
	/* the host's user space: its own view, not the kernel's */
	assert_status(kmemu_user_read(0, kb->pUserAddr + 5, &byte, 1), STATUS_SUCCESS);
	assert_int_equal(byte, 0x3C);
	assert_status(kmemu_user_read(0, kb->pKernelAddr, &byte, 1), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_user_write(0, kb->pKernelAddr, &byte, 1), STATUS_ACCESS_VIOLATION);
	/* a second Get in the same process is another mapping of the same pages */
	assert_wd(WDS_SharedBufferGet(kb->hKerBuf, &k2), WD_STATUS_SUCCESS);
	assert_true(k2->pUserAddr != kb->pUserAddr);
	assert_int_equal(((uint8_t *)(uintptr_t)k2->pUserAddr)[5], 0x3C);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	assert_false(kt_probe(u, 0));  /* unmapped: the kernel says so */
	assert_wd(WDS_SharedBufferFree(k2), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

static void test_linux_stale_handle(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL, *kn = NULL, *got = BAD_KB;
	DWORD h;

	(void)state;
	KT_BEGIN();
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	h = kb->hKerBuf;
	assert_int_not_equal(h, 0);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kn), WD_STATUS_SUCCESS);
	assert_int_not_equal(kn->hKerBuf, h);  /* same slot, new generation */
	assert_int_equal(kn->hKerBuf & 0xFFFFF, h & 0xFFFFF);
	assert_wd(WDS_SharedBufferGet(h, &got), WD_INVALID_HANDLE);
	assert_null(got);
	assert_wd(WDS_SharedBufferFree(kn), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* ---- agents ---------------------------------------------------------------------------- */

/* Count /proc/<pid>/fd entries whose link starts with @prefix.  Only
 * descriptors below RLIMIT_NOFILE count: valgrind keeps its own above it. */
static int count_fds(pid_t pid, const char *prefix)
{
	char path[64], link[384], target[256];
	struct dirent *e;
	struct rlimit rl;
	int n = 0;
	DIR *d;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t len;

		if (e->d_name[0] == '.' || strtoull(e->d_name, NULL, 10) >= rl.rlim_cur)
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		n += !strncmp(target, prefix, strlen(prefix));
	}
	closedir(d);
	return n;
}

/* Lines of /proc/<pid>/maps mentioning @what. */
static int count_maps(pid_t pid, const char *what)
{
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

static kmemu_pid new_agent(void)
{
	kmemu_pid pid = 0;

	if (!(caps & KMEMU_CAP_MULTI_PROCESS))
		skip();
	assert_status(kmemu_process_create("agent", &pid), STATUS_SUCCESS);
	return pid;
}

static void test_linux_agent_lifecycle(void **state)
{
	WD_KERNEL_BUFFER *ka = NULL, *kb = NULL;
	kmemu_pid self, agent;
	struct kmemu_stats s;
	uint8_t byte = 0, pattern[PAGE];

	(void)state;
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	assert_int_equal(self, (kmemu_pid)getpid());
	/* a buffer that exists before the fork is not inherited by the agent */
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &ka), WD_STATUS_SUCCESS);
	agent = new_agent();
	kt_snapshot(&s);
	assert_u64_equal(s.processes, kt_base_.processes + 1);
	assert_int_equal(kill((pid_t)agent, 0), 0);  /* a real process */
	assert_int_equal(count_maps((pid_t)agent, "kmemu-wds"), 0);
	assert_int_equal(count_fds((pid_t)agent, "memfd:"), 0);
	assert_int_equal(count_fds((pid_t)agent, "socket:"), 1);
	assert_int_equal(count_fds((pid_t)agent, "pipe:"), 0);
	/* Get while attached maps the memfd inside the agent */
	memset((void *)(uintptr_t)ka->pUserAddr, 0x5E, PAGE);
	assert_status(kmemu_process_attach(agent, NULL), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferGet(ka->hKerBuf, &kb), WD_STATUS_SUCCESS);
	assert_int_equal(count_maps((pid_t)agent, "kmemu-wds"), 1);
	assert_status(kmemu_user_read(agent, kb->pUserAddr + 7, &byte, 1), STATUS_SUCCESS);
	assert_int_equal(byte, 0x5E);
	/* the attached thread dereferences the agent's address (the host alias) */
	assert_int_equal(((uint8_t *)(uintptr_t)kb->pUserAddr)[9], 0x5E);
	memset(pattern, 0x61, sizeof(pattern));
	assert_status(kmemu_user_write(agent, kb->pUserAddr, pattern, PAGE), STATUS_SUCCESS);
	assert_status(kmemu_user_read(agent, kb->pUserAddr + PAGE, &byte, 1),
		      STATUS_ACCESS_VIOLATION);
	/* the host's own user space does not include the agent's view */
	assert_status(kmemu_user_read(self, kb->pUserAddr, &byte, 1), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_process_attach(self, NULL), STATUS_SUCCESS);
	assert_int_equal(((uint8_t *)(uintptr_t)ka->pUserAddr)[100], 0x61);
	/* process exit: the agent dies, its holding goes, the host's stays */
	assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);
	assert_int_equal(kill((pid_t)agent, 0), -1);
	assert_int_equal(errno, ESRCH);  /* killed and reaped */
	assert_status(kmemu_process_destroy(agent), STATUS_INVALID_PARAMETER);
	assert_status(kmemu_process_destroy(self), STATUS_ACCESS_DENIED);
	assert_int_equal(((uint8_t *)(uintptr_t)ka->pUserAddr)[100], 0x61);
	assert_wd(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* An agent that dies behind the backend's back: the checker says so, a Get
 * in it fails cleanly, destroying it repairs the instance. */
static void test_linux_agent_killed(void **state)
{
	WD_KERNEL_BUFFER *ka = NULL, *kb = BAD_KB, *kc = NULL;
	kmemu_pid self, agent;
	const char *msg = NULL;
	int status;

	(void)state;
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &ka), WD_STATUS_SUCCESS);
	agent = new_agent();
	assert_status(kmemu_process_attach(agent, NULL), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferGet(ka->hKerBuf, &kc), WD_STATUS_SUCCESS);
	assert_int_equal(kill((pid_t)agent, SIGKILL), 0);
	assert_int_equal(waitpid((pid_t)agent, &status, 0), (pid_t)agent);
	assert_status(kmemu_check(&msg), STATUS_INTERNAL_ERROR);
	print_message("# checker: %s\n", msg);
	assert_wd(WDS_SharedBufferGet(ka->hKerBuf, &kb), WD_FAILED_USER_MAPPING);
	assert_null(kb);
	assert_status(kmemu_user_read(agent, kc->pUserAddr, &(uint8_t){ 0 }, 1),
		      STATUS_PROCESS_IS_TERMINATING);
	assert_status(kmemu_process_attach(self, NULL), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);  /* frees kc too */
	assert_wd(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* ---- the OOM loop ------------------------------------------------------------------------ */

struct alloc_op {
	UINT64 bytes;
	DWORD options;
};

static uint32_t run_alloc_free(void *ctx)
{
	const struct alloc_op *op = ctx;
	WD_KERNEL_BUFFER *kb = BAD_KB;
	DWORD rc = WDS_SharedBufferAlloc(op->bytes, op->options, &kb);

	if (rc)
		return kb == BAD_KB ? rc : 0xFFFFFFFFu;
	return WDS_SharedBufferFree(kb);
}

static uint32_t run_get_free(void *ctx)
{
	WD_KERNEL_BUFFER *kb = BAD_KB;
	DWORD rc = WDS_SharedBufferGet(*(const DWORD *)ctx, &kb);

	if (rc)
		return kb == NULL ? rc : 0xFFFFFFFFu;
	return WDS_SharedBufferFree(kb);
}

static uint32_t run_process(void *ctx)
{
	kmemu_pid pid = 0;
	kmemu_status rc = kmemu_process_create("oom", &pid);

	(void)ctx;
	if (rc)
		return (uint32_t)rc;
	return (uint32_t)kmemu_process_destroy(pid);
}

static void oom(const char *name, uint32_t (*run)(void *), void *ctx, uint32_t fail_status)
{
	const uint32_t fail_ok[] = { fail_status };
	struct kmemu_oom_op op = { .name = name, .run = run, .ctx = ctx, .success = 0,
				   .fail_ok = fail_ok, .n_fail_ok = 1, .resources = 0 };
	struct kmemu_oom_result res;

	if (kmemu_oom_loop(&op, 0, &res) != STATUS_SUCCESS || !res.ok) {
		print_error("%s\n", res.message);
		fail();
	}
	assert_true(res.failures > 0);
	print_message("# %s: %u iterations, %u with a fault\n", name, res.iterations, res.failures);
}

static void test_linux_oom_alloc_free(void **state)
{
	struct alloc_op nc = { 3 * PAGE + 1, NC }, c = { 3 * PAGE, KER_BUF_ALLOC_CONTIG };

	(void)state;
	KT_BEGIN();
	oom("Alloc+Free NON_CONTIG", run_alloc_free, &nc, WD_INSUFFICIENT_RESOURCES);
	if (caps & KMEMU_CAP_CONTIG)
		oom("Alloc+Free CONTIG (hugetlb)", run_alloc_free, &c, WD_INSUFFICIENT_RESOURCES);
	KMEMU_TEST_CLEAN();
}

static void test_linux_oom_get_free(void **state)
{
	WD_KERNEL_BUFFER *ka = NULL;
	kmemu_pid self, agent;
	DWORD h;

	(void)state;
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(2 * PAGE, NC, &ka), WD_STATUS_SUCCESS);
	h = ka->hKerBuf;
	oom("Get+Free in the host", run_get_free, &h, WD_INSUFFICIENT_RESOURCES);
	agent = new_agent();
	assert_status(kmemu_process_attach(agent, NULL), STATUS_SUCCESS);
	assert_wd(run_get_free(&h), WD_STATUS_SUCCESS);  /* warm-up: the agent's holding list */
	oom("Get+Free in an agent", run_get_free, &h, WD_INSUFFICIENT_RESOURCES);
	assert_status(kmemu_process_attach(self, NULL), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(ka), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

static void test_linux_oom_process(void **state)
{
	(void)state;
	if (!(caps & KMEMU_CAP_MULTI_PROCESS))
		skip();
	KT_BEGIN();
	oom("process create+destroy", run_process, NULL, (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
	KMEMU_TEST_CLEAN();
}

/* ---- pidfd_getfd: an unrelated process takes the memfd ----------------------------------- */

static void test_linux_pidfd_getfd(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL;
	int32_t owner = 0;
	int fd = -1, status = 0;
	pid_t child;
	DWORD h;

	(void)state;
	KT_BEGIN();
	assert_status(kmemu_linux_wds_fd(0x12345, &owner, &fd), STATUS_INVALID_HANDLE);
	assert_status(kmemu_linux_wds_fd(1, NULL, &fd), STATUS_INVALID_PARAMETER);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	memset((void *)(uintptr_t)kb->pUserAddr, 0x42, PAGE);
	h = kb->hKerBuf;
	assert_status(kmemu_linux_wds_fd(h, &owner, &fd), STATUS_SUCCESS);
	assert_int_equal(owner, getpid());
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* not an agent: a plain process that knows only (pid, fd) */
		int pidfd = (int)syscall(SYS_pidfd_open, owner, 0), mine;
		uint8_t *p;

		if (pidfd < 0)
			_exit(errno == ENOSYS ? 77 : 1);
		mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (mine < 0)
			_exit(errno == ENOSYS || errno == EPERM ? 77 : 2);
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mine, 0);
		if (p == MAP_FAILED || p[0] != 0x42 || p[PAGE - 1] != 0x42)
			_exit(3);
		p[1] = 0x43;
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("# pidfd_getfd unavailable here (kernel < 5.6, ptrace rules or valgrind)\n");
	} else {
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_equal(((uint8_t *)(uintptr_t)kb->pUserAddr)[1], 0x43);
	}
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	assert_status(kmemu_linux_wds_fd(h, &owner, &fd), STATUS_INVALID_HANDLE);
	KMEMU_TEST_CLEAN();
}

/* ---- huge pages and pagemap ------------------------------------------------------------- */

static void test_linux_phys(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL, *kg = NULL;
	uint64_t pu = 0, pk = 0, pa = 0;
	kmemu_pid self, agent;

	(void)state;
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(4 * PAGE, NC, &kb), WD_STATUS_SUCCESS);
	if (!(caps & KMEMU_CAP_PHYS)) {
		assert_status(kmemu_virt_to_phys(self, (void *)(uintptr_t)kb->pUserAddr, &pu),
			      STATUS_NOT_SUPPORTED);
		assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
		KMEMU_TEST_CLEAN();
		skip();
	}
	for (unsigned i = 0; i < 4; i++) {
		/* never touched: the query makes the frame exist */
		assert_status(kmemu_virt_to_phys(self, (void *)(uintptr_t)(kb->pUserAddr + i * PAGE), &pu),
			      STATUS_SUCCESS);
		assert_status(kmemu_virt_to_phys(0, (void *)(uintptr_t)(kb->pKernelAddr + i * PAGE), &pk),
			      STATUS_SUCCESS);
		assert_u64_equal(pu, pk);
	}
	assert_status(kmemu_virt_to_phys(0, (void *)(uintptr_t)kb->pUserAddr, &pk),
		      STATUS_INVALID_ADDRESS);  /* not kernel space */
	assert_status(kmemu_virt_to_phys(self, (void *)(uintptr_t)kb->pKernelAddr, &pk),
		      STATUS_INVALID_ADDRESS);  /* not the host's user space */
	assert_status(kmemu_virt_to_phys(1, (void *)(uintptr_t)kb->pUserAddr, &pk),
		      STATUS_INVALID_PARAMETER);
	if (caps & KMEMU_CAP_MULTI_PROCESS) {
		agent = new_agent();
		UPTR ug;

		assert_status(kmemu_process_attach(agent, NULL), STATUS_SUCCESS);
		assert_wd(WDS_SharedBufferGet(kb->hKerBuf, &kg), WD_STATUS_SUCCESS);
		ug = kg->pUserAddr;
		assert_status(kmemu_virt_to_phys(agent, (void *)(uintptr_t)(ug + 3 * PAGE), &pa),
			      STATUS_SUCCESS);
		assert_u64_equal(pa, pu);
		assert_wd(WDS_SharedBufferFree(kg), WD_STATUS_SUCCESS);
		assert_status(kmemu_virt_to_phys(agent, (void *)(uintptr_t)ug, &pa),
			      STATUS_INVALID_ADDRESS);
		assert_status(kmemu_process_attach(self, NULL), STATUS_SUCCESS);
		assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);
	}
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

static void test_linux_hugetlb_contig(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL, *big = BAD_KB;
	struct kmemu_stats s;
	kmemu_pid self;
	uint64_t p0 = 0, p = 0;
	DWORD rc;

	(void)state;
	if (!(caps & KMEMU_CAP_CONTIG))
		skip();  /* no huge page could be had at open */
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(16 * PAGE, KER_BUF_ALLOC_CONTIG, &kb), WD_STATUS_SUCCESS);
	kt_snapshot(&s);
	assert_u64_equal(s.frames_used, kt_base_.frames_used + 512);  /* one whole 2 MiB page */
	assert_int_equal(kb->qwBytes, 16 * PAGE);
	assert_int_equal(kb->pUserAddr & (2 * KT_MIB - 1), 0);
	if (caps & KMEMU_CAP_PHYS) {
		assert_status(kmemu_virt_to_phys(self, (void *)(uintptr_t)kb->pUserAddr, &p0),
			      STATUS_SUCCESS);
		for (unsigned i = 1; i < 16; i++) {
			assert_status(kmemu_virt_to_phys(0, (void *)(uintptr_t)(kb->pKernelAddr + i * PAGE),
							 &p), STATUS_SUCCESS);
			assert_u64_equal(p, p0 + i * PAGE);
		}
	}
	/* past one huge page: adjacent huge pages, verified in pagemap, or refused */
	rc = WDS_SharedBufferAlloc(3 * KT_MIB, KER_BUF_ALLOC_CONTIG, &big);
	print_message("# 3 MiB CONTIG: %s\n", kmemu_wd_status_name(rc));
	if (rc == WD_STATUS_SUCCESS) {
		assert_true(caps & KMEMU_CAP_PHYS);
		assert_status(kmemu_virt_to_phys(0, (void *)(uintptr_t)big->pKernelAddr, &p0),
			      STATUS_SUCCESS);
		assert_status(kmemu_virt_to_phys(0, (void *)(uintptr_t)(big->pKernelAddr + 3 * KT_MIB - 1),
						 &p), STATUS_SUCCESS);
		assert_u64_equal(p, p0 + 3 * KT_MIB - 1);
		assert_wd(WDS_SharedBufferFree(big), WD_STATUS_SUCCESS);
	} else {
		assert_wd(rc, WD_INSUFFICIENT_RESOURCES);
		assert_ptr_equal(big, BAD_KB);
	}
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* ---- sections ---------------------------------------------------------------------------- */

static int fake_mprotect_enomem(void *addr, size_t len, int prot)
{
	(void)addr;
	(void)len;
	(void)prot;
	errno = ENOMEM;  /* vm.max_map_count reached while splitting */
	return -1;
}

static HANDLE new_section(LONGLONG size, ULONG attrs)
{
	LARGE_INTEGER li = { .QuadPart = size };
	HANDLE h = NULL;

	assert_status(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, attrs, NULL),
		      STATUS_SUCCESS);
	return h;
}

/* Views in an agent: LINUX_AGENT_VIEW maps the memfd with the protection
 * asked at an address the host reserved (PROT_NONE, so no other process's
 * view takes it); LINUX_AGENT_PROTECT commits SEC_RESERVE pages there when
 * another view commits them; the kernel enforces the protection. */
static void test_linux_section_agent(void **state)
{
	HANDLE s, r, ph = NULL;
	kmemu_pid self, agent;
	PVOID ro = NULL, rv = NULL, hv = NULL;
	SIZE_T z1 = 0, z2 = 0, z3 = 0;
	struct kmemu_view_info vi;
	uint8_t byte = 0x11;

	(void)state;
	if (!(caps & KMEMU_CAP_MULTI_PROCESS))
		skip();
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	agent = new_agent();
	s = new_section(0x20000, SEC_COMMIT);
	r = new_section(0x20000, SEC_RESERVE);
	assert_status(kmemu_process_open(agent, PROCESS_VM_OPERATION, &ph), STATUS_SUCCESS);
	assert_status(ZwMapViewOfSection(s, ph, &ro, 0, 0, NULL, &z1, ViewUnmap, 0, PAGE_READONLY),
		      STATUS_SUCCESS);
	assert_int_equal(count_maps((pid_t)agent, "kmemu-section"), 1);
	assert_int_equal((uintptr_t)ro & 0xFFFF, 0);
	/* read-only in the agent: the kernel refuses the write */
	assert_status(kmemu_user_read(agent, (uintptr_t)ro + 5, &byte, 1), STATUS_SUCCESS);
	assert_int_equal(byte, 0);
	assert_status(kmemu_user_write(agent, (uintptr_t)ro, &byte, 1), STATUS_ACCESS_VIOLATION);
	/* the host only reserves the address */
	assert_status(kmemu_view_query(self, ro, &vi), STATUS_NOT_MAPPED_VIEW);
	assert_status(kmemu_user_read(self, (uintptr_t)ro, &byte, 1), STATUS_ACCESS_VIOLATION);
	/* SEC_RESERVE: one page committed in the agent's view ... */
	assert_status(ZwMapViewOfSection(r, ph, &rv, 0, 1, NULL, &z2, ViewUnmap, 0, PAGE_READWRITE),
		      STATUS_SUCCESS);
	byte = 0x11;
	assert_status(kmemu_user_write(agent, (uintptr_t)rv, &byte, 1), STATUS_SUCCESS);
	assert_status(kmemu_user_read(agent, (uintptr_t)rv + PAGE, &byte, 1), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_view_query(agent, (uint8_t *)rv + PAGE, &vi), STATUS_SUCCESS);
	assert_int_equal(vi.state, MEM_RESERVE);
	/* ... a host view committing two commits the second in the agent too */
	assert_status(ZwMapViewOfSection(r, ZwCurrentProcess(), &hv, 0, 2 * PAGE, NULL, &z3, ViewUnmap,
					 0, PAGE_READWRITE), STATUS_SUCCESS);
	assert_int_equal(((uint8_t *)hv)[0], 0x11);
	((uint8_t *)hv)[PAGE] = 0x22;
	assert_status(kmemu_user_read(agent, (uintptr_t)rv + PAGE, &byte, 1), STATUS_SUCCESS);
	assert_int_equal(byte, 0x22);
	assert_status(kmemu_view_query(agent, (uint8_t *)rv + PAGE, &vi), STATUS_SUCCESS);
	assert_int_equal(vi.state, MEM_COMMIT);
	assert_status(kmemu_check(NULL), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ph, (uint8_t *)ro + 0x1234), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ph, rv), STATUS_SUCCESS);
	assert_int_equal(count_maps((pid_t)agent, "kmemu-section"), 0);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), hv), STATUS_SUCCESS);
	assert_status(ZwClose(ph), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(ZwClose(r), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* The kernel's answers become section statuses through the one
 * translation: EEXIST of MAP_FIXED_NOREPLACE, a refused mprotect while
 * committing SEC_RESERVE pages; nothing is left behind. */
static void test_linux_section_kernel_answers(void **state)
{
	HANDLE s, r;
	uint8_t *mine, byte;
	PVOID b;
	SIZE_T z = 0;

	(void)state;
	KT_BEGIN();
	s = new_section(0x10000, SEC_COMMIT);
	r = new_section(0x20000, SEC_RESERVE);
	mine = mmap(NULL, 0x30000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(mine != MAP_FAILED);
	b = (PVOID)(((uintptr_t)mine + 0xFFFF) & ~(uintptr_t)0xFFFF);
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_CONFLICTING_ADDRESSES);
	munmap(mine, 0x30000);
	assert_int_equal(linux_syscall_set("mprotect", (linux_syscall_ptr)fake_mprotect_enomem), 0);
	b = NULL;
	assert_status(ZwMapViewOfSection(r, ZwCurrentProcess(), &b, 0, PAGE, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_NO_MEMORY);
	assert_null(b);
	linux_syscall_reset();
	/* uncommitted pages: no view reads them; CommitSize 0 commits nothing */
	assert_status(ZwMapViewOfSection(r, ZwCurrentProcess(), &b, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_SUCCESS);
	assert_status(kmemu_user_read(0, (uintptr_t)b, &byte, 1), STATUS_ACCESS_VIOLATION);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), b), STATUS_SUCCESS);
	assert_int_equal(count_maps(getpid(), "kmemu-section"), 0);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(ZwClose(r), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* ---- main ----------------------------------------------------------------------------- */

/* ---- locked user ranges (->mdl_probe_lock, ->mdl_unlock, ->mdl_revoke) ------------------- */

static const struct kmemu_backend_ops *mdl_ops(void **st)
{
	struct kmemu_backend *b = NULL;

	assert_status(kmemu_backend_current(&b), STATUS_SUCCESS);
	return kmemu_backend_ops_of(b, st);
}

/* io_uring rings of this process (each live lock holds one when io_uring
 * pins; none otherwise) */
static int count_rings(void)
{
	return count_fds(getpid(), "anon_inode:[io_uring]");
}

/* The alias is another address over the same memfd pages, pinned by one
 * io_uring ring (or mlocked); it outlives the buffer it was locked from. */
static void test_linux_mdl_alias(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL;
	void *st, *alias = NULL, *lock = NULL;
	const struct kmemu_backend_ops *ops = mdl_ops(&st);
	struct kmemu_stats s0, s1;
	int rings = count_rings();
	uint8_t *u;

	(void)state;
	KT_BEGIN();
	assert_wd(WDS_SharedBufferAlloc(3 * PAGE, NC, &kb), WD_STATUS_SUCCESS);
	u = (uint8_t *)(uintptr_t)kb->pUserAddr;
	kt_snapshot(&s0);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)u + 100, 2 * PAGE, 1, &alias, &lock),
		      STATUS_SUCCESS);
	kt_snapshot(&s1);
	assert_u64_equal(s1.mappings, s0.mappings + 1);
	assert_ptr_not_equal(alias, u + 100);
	assert_ptr_not_equal(alias, (uint8_t *)(uintptr_t)kb->pKernelAddr + 100);
	assert_u64_equal((uintptr_t)alias & (PAGE - 1), 100);
	assert_int_equal(count_rings(), rings + 1);  /* io_uring is here (probed in setup) */
	memset(alias, 0x5A, 2 * PAGE);
	assert_int_equal(u[100], 0x5A);
	assert_int_equal(u[100 + 2 * PAGE - 1], 0x5A);
	assert_int_equal(u[99], 0);
	u[200] = 7;
	assert_int_equal(((uint8_t *)alias)[100], 7);
	assert_status(kmemu_check(NULL), STATUS_SUCCESS);
	/* the buffer goes; the lock keeps the pages and the alias */
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	((uint8_t *)alias)[0] = 1;
	assert_int_equal(((uint8_t *)alias)[100], 7);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_int_equal(count_rings(), rings);
	assert_status(ops->mdl_unlock(st, lock), STATUS_INVALID_PARAMETER);
	assert_status(ops->mdl_unlock(st, &rings), STATUS_INVALID_PARAMETER);
	KMEMU_TEST_CLEAN();
}

/* Every refusal is STATUS_ACCESS_VIOLATION with the outputs untouched:
 * memory the process never mapped, kernel views, kernel and wrapping
 * ranges, read-only, copy-on-write, no-access and uncommitted view pages. */
static void test_linux_mdl_refusals(void **state)
{
	static uint8_t host_page[2 * 4096];
	void *st, *alias = BAD_KB, *lock = BAD_KB;
	const struct kmemu_backend_ops *ops = mdl_ops(&st);
	WD_KERNEL_BUFFER *kb = NULL;
	HANDLE s, r;
	PVOID ro = NULL, cow = NULL, na = NULL, rv = NULL;
	SIZE_T z = 0;
	const struct {
		uint64_t addr;
		size_t len;
		int write;
	} *t, bad[] = {
		{ 0, 1, 0 },                                  /* NULL page */
		{ (uintptr_t)host_page, 16, 0 },              /* host memory: not the process's */
		{ 0xFFFF800000000000ull, 16, 0 },             /* kernel range */
		{ UINT64_MAX - 8, 16, 0 },                    /* wraps */
	};

	(void)state;
	KT_BEGIN();
	for (t = bad; t < bad + KT_ARRAY_SIZE(bad); t++)
		assert_status(ops->mdl_probe_lock(st, t->addr, t->len, t->write, &alias, &lock),
			      STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, 0x10000, 0, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	/* the kernel view, and a range running past the buffer's end */
	assert_status(ops->mdl_probe_lock(st, kb->pKernelAddr, 8, 0, &alias, &lock),
		      STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr + PAGE - 8, 16, 0, &alias, &lock),
		      STATUS_ACCESS_VIOLATION);
	s = new_section(0x10000, SEC_COMMIT);
	r = new_section(0x10000, SEC_RESERVE);
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &ro, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READONLY), STATUS_SUCCESS);
	z = 0;
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &cow, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_WRITECOPY), STATUS_SUCCESS);
	z = 0;
	assert_status(ZwMapViewOfSection(s, ZwCurrentProcess(), &na, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_NOACCESS), STATUS_SUCCESS);
	z = 0;
	assert_status(ZwMapViewOfSection(r, ZwCurrentProcess(), &rv, 0, PAGE, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)ro, 8, 1, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)cow, 8, 1, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)na, 8, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)rv + PAGE - 4, 8, 0, &alias, &lock),
		      STATUS_ACCESS_VIOLATION);  /* the second page is not committed */
	assert_ptr_equal(alias, BAD_KB);
	assert_ptr_equal(lock, BAD_KB);
	/* for reading, the read-only and copy-on-write views lock; the section
	 * pages are what the alias shows */
	((uint8_t *)rv)[0] = 0x42;
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)ro, 8, 0, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)cow, 8, 0, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)rv, PAGE, 1, &alias, &lock), STATUS_SUCCESS);
	assert_int_equal(*(uint8_t *)alias, 0x42);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), ro), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), cow), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), na), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), rv), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(ZwClose(r), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A range over two adjacent views of two sections is one alias of pieces of
 * two memfds. */
static void test_linux_mdl_two_views(void **state)
{
	void *st, *alias = NULL, *lock = NULL;
	const struct kmemu_backend_ops *ops = mdl_ops(&st);
	HANDLE a, b;
	PVOID va = NULL, vb = NULL;
	SIZE_T z = 0;

	(void)state;
	KT_BEGIN();
	a = new_section(0x10000, SEC_COMMIT);
	b = new_section(0x10000, SEC_COMMIT);
	assert_status(ZwMapViewOfSection(a, ZwCurrentProcess(), &va, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_SUCCESS);
	vb = (uint8_t *)va + 0x10000;
	z = 0;
	if (ZwMapViewOfSection(b, ZwCurrentProcess(), &vb, 0, 0, NULL, &z, ViewUnmap, 0,
			       PAGE_READWRITE) == STATUS_SUCCESS) {
		assert_status(ops->mdl_probe_lock(st, (uintptr_t)vb - 8, 16, 1, &alias, &lock),
			      STATUS_SUCCESS);
		memcpy(alias, "0123456789abcdef", 16);
		assert_memory_equal((uint8_t *)vb - 8, "0123456789abcdef", 16);
		assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
		assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), vb), STATUS_SUCCESS);
	} else {
		print_message("# the address after the first view was taken: not tested\n");
	}
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), va), STATUS_SUCCESS);
	assert_status(ZwClose(a), STATUS_SUCCESS);
	assert_status(ZwClose(b), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A thread attached to an agent locks the agent's pages: a view the agent
 * mapped is the range; the same address in the host is not the agent's. */
static void test_linux_mdl_agent(void **state)
{
	void *st, *alias = NULL, *lock = NULL;
	const struct kmemu_backend_ops *ops = mdl_ops(&st);
	WD_KERNEL_BUFFER *kb = NULL;
	kmemu_pid self, agent;
	HANDLE s, ph = NULL;
	PVOID v = NULL;
	SIZE_T z = 0;
	uint8_t byte = 0;

	(void)state;
	if (!(caps & KMEMU_CAP_MULTI_PROCESS))
		skip();
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	/* a host lock's alias is not inherited by an agent forked later */
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 8, 1, &alias, &lock), STATUS_SUCCESS);
	agent = new_agent();
	assert_int_equal(count_maps((pid_t)agent, "kmemu-wds"), 0);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	s = new_section(0x10000, SEC_COMMIT);
	assert_status(kmemu_process_open(agent, PROCESS_VM_OPERATION, &ph), STATUS_SUCCESS);
	assert_status(ZwMapViewOfSection(s, ph, &v, 0, 0, NULL, &z, ViewUnmap, 0, PAGE_READWRITE),
		      STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)v, 8, 0, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_process_attach(agent, NULL), STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, (uintptr_t)v + 0x2001, 2, 1, &alias, &lock), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(self, NULL), STATUS_SUCCESS);
	((uint8_t *)alias)[1] = 0x99;
	assert_status(kmemu_user_read(agent, (uintptr_t)v + 0x2002, &byte, 1), STATUS_SUCCESS);
	assert_int_equal(byte, 0x99);
	/* the agent's view goes, the lock keeps its pages */
	assert_status(ZwUnmapViewOfSection(ph, v), STATUS_SUCCESS);
	assert_int_equal(((uint8_t *)alias)[1], 0x99);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_status(ZwClose(ph), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

static int fake_uring_enosys(unsigned entries, void *p)
{
	(void)entries;
	(void)p;
	errno = ENOSYS;  /* a kernel without io_uring, or kernel.io_uring_disabled */
	return -1;
}

static int fake_uring_register_efault(int fd, unsigned op, const void *arg, unsigned nr)
{
	(void)fd, (void)op, (void)arg, (void)nr;
	errno = EFAULT;
	return -1;
}

static int fake_uring_register_enomem(int fd, unsigned op, const void *arg, unsigned nr)
{
	(void)fd, (void)op, (void)arg, (void)nr;
	errno = ENOMEM;  /* over RLIMIT_MEMLOCK */
	return -1;
}

/* Without io_uring the alias is mlocked (no ring); the kernel's refusals of
 * the pin become statuses. */
static void test_linux_mdl_pin_fallbacks(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	const struct kmemu_backend_ops *ops;
	void *st, *alias = NULL, *lock = NULL;
	WD_KERNEL_BUFFER *kb = NULL;
	int rings = count_rings();

	(void)state;
	KT_BEGIN();
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	ops = mdl_ops(&st);
	assert_int_equal(linux_syscall_set("io_uring_register", (linux_syscall_ptr)fake_uring_register_efault), 0);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 8, 1, &alias, &lock), STATUS_ACCESS_VIOLATION);
	assert_int_equal(linux_syscall_set("io_uring_register", (linux_syscall_ptr)fake_uring_register_enomem), 0);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 8, 1, &alias, &lock),
		      STATUS_INSUFFICIENT_RESOURCES);
	assert_int_equal(count_rings(), rings);
	linux_syscall_reset();
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();

	assert_int_equal(linux_syscall_set("io_uring_setup", (linux_syscall_ptr)fake_uring_enosys), 0);
	assert_status(kmemu_backend_open("linux", NULL, &b), STATUS_SUCCESS);
	assert_true(kmemu_backend_caps(b) & KMEMU_CAP_WDF);
	old = kmemu_backend_set_current(b);
	ops = kmemu_backend_ops_of(b, &st);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr, 8, 1, &alias, &lock), STATUS_SUCCESS);
	assert_int_equal(count_rings(), rings);
	*(uint8_t *)alias = 3;
	assert_int_equal(*(uint8_t *)(uintptr_t)kb->pUserAddr, 3);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
}

struct mdl_oom_ctx {
	const struct kmemu_backend_ops *ops;
	void *st;
	uint64_t uaddr;
};

static uint32_t run_mdl_lock(void *ctx)
{
	const struct mdl_oom_ctx *c = ctx;
	void *alias = BAD_KB, *lock = BAD_KB;
	kmemu_status rc = c->ops->mdl_probe_lock(c->st, c->uaddr, 2 * PAGE, 1, &alias, &lock);

	if (rc)
		return alias == BAD_KB && lock == BAD_KB ? (uint32_t)rc : 0xFFFFFFFFu;
	return (uint32_t)c->ops->mdl_unlock(c->st, lock);
}

/* Every acquisition of a lock (heap, mmaps, ring, pin) failed in turn:
 * STATUS_INSUFFICIENT_RESOURCES, nothing left behind. */
static void test_linux_mdl_oom(void **state)
{
	struct mdl_oom_ctx c;
	WD_KERNEL_BUFFER *kb = NULL;

	(void)state;
	c.ops = mdl_ops(&c.st);
	assert_wd(WDS_SharedBufferAlloc(3 * PAGE, NC, &kb), WD_STATUS_SUCCESS);
	c.uaddr = kb->pUserAddr + 10;
	oom("ProbeAndLock + unlock", run_mdl_lock, &c, (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
}

static unsigned mdl_reports;

static void mdl_count_handler(const struct kmemu_bugcheck_report *r, void *ctx)
{
	(void)r;
	(void)ctx;
	mdl_reports++;
}

static void mdl_touch(void *arg)
{
	*(volatile uint8_t *)arg = 0x77;
}

/* A revoked alias reports each touch (caught, or let through by a handler
 * that returns); after the unlock its addresses stay reserved and the
 * first touch is still the report. */
static void test_linux_mdl_revoke(void **state)
{
	static const struct kmemu_mdl_report rep = { 0xC4, 0xB0002, 0x1234, 0x5678, "test", "rule" };
	void *st, *alias = NULL, *lock = NULL;
	const struct kmemu_backend_ops *ops = mdl_ops(&st);
	struct kmemu_bugcheck_report r;
	WD_KERNEL_BUFFER *kb = NULL;

	(void)state;
	KT_BEGIN();
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	assert_status(ops->mdl_probe_lock(st, kb->pUserAddr + 16, 32, 1, &alias, &lock), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, lock, &rep), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, lock, &rep), STATUS_INVALID_PARAMETER);
	VALGRIND_DISABLE_ERROR_REPORTING;
	assert_int_equal(kmemu_bugcheck_catch(mdl_touch, (uint8_t *)alias + 3, &r), 1);
	VALGRIND_ENABLE_ERROR_REPORTING;
	assert_int_equal(r.code, 0xC4);
	assert_u64_equal(r.param[0], 0xB0002);
	assert_u64_equal(r.param[2], (uintptr_t)alias + 3);
	assert_u64_equal(r.param[3], 0x5678);
	assert_int_equal(((uint8_t *)(uintptr_t)kb->pUserAddr)[19], 0);
	kmemu_bugcheck_set_handler(mdl_count_handler, NULL);
	mdl_reports = 0;
	VALGRIND_DISABLE_ERROR_REPORTING;
	mdl_touch((uint8_t *)alias + 3);
	VALGRIND_ENABLE_ERROR_REPORTING;
	kmemu_bugcheck_set_handler(NULL, NULL);
	assert_int_equal(mdl_reports, 1);
	assert_status(ops->mdl_unlock(st, lock), STATUS_SUCCESS);
	assert_status(ops->mdl_revoke(st, lock, &rep), STATUS_INVALID_PARAMETER);
	/* the lock is gone: its range is still reported, the buffer untouched */
	VALGRIND_DISABLE_ERROR_REPORTING;
	assert_int_equal(kmemu_bugcheck_catch(mdl_touch, alias, &r), 1);
	VALGRIND_ENABLE_ERROR_REPORTING;
	assert_u64_equal(r.param[0], 0xB0002);
	assert_int_equal(((uint8_t *)(uintptr_t)kb->pUserAddr)[16], 0);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* ---- kernel references and system-space views ---------------------------------------- */

struct kview_oom_ctx {
	HANDLE s;
};

static uint32_t run_kview(void *ctx)
{
	const struct kview_oom_ctx *c = ctx;
	PVOID obj = NULL, base = NULL;
	SIZE_T size = 0;
	NTSTATUS st = ObReferenceObjectByHandle(c->s, SECTION_MAP_WRITE, *MmSectionObjectType, UserMode,
						&obj, NULL);

	if (st)
		return obj ? 0xFFFFFFFFu : (uint32_t)st;
	st = MmMapViewInSystemSpace(obj, &base, &size);
	if (st == STATUS_SUCCESS) {
		((volatile uint8_t *)base)[0] = 1;
		st = MmUnmapViewInSystemSpace(base);
	}
	ObDereferenceObject(obj);
	return (uint32_t)st;
}

/* A system view is a host mapping of the section's memfd: it aliases the
 * user views, follows SEC_RESERVE commits, is kernel (not user) memory, is
 * not inherited by an agent, and every acquisition can fail cleanly. */
static void test_linux_kernel_views(void **state)
{
	struct kview_oom_ctx c;
	HANDLE r;
	PVOID obj = NULL, sobj = NULL, base = NULL, u = NULL;
	SIZE_T size = 0, z = 0;
	kmemu_pid self, agent;
	uint8_t byte = 0;
	int64_t left = 0;
	void *st;
	const struct kmemu_backend_ops *ops = mdl_ops(&st);

	(void)state;
	KT_BEGIN();
	assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
	r = new_section(0x20000, SEC_RESERVE);
	assert_status(ObReferenceObjectByHandle(r, 0, *MmSectionObjectType, KernelMode, &sobj, NULL),
		      STATUS_SUCCESS);
	assert_status(MmMapViewInSystemSpace(sobj, &base, &size), STATUS_SUCCESS);
	assert_int_equal(size, 0x20000);
	assert_int_equal((uintptr_t)base & 0xFFFF, 0);
	/* uncommitted: no kernel access; a user view committing two pages opens them */
	assert_status(kmemu_kernel_read((uintptr_t)base, &byte, 1), STATUS_ACCESS_VIOLATION);
	assert_status(ZwMapViewOfSection(r, ZwCurrentProcess(), &u, 0, 2 * PAGE, NULL, &z, ViewUnmap, 0,
					 PAGE_READWRITE), STATUS_SUCCESS);
	((uint8_t *)u)[PAGE + 5] = 0x5C;
	assert_status(kmemu_kernel_read((uintptr_t)base + PAGE + 5, &byte, 1), STATUS_SUCCESS);
	assert_int_equal(byte, 0x5C);
	assert_status(kmemu_kernel_read((uintptr_t)base + PAGE, &byte, PAGE + 1), STATUS_ACCESS_VIOLATION);
	/* kernel memory, not the host process's own */
	assert_status(kmemu_user_read(self, (uintptr_t)base + PAGE, &byte, 1), STATUS_ACCESS_VIOLATION);
	if (caps & KMEMU_CAP_MULTI_PROCESS) {
		agent = new_agent();
		assert_int_equal(count_maps((pid_t)agent, "kmemu-section"), 0);
		assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);
	}
	/* the backend's own answers */
	assert_status(ops->ob_dereference(st, &left, &left), STATUS_INVALID_PARAMETER);
	assert_status(ops->section_unmap_system(st, &left), STATUS_NOT_MAPPED_VIEW);
	size = 0;
	assert_status(ops->section_map_system(st, &left, &size, &obj), STATUS_INVALID_PARAMETER_1);
	size = 0x20001;
	assert_status(ops->section_map_system(st, sobj, &size, &obj), STATUS_INVALID_VIEW_SIZE);
	assert_status(MmUnmapViewInSystemSpace((uint8_t *)base + 0x1234), STATUS_SUCCESS);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), u), STATUS_SUCCESS);
	assert_int_equal(ObDereferenceObject(sobj), 1);  /* the handle's is left */
	assert_status(ObReferenceObjectByHandle(ZwCurrentProcess(), PROCESS_VM_OPERATION, *PsProcessType,
						UserMode, &obj, NULL), STATUS_SUCCESS);
	assert_int_equal(ObDereferenceObject(obj), 0);
	/* the OOM loop over reference + map + touch + unmap + dereference */
	c.s = new_section(0x10000, SEC_COMMIT);
	oom("kernel view", run_kview, &c, (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
	assert_status(ZwClose(c.s), STATUS_SUCCESS);
	assert_status(ZwClose(r), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* An instance closed with a kernel reference and a system view still out
 * (a leaking driver) gives both back. */
static void test_linux_kernel_views_leaked(void **state)
{
	struct kmemu_backend *b = NULL, *old;
	LARGE_INTEGER li = { .QuadPart = 0x10000 };
	HANDLE h = NULL;
	PVOID obj = NULL, base = NULL;
	SIZE_T size = 0;
	uint64_t blocks0, bytes0, blocks1, bytes1;

	(void)state;
	kmemu__heap_stats(&blocks0, &bytes0);
	assert_status(kmemu_backend_open("linux", NULL, &b), STATUS_SUCCESS);
	old = kmemu_backend_set_current(b);
	assert_status(ZwCreateSection(&h, SECTION_ALL_ACCESS, NULL, &li, PAGE_READWRITE, SEC_COMMIT, NULL),
		      STATUS_SUCCESS);
	assert_status(ObReferenceObjectByHandle(h, 0, NULL, KernelMode, &obj, NULL), STATUS_SUCCESS);
	assert_status(MmMapViewInSystemSpace(obj, &base, &size), STATUS_SUCCESS);
	assert_status(ZwClose(h), STATUS_SUCCESS);
	kmemu_backend_set_current(old);
	kmemu_backend_close(b);
	kmemu__heap_stats(&blocks1, &bytes1);
	assert_u64_equal(blocks1, blocks0);
	assert_false(kt_probe(base, 0));  /* the view went with the instance */
}

/* The Ex services: a view placed below HighestEndingAddress, a
 * MEM_PRESERVE_PLACEHOLDER unmap refused (no placeholders here), and
 * NtAreMappedFilesTheSame telling views, other mapped memory and unmapped
 * or kernel addresses apart, in the host and in an agent. */
static void test_linux_sections_ex(void **state)
{
	static uint8_t host_data[16];
	MEM_ADDRESS_REQUIREMENTS req = { NULL, (PVOID)(uintptr_t)0x7FFFFFFFull, 0 };
	MEM_EXTENDED_PARAMETER xp;
	WD_KERNEL_BUFFER *kb = NULL;
	HANDLE s, t;
	PVOID v = NULL, w = NULL, obj = NULL, k = NULL;
	SIZE_T z = 0, ks = 0;
	kmemu_pid self, agent;

	(void)state;
	KT_BEGIN();
	memset(&xp, 0, sizeof(xp));
	xp.Type = MemExtendedParameterAddressRequirements;
	xp.Pointer = &req;
	s = new_section(0x10000, SEC_COMMIT);
	t = new_section(0x10000, SEC_COMMIT);
	assert_status(NtMapViewOfSectionEx(s, ZwCurrentProcess(), &v, NULL, &z, 0, PAGE_READWRITE, &xp, 1),
		      STATUS_SUCCESS);
	assert_true((uintptr_t)v + z - 1 <= 0x7FFFFFFFull);
	z = 0;
	assert_status(ZwMapViewOfSection(t, ZwCurrentProcess(), &w, 0, 0, NULL, &z, ViewUnmap, 0,
					 PAGE_READONLY), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferAlloc(PAGE, NC, &kb), WD_STATUS_SUCCESS);
	assert_status(ObReferenceObjectByHandle(s, 0, NULL, KernelMode, &obj, NULL), STATUS_SUCCESS);
	assert_status(MmMapViewInSystemSpace(obj, &k, &ks), STATUS_SUCCESS);
	assert_status(NtAreMappedFilesTheSame(v, (uint8_t *)v + 0x1234), STATUS_SUCCESS);
	assert_status(NtAreMappedFilesTheSame(v, w), STATUS_NOT_SAME_DEVICE);
	assert_status(NtAreMappedFilesTheSame(v, (PVOID)(uintptr_t)kb->pUserAddr), STATUS_CONFLICTING_ADDRESSES);
	assert_status(NtAreMappedFilesTheSame(v, host_data), STATUS_CONFLICTING_ADDRESSES);
	assert_status(NtAreMappedFilesTheSame(v, k), STATUS_INVALID_ADDRESS);
	assert_status(NtAreMappedFilesTheSame(v, (PVOID)(uintptr_t)kb->pKernelAddr), STATUS_INVALID_ADDRESS);
	assert_status(NtAreMappedFilesTheSame(NULL, v), STATUS_INVALID_ADDRESS);
	if (caps & KMEMU_CAP_MULTI_PROCESS) {
		/* in an agent the host's views are not mapped */
		assert_status(kmemu_process_current(&self), STATUS_SUCCESS);
		agent = new_agent();
		assert_status(kmemu_process_attach(agent, NULL), STATUS_SUCCESS);
		assert_status(NtAreMappedFilesTheSame(v, v), STATUS_INVALID_ADDRESS);
		assert_status(kmemu_process_attach(self, NULL), STATUS_SUCCESS);
		assert_status(kmemu_process_destroy(agent), STATUS_SUCCESS);
	}
	assert_status(NtUnmapViewOfSectionEx(ZwCurrentProcess(), v, MEM_PRESERVE_PLACEHOLDER),
		      STATUS_CONFLICTING_ADDRESSES);
	assert_status(NtAreMappedFilesTheSame(v, v), STATUS_SUCCESS);  /* the view stayed */
	assert_status(NtUnmapViewOfSectionEx(ZwCurrentProcess(), v, 0), STATUS_SUCCESS);
	assert_status(NtUnmapViewOfSectionEx(ZwCurrentProcess(), v, 0), STATUS_NOT_MAPPED_VIEW);
	assert_status(MmUnmapViewInSystemSpace(k), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), w), STATUS_SUCCESS);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	assert_status(ZwClose(t), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

#define LINUX_TEST(f) cmocka_unit_test_teardown(f, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LINUX_TEST(test_linux_status_from_errno),
		LINUX_TEST(test_linux_syscall_table),
		LINUX_TEST(test_linux_kernel_refusals),
		LINUX_TEST(test_linux_fault_syscalls),
		LINUX_TEST(test_linux_caps),
		LINUX_TEST(test_linux_no_hugetlb),
		LINUX_TEST(test_linux_budget),
		LINUX_TEST(test_linux_views),
		LINUX_TEST(test_linux_stale_handle),
		LINUX_TEST(test_linux_agent_lifecycle),
		LINUX_TEST(test_linux_agent_killed),
		LINUX_TEST(test_linux_oom_alloc_free),
		LINUX_TEST(test_linux_oom_get_free),
		LINUX_TEST(test_linux_oom_process),
		LINUX_TEST(test_linux_pidfd_getfd),
		LINUX_TEST(test_linux_phys),
		LINUX_TEST(test_linux_hugetlb_contig),
		LINUX_TEST(test_linux_contig_1g_fallback),
		LINUX_TEST(test_linux_section_agent),
		LINUX_TEST(test_linux_section_kernel_answers),
		LINUX_TEST(test_linux_mdl_alias),
		LINUX_TEST(test_linux_mdl_refusals),
		LINUX_TEST(test_linux_mdl_two_views),
		LINUX_TEST(test_linux_mdl_agent),
		LINUX_TEST(test_linux_mdl_pin_fallbacks),
		LINUX_TEST(test_linux_mdl_oom),
		LINUX_TEST(test_linux_mdl_revoke),
		LINUX_TEST(test_linux_kernel_views),
		LINUX_TEST(test_linux_kernel_views_leaked),
		LINUX_TEST(test_linux_sections_ex),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
