/* SPDX-License-Identifier: MIT */
/*
 * test_uaccess.c - unit tests of the test-side user accessors
 * (kmemu_user_read / kmemu_user_write, emu/machine.c) against view
 * protections: they do what the process itself could do.
 *
 *   read:  every page mapped, committed and readable (PAGE_NOACCESS and
 *          PAGE_GUARD pages are STATUS_ACCESS_VIOLATION);
 *   write: every page writable; a read-only kind is STATUS_ACCESS_VIOLATION,
 *          a PAGE_WRITECOPY kind writes the process's private copy;
 *   both:  every page checked first (nothing copied when one fails), an empty
 *          range succeeds, a wrapping range fails.
 *
 * Each test runs on a fresh, small emulator and ends with KMEMU_TEST_CLEAN().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <wdm.h>
#include "kmemu_test.h"
#include "kt_section.h"

#define VIEW 0x10000ull  /* one allocation granule */

/* A view of @s in @proc at @base (NULL: anywhere) committing @commit bytes. */
static uint64_t map_at(HANDLE s, HANDLE proc, uint64_t base, SIZE_T size, SIZE_T commit,
		       ULONG inherit, ULONG protect)
{
	PVOID b = (PVOID)(uintptr_t)base;
	SIZE_T z = size;

	assert_status(ZwMapViewOfSection(s, proc, &b, 0, commit, NULL, &z, inherit, 0, protect),
		      STATUS_SUCCESS);
	return (uintptr_t)b;
}

static uint64_t map(HANDLE s, SIZE_T size, ULONG protect)
{
	return map_at(s, ZwCurrentProcess(), 0, size, 0, ViewUnmap, protect);
}

static void unmap(uint64_t base)
{
	assert_status(ZwUnmapViewOfSection(ZwCurrentProcess(), (PVOID)(uintptr_t)base),
		      STATUS_SUCCESS);
}

static void expect_bytes(kmemu_pid pid, uint64_t addr, const char *want, size_t n)
{
	char got[64] = { 0 };

	assert_true(n <= sizeof(got));
	assert_status(kmemu_user_read(pid, addr, got, n), STATUS_SUCCESS);
	assert_memory_equal(got, want, n);
}

/* What each view protection allows a read and a write through it; the
 * section's shared bytes are watched through a read/write view. */
static void test_uaccess_each_protection(void **state)
{
	static const struct {
		ULONG protect;
		kmemu_status read, write;
		int private_write;  /* the write lands in a private copy */
	} rows[] = {
		{ PAGE_NOACCESS, STATUS_ACCESS_VIOLATION, STATUS_ACCESS_VIOLATION, 0 },
		{ PAGE_READONLY, STATUS_SUCCESS, STATUS_ACCESS_VIOLATION, 0 },
		{ PAGE_READWRITE, STATUS_SUCCESS, STATUS_SUCCESS, 0 },
		{ PAGE_WRITECOPY, STATUS_SUCCESS, STATUS_SUCCESS, 1 },
		{ PAGE_EXECUTE, STATUS_SUCCESS, STATUS_ACCESS_VIOLATION, 0 },
		{ PAGE_EXECUTE_READ, STATUS_SUCCESS, STATUS_ACCESS_VIOLATION, 0 },
		{ PAGE_EXECUTE_READWRITE, STATUS_SUCCESS, STATUS_SUCCESS, 0 },
		{ PAGE_EXECUTE_WRITECOPY, STATUS_SUCCESS, STATUS_SUCCESS, 1 },
		{ PAGE_READWRITE | PAGE_GUARD, STATUS_ACCESS_VIOLATION, STATUS_ACCESS_VIOLATION, 0 },
		{ PAGE_READONLY | PAGE_GUARD, STATUS_ACCESS_VIOLATION, STATUS_ACCESS_VIOLATION, 0 },
		{ PAGE_READWRITE | PAGE_NOCACHE, STATUS_SUCCESS, STATUS_SUCCESS, 0 },
	};
	KT_BEGIN();

	(void)state;
	for (size_t i = 0; i < KT_ARRAY_SIZE(rows); i++) {
		HANDLE s = kt_section_create(0x2000, PAGE_EXECUTE_READWRITE, SEC_COMMIT);
		uint64_t rw = map(s, 0, PAGE_READWRITE), v = map(s, 0, rows[i].protect);
		char buf[8] = "unread!";

		assert_status(kmemu_user_write(0, rw + 0x1FFC, "shared!", 8), STATUS_ACCESS_VIOLATION);
		assert_status(kmemu_user_write(0, rw + 0x1FF8, "shared!", 8), STATUS_SUCCESS);
		assert_status(kmemu_user_read(0, v + 0x1FF8, buf, 8), rows[i].read);
		assert_memory_equal(buf, rows[i].read ? "unread!" : "shared!", 8);
		assert_status(kmemu_user_write(0, v + 0x1FF8, "viewed!", 8), rows[i].write);
		expect_bytes(0, rw + 0x1FF8, rows[i].write || rows[i].private_write ? "shared!" : "viewed!",
			     8);
		if (rows[i].private_write)
			expect_bytes(0, v + 0x1FF8, "viewed!", 8);
		/* an empty range has no byte to refuse, whatever the protection */
		assert_status(kmemu_user_read(0, v + 3, buf, 0), STATUS_SUCCESS);
		assert_status(kmemu_user_write(0, v + 3, buf, 0), STATUS_SUCCESS);
		/* a wrapping range fails before any page is looked at */
		assert_status(kmemu_user_read(0, v, buf, SIZE_MAX), STATUS_ACCESS_VIOLATION);
		assert_status(kmemu_user_write(0, v, buf, SIZE_MAX), STATUS_ACCESS_VIOLATION);
		unmap(v);
		unmap(rw);
		assert_status(ZwClose(s), STATUS_SUCCESS);
	}
	KMEMU_TEST_CLEAN();
}

