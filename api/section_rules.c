/* SPDX-License-Identifier: MIT */
/*
 * section_rules.c - the pure parameter rules of the section services that
 * every backend applies at its own point of the documented order (spec
 * sections.md §2 and §9b): size rules of ZwCreateSection that no kernel
 * checks, the ZeroBits limit, the user range, the view-size rules, the
 * section access a protection needs, the protection compatibility table and
 * the host protection of a Win32Protect value.
 *
 * They live here, not in a backend, so the emulator (emu/section.c) and the
 * linux backend (real/linux/section.c) answer them identically.  Each needs
 * no machine state; the caller calls it where its step comes in the order.
 */
#include <string.h>
#ifdef _WIN32
/* Windows builds have no <sys/mman.h>; the host protection bits keep their
 * POSIX values (only the Linux backends map with them). */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#else
#include <sys/mman.h>
#endif
#include <wdm.h>
#include "core.h"

#define USER_LAST 0x7FFFFFFEFFFFull             /* MM_HIGHEST_USER_ADDRESS */
#define SECTION_TOO_BIG_BYTES 0x800000000000ull /* 128 TiB: STATUS_SECTION_TOO_BIG (R2) */
#define SECTION_RESERVE_MAX (1ull << 38)        /* DECIDED: larger SEC_RESERVE -> INSUFFICIENT_RESOURCES */
#define PAGE_BYTES 4096ull

/**
 * kmemu__section_size_rule() - ZwCreateSection's size rules (spec §2).
 * @a:      the create arguments.
 * @npages: receives the size in 4 KiB pages (MaximumSize rounded up).
 *
 * In order: no size or 0 -> STATUS_INVALID_PARAMETER_4; negative or
 * >= 128 TiB -> STATUS_SECTION_TOO_BIG; SEC_RESERVE above 256 GiB ->
 * STATUS_INSUFFICIENT_RESOURCES (decided).  The commitment limit of a
 * SEC_COMMIT section is the backend's (it needs the machine).
 * Context: any.
 * Return: STATUS_SUCCESS or the status above.
 */
kmemu_status kmemu__section_size_rule(const struct kmemu_section_create_args *a, uint64_t *npages)
{
	if (!a->has_size || a->size == 0)
		return STATUS_INVALID_PARAMETER_4;
	if (a->size < 0 || (uint64_t)a->size >= SECTION_TOO_BIG_BYTES)
		return STATUS_SECTION_TOO_BIG;
	*npages = ((uint64_t)a->size + PAGE_BYTES - 1) / PAGE_BYTES;
	if ((a->attributes & SEC_RESERVE) && (uint64_t)a->size > SECTION_RESERVE_MAX)
		return STATUS_INSUFFICIENT_RESOURCES;
	return STATUS_SUCCESS;
}

/**
 * kmemu__section_user_range_bad() - does [addr, addr + len) leave the user
 * range (above MM_HIGHEST_USER_ADDRESS)?
 * @addr: first byte.
 * @len:  bytes (0 counts as 1).
 * Context: any.
 * Return: 1 if it does, else 0.
 */
int kmemu__section_user_range_bad(uint64_t addr, uint64_t len)
{
	return addr > USER_LAST || (len && len - 1 > USER_LAST - addr);
}

/**
 * kmemu__section_view_too_big() - step 5's size half: a view of @view_size
 * bytes at @base would end above MM_HIGHEST_USER_ADDRESS.
 * @base:      *BaseAddress (0 = the system chooses).
 * @view_size: *ViewSize.
 * Context: any.
 * Return: 1 for STATUS_INVALID_PARAMETER_3, else 0.
 */
int kmemu__section_view_too_big(uint64_t base, uint64_t view_size)
{
	return view_size > USER_LAST - base;
}

/**
 * kmemu__section_zero_bits() - step 6: the ZeroBits limit.
 * @zero_bits: ZeroBits (1..21: high bits that must be zero; >= 32: a mask).
 * @base:      *BaseAddress, 0 when the system chooses.
 * @view_size: *ViewSize.
 * @last:      receives the highest address the view may use (UINTPTR_MAX
 *             when @zero_bits is 0).
 * Context: any.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER_4 (22..31, or a base
 * beyond the limit).
 */
