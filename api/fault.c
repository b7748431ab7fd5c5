/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the fault simulator and the heap and syscall choke points.
 *
 * Every acquisition the emulator makes (a heap block, a frame run, a handle
 * slot, an mmap) first asks kmemu__fault_should_fail() with its resource
 * class.  The simulator counts acquisitions of the selected classes and fails
 * the ones its mode picks: the n-th (plus @repeat more), every n-th, or a
 * seeded random fraction.  Releases are never failed.  State is process-wide
 * and guarded by one mutex: acquisitions are rare next to the work they do.
 *
 * Heap blocks carry a 16-byte header holding their size, so the live block
 * and byte counts used by leak checks are exact.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif
#include "core.h"

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kmemu_fault_config fault_cfg;   /* current program (mode OFF = idle) */
static struct kmemu_fault_stats fault_stats;  /* counters since the last set */
static uint64_t fault_prng;                   /* RANDOM mode state */
static uint64_t heap_blocks, heap_bytes;      /* live heap, under fault_lock */

kmemu_status kmemu_fault_set(const struct kmemu_fault_config *cfg)
{
	struct kmemu_fault_config c = { 0 };

	if (cfg) {
		c = *cfg;
		if (c.mode > KMEMU_FAULT_RANDOM)
			return STATUS_INVALID_PARAMETER;
		if (c.mode == KMEMU_FAULT_EVERY_NTH && c.n == 0)
			return STATUS_INVALID_PARAMETER;
		if (c.mode == KMEMU_FAULT_RANDOM && c.rate_ppm > 1000000)
			return STATUS_INVALID_PARAMETER;
		if (c.resources == 0)
			c.resources = KMEMU_FAULT_ALL;
	}
	pthread_mutex_lock(&fault_lock);
	fault_cfg = c;
	fault_prng = c.seed;
	memset(&fault_stats, 0, sizeof(fault_stats));
	pthread_mutex_unlock(&fault_lock);
	return STATUS_SUCCESS;
}

void kmemu_fault_get_stats(struct kmemu_fault_stats *out)
{
	if (!out)
		return;
	pthread_mutex_lock(&fault_lock);
	*out = fault_stats;
	pthread_mutex_unlock(&fault_lock);
}

/*
 * kmemu__fault_should_fail - decide whether one acquisition fails.
 * @resource: its KMEMU_FAULT_* class.
 *
 * Context: any thread; takes fault_lock briefly.
 * Return: 1 to fail (the caller reports its resource-exhaustion status), 0
 * to proceed.
 */
int kmemu__fault_should_fail(unsigned resource)
{
	int fail = 0;
	uint64_t idx;

	pthread_mutex_lock(&fault_lock);
	if (fault_cfg.mode == KMEMU_FAULT_OFF || !(fault_cfg.resources & resource)) {
		pthread_mutex_unlock(&fault_lock);
		return 0;
	}
	idx = fault_stats.acquisitions++;
	switch (fault_cfg.mode) {
	case KMEMU_FAULT_NTH:
		fail = idx >= fault_cfg.n && idx - fault_cfg.n <= fault_cfg.repeat;
		break;
	case KMEMU_FAULT_EVERY_NTH:
		fail = (idx + 1) % fault_cfg.n == 0;
		break;
	case KMEMU_FAULT_RANDOM:
		fail = kmemu__prng_next(&fault_prng) % 1000000u < fault_cfg.rate_ppm;
		break;
	default:
		break;
	}
	if (fail)
		fault_stats.failures++;
	pthread_mutex_unlock(&fault_lock);
	return fail;
}

/* ---- heap ------------------------------------------------------------------ */

#define HEAP_HDR 16u  /* keeps max_align_t alignment of the user part */

static void heap_account(int64_t blocks, int64_t bytes)
{
	pthread_mutex_lock(&fault_lock);
	heap_blocks += (uint64_t)blocks;
	heap_bytes += (uint64_t)bytes;
	pthread_mutex_unlock(&fault_lock);
}

void *kmemu__malloc(size_t size)
{
	unsigned char *p;

	if (size > SIZE_MAX - HEAP_HDR || kmemu__fault_should_fail(KMEMU_FAULT_HEAP))
		return NULL;
	p = malloc(size + HEAP_HDR);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	heap_account(1, (int64_t)size);
	return p + HEAP_HDR;
}

void *kmemu__calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = kmemu__malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *kmemu__realloc(void *p, size_t size)
{
	unsigned char *base, *nb;
	size_t old;

	if (!p)
		return kmemu__malloc(size);
	if (size > SIZE_MAX - HEAP_HDR || kmemu__fault_should_fail(KMEMU_FAULT_HEAP))
		return NULL;
	base = (unsigned char *)p - HEAP_HDR;
	memcpy(&old, base, sizeof(old));
	nb = realloc(base, size + HEAP_HDR);
	if (!nb)
		return NULL;
	memcpy(nb, &size, sizeof(size));
	heap_account(0, (int64_t)size - (int64_t)old);
	return nb + HEAP_HDR;
}

void kmemu__free(void *p)
{
	unsigned char *base;
	size_t size;

	if (!p)
		return;
	base = (unsigned char *)p - HEAP_HDR;
	memcpy(&size, base, sizeof(size));
	heap_account(-1, -(int64_t)size);
	free(base);
}

char *kmemu__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kmemu__malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void kmemu__heap_stats(uint64_t *blocks, uint64_t *bytes)
{
	pthread_mutex_lock(&fault_lock);
	*blocks = heap_blocks;
	*bytes = heap_bytes;
	pthread_mutex_unlock(&fault_lock);
}

/* ---- host syscalls ----------------------------------------------------------- */
/* Linux only: the emulator and the linux backend map memfds.  A Windows
 * build (the nt backend) has neither, and passes its calls straight to
 * ntdll, where the real kernel decides. */
#ifndef _WIN32

void *kmemu__sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (kmemu__fault_should_fail(KMEMU_FAULT_SYSCALLS)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return mmap(addr, len, prot, flags, fd, off);
}

int kmemu__sys_munmap(void *addr, size_t len)
{
	return munmap(addr, len);
}

int kmemu__sys_memfd_create(const char *name, unsigned flags)
{
	if (kmemu__fault_should_fail(KMEMU_FAULT_SYSCALLS)) {
		errno = EMFILE;
		return -1;
	}
	return memfd_create(name, flags);
}

int kmemu__sys_ftruncate(int fd, off_t len)
{
	if (kmemu__fault_should_fail(KMEMU_FAULT_SYSCALLS)) {
		errno = ENOMEM;
		return -1;
	}
	return ftruncate(fd, len);
}

int kmemu__sys_punch(int fd, off_t off, off_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
}

int kmemu__sys_close(int fd)
{
	return close(fd);
}
#endif /* !_WIN32 */
