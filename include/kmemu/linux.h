/* SPDX-License-Identifier: MIT */
/*
 * linux.h - what only the "linux" backend offers.
 *
 * On the linux backend a WDS buffer is a memfd owned by the host process.
 * Emulated processes are forked agents that get the memfd with SCM_RIGHTS;
 * a real, unrelated process can get it too, without any cooperation of the
 * host, with pidfd_getfd(2) (Linux 5.6+, ptrace access to the host needed):
 *
 *     int32_t pid; int fd;
 *     kmemu_linux_wds_fd(hKerBuf, &pid, &fd);          (in the host)
 *     ... hand pid and fd to the other process ...
 *     int pidfd = syscall(SYS_pidfd_open, pid, 0);     (in the other process)
 *     int mine = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
 *     void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mine, 0);
 *
 * The frames then live as long as that process keeps the fd or a mapping,
 * even after every WDS holder has freed the buffer: the kernel counts its
 * references, not kmemu.
 */
#ifndef KMEMU_LINUX_H
#define KMEMU_LINUX_H

#include <stdint.h>
#include <kmemu/kmemu.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * kmemu_linux_wds_fd() - where a WDS buffer's memfd can be taken from.
 * @hKerBuf: a live global handle of the current (linux) backend instance.
 * @pid:     receives the OS pid of the process owning the descriptor (the host).
 * @fd:      receives the descriptor number in that process.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL out-pointer);
 * STATUS_NOT_SUPPORTED (the current backend is not "linux");
 * STATUS_INVALID_HANDLE (no live buffer has @hKerBuf).
 */
kmemu_status kmemu_linux_wds_fd(uint32_t hKerBuf, int32_t *pid, int *fd);

#ifdef __cplusplus
}
#endif
#endif /* KMEMU_LINUX_H */