kmemu_status kmemu__section_zero_bits(uint64_t zero_bits, uintptr_t base, uint64_t view_size,
				      uintptr_t *last)
{
	*last = UINTPTR_MAX;
	if (!zero_bits)
		return STATUS_SUCCESS;
	if (zero_bits < 32) {
		if (zero_bits > 21)
			return STATUS_INVALID_PARAMETER_4;
		*last = (uintptr_t)((1ull << (32 - zero_bits)) - 1);
	} else {
		*last = (uintptr_t)(UINT64_MAX >> __builtin_clzll(zero_bits));
	}
	if (base && (base > *last || (view_size && view_size - 1 > *last - base)))
		return STATUS_INVALID_PARAMETER_4;
	return STATUS_SUCCESS;
}

/**
 * kmemu__section_name_eq() - compare two section names as the object
 * manager does.
 * @a, @an: first name, UTF-16 units.
 * @b, @bn: second name.
 * @ci:     OBJ_CASE_INSENSITIVE given: ASCII letters compare case-folded.
 * Context: any.
 * Return: 1 when the names are equal, 0 otherwise.
 */
int kmemu__section_name_eq(const uint16_t *a, size_t an, const uint16_t *b, size_t bn, int ci)
{
	if (an != bn)
		return 0;
	for (size_t i = 0; i < an; i++) {
		uint16_t x = a[i], y = b[i];

		if (ci) {
			x = x >= 'a' && x <= 'z' ? (uint16_t)(x - 32) : x;
			y = y >= 'a' && y <= 'z' ? (uint16_t)(y - 32) : y;
		}
		if (x != y)
			return 0;
	}
	return 1;
}

/**
 * kmemu__section_map_range() - spec §9b steps 5 and 6 of a map request,
 * before any handle is referenced.
 * @a:              the request.
 * @base_in_kernel: 1 when the backend counts [a->base, a->base + a->view_size)
 *                  as kernel space (only looked at for a non-NULL base).
 * @last:           receives the highest address the view may end at
 *                  (UINTPTR_MAX: no ZeroBits limit).
 * Context: any.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER_3 (base in kernel space,
 * view past the user range); STATUS_INVALID_PARAMETER_4 (ZeroBits).
 */
kmemu_status kmemu__section_map_range(const struct kmemu_section_map_args *a, int base_in_kernel,
				      uintptr_t *last)
{
	if ((a->base && base_in_kernel) || kmemu__section_view_too_big(a->base, a->view_size))
		return STATUS_INVALID_PARAMETER_3;
	return kmemu__section_zero_bits(a->zero_bits, a->base, a->view_size, last);
}

/**
 * kmemu__section_map_fit() - spec §9b steps 9 to 12, once the process and
 * section handles are referenced.
 * @a:           the request.
 * @sec_protect: the section's page protection.
 * @sec_size:    the section's size in bytes.
 * @npages:      receives the view's pages.
 * Context: any.
 * Return: STATUS_SUCCESS; STATUS_MAPPED_ALIGNMENT (base or offset not 64 KiB
 * aligned); STATUS_INVALID_PARAMETER_9 (MEM_RESERVE on a paging-file
 * section); STATUS_SECTION_PROTECTION; STATUS_INVALID_VIEW_SIZE;
 * STATUS_INVALID_PARAMETER_5; for MEM_REPLACE_PLACEHOLDER (no placeholders
 * exist) STATUS_CONFLICTING_ADDRESSES, or STATUS_INVALID_PARAMETER_3
 * without a base.
 */
kmemu_status kmemu__section_map_fit(const struct kmemu_section_map_args *a, uint32_t sec_protect,
				    uint64_t sec_size, uint64_t *npages)
{
	kmemu_status rc;

	if ((a->base & 0xFFFFu) || (a->offset & 0xFFFFu))
		return STATUS_MAPPED_ALIGNMENT;
	if (a->allocation_type & MEM_RESERVE)
		return STATUS_INVALID_PARAMETER_9;
	if (!kmemu__section_protect_compatible(sec_protect, a->protect))
		return STATUS_SECTION_PROTECTION;
	rc = kmemu__section_view_size(sec_size, a->offset, a->view_size, a->commit_size, npages);
	if (rc)
		return rc;
	if (a->allocation_type & MEM_REPLACE_PLACEHOLDER)
		return a->base ? STATUS_CONFLICTING_ADDRESSES : STATUS_INVALID_PARAMETER_3;
	return STATUS_SUCCESS;
}

/**
 * kmemu__section_view_size() - steps 11 and 12: the view's pages.
 * @sec_size:    the section's size in bytes (page multiple).
 * @offset:      *SectionOffset (already 64 KiB aligned).
 * @view_size:   *ViewSize (0 = the rest of the section).
 * @commit_size: CommitSize.
 * @npages:      receives the view's pages (ViewSize rounded up).
 * Context: any.
 * Return: STATUS_SUCCESS; STATUS_INVALID_VIEW_SIZE (offset or size past the
 * section); STATUS_INVALID_PARAMETER_5 (CommitSize beyond the view).
 */
