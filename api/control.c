/* SPDX-License-Identifier: MIT */
/*
 * control.c - the kmemu_* control functions: parameter checks no backend
 * needs to repeat, then dispatch to the current instance's ops table.
 */
#include <string.h>
#include "core.h"

#define CURRENT_OR_FAIL(b)                       \
	struct kmemu_backend *b = kmemu__current(); \
	if (!b)                                      \
		return STATUS_NOT_FOUND

kmemu_status kmemu_process_create(const char *name, kmemu_pid *out)
{
	if (!out)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->process_create(b->st, name, out);
}

kmemu_status kmemu_process_destroy(kmemu_pid pid)
{
	CURRENT_OR_FAIL(b);
	return b->ops->process_destroy(b->st, pid);
}

kmemu_status kmemu_process_attach(kmemu_pid pid, kmemu_pid *old)
{
	CURRENT_OR_FAIL(b);
	return b->ops->process_attach(b->st, pid, old);
}

kmemu_status kmemu_process_current(kmemu_pid *out)
{
	if (!out)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->process_current(b->st, out);
}

kmemu_status kmemu_virt_to_phys(kmemu_pid pid, const void *addr, uint64_t *phys)
{
	if (!phys)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->virt_to_phys(b->st, pid, addr, phys);
}

kmemu_status kmemu_kernel_read(uint64_t kaddr, void *buf, size_t len)
{
	if (!buf || !kaddr)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->kernel_read(b->st, kaddr, buf, len);
}

kmemu_status kmemu_kernel_write(uint64_t kaddr, const void *buf, size_t len)
{
	if (!buf || !kaddr)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->kernel_write(b->st, kaddr, buf, len);
}

kmemu_status kmemu_user_read(kmemu_pid pid, uint64_t uaddr, void *buf, size_t len)
{
	if (!buf || !uaddr)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->user_read(b->st, pid, uaddr, buf, len);
}

kmemu_status kmemu_user_write(kmemu_pid pid, uint64_t uaddr, const void *buf, size_t len)
{
	if (!buf || !uaddr)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->user_write(b->st, pid, uaddr, buf, len);
}

kmemu_status kmemu_irql_set(uint8_t irql, uint8_t *old)
{
	CURRENT_OR_FAIL(b);
	return b->ops->irql_set(b->st, irql, old);
}

kmemu_status kmemu_stats_get(struct kmemu_stats *out)
{
	if (!out)
		return STATUS_INVALID_PARAMETER;
	CURRENT_OR_FAIL(b);
	return b->ops->stats_get(b->st, out);
}

kmemu_status kmemu_check(const char **msg)
{
	CURRENT_OR_FAIL(b);
	return b->ops->check(b->st, msg);
}
