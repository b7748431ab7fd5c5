/* SPDX-License-Identifier: MIT */
/*
 * sys/mman.h for the Windows build of kmemu-conform: the anonymous mappings
 * the cases make for themselves (free ranges, private memory that is no
 * view) as VirtualAlloc/VirtualFree (conformance/win32.c).  Only what the
 * cases use: fd -1, whole-mapping munmap.
 */
#ifndef KMEMU_CONFORM_WIN32_SYS_MMAN_H
#define KMEMU_CONFORM_WIN32_SYS_MMAN_H

#include <stddef.h>

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_FAILED ((void *)-1)

/* mmap of anonymous memory: reserved (PROT_NONE) or committed; at @addr
 * exactly with MAP_FIXED_NOREPLACE.  MAP_FAILED on failure. */
void *kmemu_conform_mmap(void *addr, size_t len, int prot, int flags, int fd, long long off);
/* munmap of a whole kmemu_conform_mmap() mapping.  0, or -1. */
int kmemu_conform_munmap(void *addr, size_t len);
#define mmap kmemu_conform_mmap
#define munmap kmemu_conform_munmap

#endif