kmemu_status kmemu__section_view_size(uint64_t sec_size, uint64_t offset, uint64_t view_size,
				      uint64_t commit_size, uint64_t *npages)
{
	uint64_t size;

	if (offset >= sec_size || view_size > sec_size - offset)
		return STATUS_INVALID_VIEW_SIZE;
	size = view_size ? view_size : sec_size - offset;
	*npages = (size + PAGE_BYTES - 1) / PAGE_BYTES;
	if (commit_size > *npages * PAGE_BYTES)
		return STATUS_INVALID_PARAMETER_5;
	return STATUS_SUCCESS;
}

/**
 * kmemu__section_host_prot() - host protection (PROT_*) of a Win32Protect.
 * @protect:    Win32Protect (already valid).
 * @is_private: receives 1 for copy on write (PAGE_WRITECOPY,
 *              PAGE_EXECUTE_WRITECOPY: a MAP_PRIVATE mapping), else 0.
 * Context: any.
 * Return: the PROT_* bits; PROT_NONE for PAGE_NOACCESS.
 */
int kmemu__section_host_prot(uint32_t protect, int *is_private)
{
	*is_private = 0;
	switch (protect & 0xFFu) {
	case PAGE_READONLY:
		return PROT_READ;
	case PAGE_READWRITE:
		return PROT_READ | PROT_WRITE;
	case PAGE_WRITECOPY:
		*is_private = 1;
		return PROT_READ | PROT_WRITE;
	case PAGE_EXECUTE:
	case PAGE_EXECUTE_READ:
		return PROT_READ | PROT_EXEC;
	case PAGE_EXECUTE_READWRITE:
		return PROT_READ | PROT_WRITE | PROT_EXEC;
	case PAGE_EXECUTE_WRITECOPY:
		*is_private = 1;
		return PROT_READ | PROT_WRITE | PROT_EXEC;
	default:
		return PROT_NONE;  /* PAGE_NOACCESS */
	}
}

/**
 * kmemu__section_kernel_prot() - host protection (PROT_*) of a system-space
 * view of a section with protection @sec_protect: read-only for sections
 * created without write access, read/write (shared: writes reach the
 * section) for the others, WRITECOPY ones included.
 * Context: any.
 */
int kmemu__section_kernel_prot(uint32_t sec_protect)
{
	switch (sec_protect & 0xFFu) {
	case PAGE_READONLY:
	case PAGE_EXECUTE:
	case PAGE_EXECUTE_READ:
		return PROT_READ;
	default:
		return PROT_READ | PROT_WRITE;
	}
}

/**
 * kmemu__section_system_size() - the size rule of MmMapViewInSystemSpace.
 * @sec_size:  the section's size.
 * @view_size: bytes asked, 0 = the whole section.
 * @npages:    receives the view's pages.
 * Context: any.
 * Return: STATUS_SUCCESS; STATUS_INVALID_VIEW_SIZE (larger than the section,
 * or 65536 or more 64 KiB units).
 */
kmemu_status kmemu__section_system_size(uint64_t sec_size, uint64_t view_size, uint64_t *npages)
{
	uint64_t size = view_size ? view_size : sec_size;

	if (size > sec_size || (size + 0xFFFFu) / 0x10000u >= 0x10000u)
		return STATUS_INVALID_VIEW_SIZE;
	*npages = (size + 0xFFFu) / 0x1000u;
	return STATUS_SUCCESS;
}

/**
 * kmemu__section_views_same() - NtAreMappedFilesTheSame's answer in Wine's
 * order from what each address is (KMEMU__ADDR_*): either not mapped ->
 * STATUS_INVALID_ADDRESS; either mapped but no view ->
 * STATUS_CONFLICTING_ADDRESSES; the same view (@same) -> STATUS_SUCCESS;
 * two views -> STATUS_NOT_SAME_DEVICE (data views never match).
 * Context: any.
 */
kmemu_status kmemu__section_views_same(int class1, int class2, int same)
{
	if (class1 == KMEMU__ADDR_UNMAPPED || class2 == KMEMU__ADDR_UNMAPPED)
		return STATUS_INVALID_ADDRESS;
	if (class1 == KMEMU__ADDR_MAPPED || class2 == KMEMU__ADDR_MAPPED)
		return STATUS_CONFLICTING_ADDRESSES;
	return same ? STATUS_SUCCESS : STATUS_NOT_SAME_DEVICE;
}