/* A write through a PAGE_WRITECOPY view reaches only that process's copy:
 * another process's view and the kernel view keep the shared bytes, the
 * copied page reads the copy from then on, an uncopied page of the same view
 * still follows the shared page. */
static void test_uaccess_writecopy_private_copy(void **state)
{
	kmemu_pid other = 0;
	void *ph = NULL;
	PVOID obj = NULL, kv = NULL;
	SIZE_T kz = 0;
	HANDLE s;
	uint64_t wc, ov;
	char k[8];
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x2000, PAGE_READWRITE, SEC_COMMIT);
	assert_status(kmemu_process_create("other", &other), STATUS_SUCCESS);
	assert_status(kmemu_process_open(other, PROCESS_ALL_ACCESS, &ph), STATUS_SUCCESS);
	wc = map(s, 0, PAGE_WRITECOPY);
	ov = map_at(s, ph, 0, 0, 0, ViewUnmap, PAGE_READWRITE);
	assert_status(ObReferenceObjectByHandle(s, SECTION_MAP_WRITE, *MmSectionObjectType, KernelMode,
						&obj, NULL), STATUS_SUCCESS);
	assert_status(MmMapViewInSystemSpace(obj, &kv, &kz), STATUS_SUCCESS);

	assert_status(kmemu_user_write(other, ov, "before", 7), STATUS_SUCCESS);
	assert_status(kmemu_user_write(other, ov + 0x1000, "page 1", 7), STATUS_SUCCESS);
	expect_bytes(0, wc, "before", 7);
	assert_status(kmemu_user_write(0, wc, "copied", 7), STATUS_SUCCESS);
	expect_bytes(0, wc, "copied", 7);
	expect_bytes(other, ov, "before", 7);
	assert_status(kmemu_kernel_read((uintptr_t)kv, k, 7), STATUS_SUCCESS);
	assert_memory_equal(k, "before", 7);
	/* the shared page moves on; the copy does not follow it */
	assert_status(kmemu_user_write(other, ov, "later", 6), STATUS_SUCCESS);
	expect_bytes(0, wc, "copied", 7);
	/* the uncopied page of the view still shows the shared page */
	assert_status(kmemu_kernel_write((uintptr_t)kv + 0x1000, "kernel", 7), STATUS_SUCCESS);
	expect_bytes(0, wc + 0x1000, "kernel", 7);
	/* the host pointer of the view is the same private copy */
	assert_memory_equal((const char *)(uintptr_t)wc, "copied", 7);

	assert_status(MmUnmapViewInSystemSpace(kv), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	unmap(wc);
	assert_status(ZwUnmapViewOfSection(ph, (PVOID)(uintptr_t)ov), STATUS_SUCCESS);
	assert_status(ZwClose(ph), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(other), STATUS_SUCCESS);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* SEC_RESERVE: an uncommitted page refuses both, and a range reaching one
 * from a committed page copies nothing. */
static void test_uaccess_reserve_uncommitted(void **state)
{
	char buf[16];
	HANDLE s;
	uint64_t v;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x2000, PAGE_READWRITE, SEC_RESERVE);
	v = map_at(s, ZwCurrentProcess(), 0, 0, 0x1000, ViewUnmap, PAGE_READWRITE);
	assert_status(kmemu_user_write(0, v + 0xFF8, "committed", 8), STATUS_SUCCESS);
	assert_status(kmemu_user_read(0, v + 0x1000, buf, 1), STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_user_write(0, v + 0x1000, "x", 1), STATUS_ACCESS_VIOLATION);
	memcpy(buf, "untouched-buffer", 16);
	assert_status(kmemu_user_read(0, v + 0xFF8, buf, 16), STATUS_ACCESS_VIOLATION);
	assert_memory_equal(buf, "untouched-buffer", 16);
	assert_status(kmemu_user_write(0, v + 0xFF8, "overwritten-both", 16), STATUS_ACCESS_VIOLATION);
	expect_bytes(0, v + 0xFF8, "committe", 8);
	unmap(v);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* Two adjacent views, one granule each: a range from a readable or writable
 * page into a page that refuses the access copies nothing. */
static void test_uaccess_spanning_views(void **state)
{
	static const struct {
		ULONG second;
		int read_ok;
	} rows[] = {
		{ PAGE_NOACCESS, 0 },
		{ PAGE_READWRITE | PAGE_GUARD, 0 },
		{ PAGE_READONLY, 1 },
		{ PAGE_EXECUTE_READ, 1 },
		{ PAGE_WRITECOPY, 1 },
	};
	KT_BEGIN();

	(void)state;
	for (size_t i = 0; i < KT_ARRAY_SIZE(rows); i++) {
		HANDLE s = kt_section_create(2 * VIEW, PAGE_EXECUTE_READWRITE, SEC_COMMIT);
		uint64_t room = map(s, 2 * VIEW, PAGE_READWRITE), a, b, rw;
		char buf[16];

		unmap(room);
		a = map_at(s, ZwCurrentProcess(), room, VIEW, 0, ViewUnmap, PAGE_READWRITE);
		b = map_at(s, ZwCurrentProcess(), room + VIEW, VIEW, 0, ViewUnmap, rows[i].second);
		assert_u64_equal(b, a + VIEW);
		rw = map(s, 0, PAGE_READWRITE);
		assert_status(kmemu_user_write(0, rw + VIEW - 8, "0123456789abcdef", 16),
			      STATUS_SUCCESS);
		memcpy(buf, "untouched-buffer", 16);
		assert_status(kmemu_user_read(0, b - 8, buf, 16),
			      rows[i].read_ok ? STATUS_SUCCESS : STATUS_ACCESS_VIOLATION);
		assert_memory_equal(buf, rows[i].read_ok ? "01234567" : "untouche", 8);
		if (rows[i].second == PAGE_WRITECOPY) {
			/* the first half reaches the shared page, the second the copy */
			assert_status(kmemu_user_write(0, b - 8, "ABCDEFGHIJKLMNOP", 16), STATUS_SUCCESS);
			expect_bytes(0, rw + VIEW - 8, "ABCDEFGH89abcdef", 16);
			expect_bytes(0, b, "IJKLMNOP", 8);
		} else {
			assert_status(kmemu_user_write(0, b - 8, "ABCDEFGHIJKLMNOP", 16),
				      STATUS_ACCESS_VIOLATION);
			expect_bytes(0, rw + VIEW - 8, "0123456789abcdef", 16);
		}
		unmap(rw);
		unmap(b);
		unmap(a);
		assert_status(ZwClose(s), STATUS_SUCCESS);
	}
	KMEMU_TEST_CLEAN();
}

/* WinDriver shared buffers: the user mapping is read/write both ways, the
 * kernel mapping sees the same bytes, and a range running past the user
 * mapping copies nothing. */
static void test_uaccess_wds_user_mapping(void **state)
{
	WD_KERNEL_BUFFER *kb = NULL;
	char buf[8], k[8];
	KT_BEGIN();

	(void)state;
	assert_wd(WDS_SharedBufferAlloc(0x1000, KER_BUF_ALLOC_NON_CONTIG, &kb), WD_STATUS_SUCCESS);
	assert_status(kmemu_user_write(0, kb->pUserAddr + 8, "user->k", 8), STATUS_SUCCESS);
	assert_status(kmemu_kernel_read(kb->pKernelAddr + 8, k, 8), STATUS_SUCCESS);
	assert_memory_equal(k, "user->k", 8);
	assert_status(kmemu_kernel_write(kb->pKernelAddr, "k->user", 8), STATUS_SUCCESS);
	assert_status(kmemu_user_read(0, kb->pUserAddr, buf, 8), STATUS_SUCCESS);
	assert_memory_equal(buf, "k->user", 8);
	memcpy(buf, "nothing", 8);
	assert_status(kmemu_user_read(0, kb->pUserAddr + 0xFFC, buf, 8), STATUS_ACCESS_VIOLATION);
	assert_memory_equal(buf, "nothing", 8);
	assert_status(kmemu_user_write(0, kb->pUserAddr + 0xFFC, "overrun", 8),
		      STATUS_ACCESS_VIOLATION);
	assert_status(kmemu_kernel_read(kb->pKernelAddr + 0xFFC, k, 4), STATUS_SUCCESS);
	assert_memory_equal(k, "\0\0\0\0", 4);
	assert_wd(WDS_SharedBufferFree(kb), WD_STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* A child inheriting a PAGE_WRITECOPY view (ViewShare) uses its parent's
 * mapping: the private copies belong to that mapping, so parent and child
 * see each other's copies, and the section's other views do not. */
static void test_uaccess_writecopy_inherited(void **state)
{
	kmemu_pid parent = 0, child = 0, me = 0;
	HANDLE s;
	uint64_t v, rw;
	KT_BEGIN();

	(void)state;
	assert_status(kmemu_process_create("parent", &parent), STATUS_SUCCESS);
	assert_status(kmemu_process_attach(parent, &me), STATUS_SUCCESS);
	s = kt_section_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	v = map_at(s, ZwCurrentProcess(), 0, 0, 0, ViewShare, PAGE_WRITECOPY);
	rw = map(s, 0, PAGE_READWRITE);
	assert_status(kmemu_process_attach(me, NULL), STATUS_SUCCESS);
	assert_status(kmemu_user_write(parent, v, "parent", 7), STATUS_SUCCESS);
	assert_status(kmemu_process_create_child(parent, "child", &child), STATUS_SUCCESS);
	expect_bytes(child, v, "parent", 7);
	assert_status(kmemu_user_write(child, v, "child!", 7), STATUS_SUCCESS);
	expect_bytes(parent, v, "child!", 7);
	expect_bytes(parent, rw, "\0\0\0\0\0\0", 7);
	assert_status(kmemu_process_destroy(child), STATUS_SUCCESS);
	assert_status(kmemu_process_destroy(parent), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

/* The kernel accessors are unchanged: a kernel view of a section with a
 * read-only user view is written through the RAM. */
static void test_uaccess_kernel_unchanged(void **state)
{
	PVOID obj = NULL, kv = NULL;
	SIZE_T kz = 0;
	HANDLE s;
	uint64_t ro;
	KT_BEGIN();

	(void)state;
	s = kt_section_create(0x1000, PAGE_READWRITE, SEC_COMMIT);
	ro = map(s, 0, PAGE_READONLY);
	assert_status(ObReferenceObjectByHandle(s, SECTION_MAP_WRITE, *MmSectionObjectType, KernelMode,
						&obj, NULL), STATUS_SUCCESS);
	assert_status(MmMapViewInSystemSpace(obj, &kv, &kz), STATUS_SUCCESS);
	assert_status(kmemu_kernel_write((uintptr_t)kv, "kernel", 7), STATUS_SUCCESS);
	expect_bytes(0, ro, "kernel", 7);
	assert_status(kmemu_user_write(0, ro, "user!!", 7), STATUS_ACCESS_VIOLATION);
	/* the user accessors refuse kernel addresses */
	assert_status(kmemu_user_read(0, (uintptr_t)kv, &kz, 1), STATUS_ACCESS_VIOLATION);
	assert_status(MmUnmapViewInSystemSpace(kv), STATUS_SUCCESS);
	ObDereferenceObject(obj);
	unmap(ro);
	assert_status(ZwClose(s), STATUS_SUCCESS);
	KMEMU_TEST_CLEAN();
}

#define UA_TEST(f) cmocka_unit_test_setup_teardown(f, kt_section_setup, kt_section_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		UA_TEST(test_uaccess_each_protection),
		UA_TEST(test_uaccess_writecopy_private_copy),
		UA_TEST(test_uaccess_reserve_uncommitted),
		UA_TEST(test_uaccess_spanning_views),
		UA_TEST(test_uaccess_wds_user_mapping),
		UA_TEST(test_uaccess_writecopy_inherited),
		UA_TEST(test_uaccess_kernel_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