/**
 * kmemu__section_access_for() - section access a mapping protection needs
 * (WRK MmMakeSectionAccess).
 * @protect: Win32Protect.
 * Context: any.
 * Return: SECTION_MAP_* bits.
 */
uint32_t kmemu__section_access_for(uint32_t protect)
{
	switch (protect & 0xFFu) {
	case PAGE_READWRITE:
		return SECTION_MAP_WRITE;
	case PAGE_EXECUTE:
		return SECTION_MAP_EXECUTE;
	case PAGE_EXECUTE_READ:
	case PAGE_EXECUTE_WRITECOPY:
		return SECTION_MAP_EXECUTE | SECTION_MAP_READ;
	case PAGE_EXECUTE_READWRITE:
		return SECTION_MAP_EXECUTE | SECTION_MAP_WRITE;
	default:
		return SECTION_MAP_READ;  /* NOACCESS, READONLY, WRITECOPY */
	}
}

/**
 * kmemu__section_protect_compatible() - is a view protection allowed on a
 * section created with @sec_protect (MmCompatibleProtectionMask, spec §4.4)?
 * @sec_protect: SectionPageProtection.
 * @protect:     Win32Protect of the view.
 * Context: any.
 * Return: 1 if allowed, else 0 (STATUS_SECTION_PROTECTION).
 */
int kmemu__section_protect_compatible(uint32_t sec_protect, uint32_t protect)
{
	const uint32_t na = PAGE_NOACCESS, ro = PAGE_READONLY, wc = PAGE_WRITECOPY, rw = PAGE_READWRITE,
		       x = PAGE_EXECUTE, xr = PAGE_EXECUTE_READ, xwc = PAGE_EXECUTE_WRITECOPY;
	uint32_t allowed;

	switch (sec_protect) {
	case PAGE_READONLY:
	case PAGE_WRITECOPY:
		allowed = na | ro | wc;
		break;
	case PAGE_READWRITE:
		allowed = na | ro | wc | rw;
		break;
	case PAGE_EXECUTE:
		allowed = na | x;
		break;
	case PAGE_EXECUTE_READ:
		allowed = na | ro | wc | x | xr;
		break;
	case PAGE_EXECUTE_WRITECOPY:
		allowed = na | ro | wc | x | xr | xwc;
		break;
	default:
		allowed = 0xFFu;  /* PAGE_EXECUTE_READWRITE */
		break;
	}
	return (protect & 0xFFu & ~allowed) == 0;
}

/**
 * kmemu__section_view_protect() - the protection a view reports: Win32Protect
 * as mapped, the section's cache type winning (seed: SEC_NOCACHE maps
 * uncached, SEC_WRITECOMBINE write-combined).
 * @protect:    Win32Protect of the view.
 * @attributes: AllocationAttributes of the section.
 * Context: any.
 * Return: the protection for struct kmemu_view_info.
 */
uint32_t kmemu__section_view_protect(uint32_t protect, uint32_t attributes)
{
	if (attributes & SEC_NOCACHE)
		return (protect & ~(uint32_t)PAGE_WRITECOMBINE) | PAGE_NOCACHE;
	if (attributes & SEC_WRITECOMBINE)
		return (protect & ~(uint32_t)PAGE_NOCACHE) | PAGE_WRITECOMBINE;
	return protect;
}

/**
 * kmemu__section_basic_info() - NtQuerySection's answer once the handle
 * was checked.
 * @cls:        information class (already in range: api/section.c).
 * @buf:        receives SECTION_BASIC_INFORMATION.
 * @len:        its size in bytes.
 * @ret_len:    receives the size written.
 * @attributes: the section's AllocationAttributes.
 * @size:       the section's size in bytes.
 *
 * Data sections answer the image classes with STATUS_SECTION_NOT_IMAGE;
 * the reported attributes are SEC_COMMIT / SEC_RESERVE plus the cache type.
 * Context: any.
 * Return: STATUS_SUCCESS; STATUS_SECTION_NOT_IMAGE; STATUS_INFO_LENGTH_MISMATCH.
 */
kmemu_status kmemu__section_basic_info(int cls, void *buf, size_t len, size_t *ret_len,
				       uint32_t attributes, uint64_t size)
{
	SECTION_BASIC_INFORMATION info;

	if (cls != SectionBasicInformation)
		return STATUS_SECTION_NOT_IMAGE;
	if (len < sizeof(info))
		return STATUS_INFO_LENGTH_MISMATCH;
	memset(&info, 0, sizeof(info));
	info.BaseAddress = NULL;
	info.AllocationAttributes = attributes & (SEC_COMMIT | SEC_RESERVE | SEC_NOCACHE | SEC_WRITECOMBINE);
	info.MaximumSize.QuadPart = (LONGLONG)size;
	memcpy(buf, &info, sizeof(info));
	*ret_len = sizeof(info);
	return STATUS_SUCCESS;
}

/**
 * kmemu__section_ex_params() - NtMapViewOfSectionEx's extended-parameter
 * rules (spec §5), checked in array order.
 * @p:       the parameters (non-NULL when @count is not 0).
 * @count:   ExtendedParameterCount.
 * @base:    *BaseAddress (0 = the system chooses).
 * @highest: receives HighestEndingAddress (inclusive), 0 when none.
 *
 * Each entry: Type 0 or >= MemExtendedParameterMax -> STATUS_INVALID_PARAMETER;
 * Reserved bits set -> STATUS_INVALID_PARAMETER (decided).
 * AddressRequirements: a second one, a NULL Pointer, any Alignment, a
 * LowestStartingAddress not 64 KiB aligned or above the user range, a
 * HighestEndingAddress that is not a page multiple - 1, above
 * MM_HIGHEST_USER_ADDRESS or below LowestStartingAddress ->
 * STATUS_INVALID_PARAMETER; a non-zero LowestStartingAddress is then
 * STATUS_NOT_SUPPORTED (decided: no lower placement bound).
 * NumaNode: node 0 only (one node), else STATUS_INVALID_PARAMETER.
 * PartitionHandle, UserPhysicalHandle, AttributeFlags: STATUS_NOT_SUPPORTED
 * (decided: not emulated).  ImageMachine: a second one ->
 * STATUS_INVALID_PARAMETER; the value is ignored (decided: every section
 * here is a data section, which has no machine).
 * After the loop: an explicit @base with an AddressRequirements entry ->
 * STATUS_INVALID_PARAMETER.
 * Context: any.
 * Return: STATUS_SUCCESS or the statuses above.
 */
kmemu_status kmemu__section_ex_params(const MEM_EXTENDED_PARAMETER *p, uint32_t count,
				      uintptr_t base, uint64_t *highest)
{
	int has_req = 0, has_machine = 0;
	uint64_t lowest = 0;

	*highest = 0;
	for (uint32_t i = 0; i < count; i++) {
		const MEM_ADDRESS_REQUIREMENTS *r;

		if (p[i].Type == MemExtendedParameterInvalidType ||
		    p[i].Type >= MemExtendedParameterMax || p[i].Reserved)
			return STATUS_INVALID_PARAMETER;
		switch (p[i].Type) {
		case MemExtendedParameterAddressRequirements:
			r = p[i].Pointer;
			if (has_req || !r || r->Alignment)
				return STATUS_INVALID_PARAMETER;
			has_req = 1;
			lowest = (uintptr_t)r->LowestStartingAddress;
			*highest = (uintptr_t)r->HighestEndingAddress;
			if ((lowest & 0xFFFFull) || lowest > USER_LAST)
				return STATUS_INVALID_PARAMETER;
			if (*highest && (((*highest + 1) & (PAGE_BYTES - 1)) || *highest > USER_LAST ||
					 *highest < lowest))
				return STATUS_INVALID_PARAMETER;
			break;
		case MemExtendedParameterNumaNode:
			if (p[i].ULong != 0)
				return STATUS_INVALID_PARAMETER;
			break;
		case MemExtendedParameterImageMachine:
			if (has_machine)
				return STATUS_INVALID_PARAMETER;
			has_machine = 1;
			break;
		default:  /* PartitionHandle, UserPhysicalHandle, AttributeFlags */
			return STATUS_NOT_SUPPORTED;
		}
	}
	if (has_req && base)
		return STATUS_INVALID_PARAMETER;
	if (lowest)
		return STATUS_NOT_SUPPORTED;
	return STATUS_SUCCESS;
}

/**
 * kmemu__section_unmap_ex_flags_bad() - NtUnmapViewOfSectionEx's flag rule.
 * @flags: Flags.
 * Context: any.
 * Return: 1 for STATUS_INVALID_PARAMETER (bits other than
 * MEM_UNMAP_WITH_TRANSIENT_BOOST | MEM_PRESERVE_PLACEHOLDER), else 0.
 */
int kmemu__section_unmap_ex_flags_bad(uint32_t flags)
{
	return (flags & ~(uint32_t)(MEM_UNMAP_WITH_TRANSIENT_BOOST | MEM_PRESERVE_PLACEHOLDER)) != 0;
}
