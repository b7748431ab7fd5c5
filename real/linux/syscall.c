/* SPDX-License-Identifier: MIT */
/*
 * syscall.c - the linux backend's syscall table (SQLite's aSyscall[]).
 *
 * The backend never calls a syscall directly in the host: an rsys_* macro
 * (linux.h) calls the entry's current function.  Tests swap entries with
 * linux_syscall_set() to make the kernel answer what they need (EPERM from
 * mlock, ESRCH from process_vm_readv ...), and acquiring entries first ask
 * the fault simulator (kmemu__fault_should_fail), which then fails them with
 * the entry's errno - so an injected fault takes the same path through
 * linux_status_from_errno() as a real one.  Releasing entries (munmap,
 * close, kill, waitpid) are never failed: teardown always completes.
 *
 * The agent side (agent.c, in the forked child) calls the kernel directly:
 * the simulator's state belongs to the host, and its mutex may have been
 * held by another host thread at fork time.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include "linux.h"

/* ---- wrappers where libc has no function of the right shape ------------- */

static int sys_open(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

static int sys_fcntl(int fd, int cmd, int arg)
{
	return fcntl(fd, cmd, arg);
}

/* mlock2 (4.4+).  Where it is missing (older kernels; valgrind 3.19, which
 * does not know it) lock eagerly with mlock: the pages are populated now
 * instead of at first touch.  The answer is cached, so valgrind warns once. */
static int sys_mlock2(const void *addr, size_t len, unsigned flags)
{
	static _Atomic int no_mlock2;
	int rc;

	if (!no_mlock2) {
		rc = (int)syscall(SYS_mlock2, addr, len, flags);
		if (!rc || errno != ENOSYS)
			return rc;
		no_mlock2 = 1;
	}
	return mlock(addr, len);
}

static int sys_pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int sys_pidfd_getfd(int pidfd, int fd, unsigned flags)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

/* io_uring: only setup and register, as raw syscalls (no liburing) */
static int sys_io_uring_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_io_uring_register(int fd, unsigned op, const void *arg, unsigned nr)
{
	return (int)syscall(__NR_io_uring_register, fd, op, arg, nr);
}

/* The effective capability set (64 bits of the two v3 words). */
static int sys_capget(uint64_t *effective)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	*effective = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}

#define ENTRY(id, nm, fn, res, e) \
	[id] = { nm, (linux_syscall_ptr)(fn), (linux_syscall_ptr)(fn), res, e }
#define ACQ KMEMU_FAULT_SYSCALLS

struct linux_syscall linux_syscalls[RSYS_COUNT] = {
	ENTRY(RSYS_MEMFD_CREATE, "memfd_create", memfd_create, ACQ, EMFILE),
	ENTRY(RSYS_FTRUNCATE, "ftruncate", ftruncate, ACQ, ENOSPC),
	ENTRY(RSYS_MMAP, "mmap", mmap, ACQ, ENOMEM),
	/* locking is where the kernel commits (RLIMIT_MEMLOCK) the frames */
	ENTRY(RSYS_MLOCK2, "mlock2", sys_mlock2, ACQ | KMEMU_FAULT_FRAMES, ENOMEM),
	ENTRY(RSYS_MADVISE, "madvise", madvise, ACQ, EAGAIN),
	ENTRY(RSYS_OPEN, "open", sys_open, ACQ, EMFILE),
	ENTRY(RSYS_SOCKETPAIR, "socketpair", socketpair, ACQ, EMFILE),
	ENTRY(RSYS_FORK, "fork", fork, ACQ, EAGAIN),
	ENTRY(RSYS_SENDMSG, "sendmsg", sendmsg, ACQ, ENOBUFS),
	ENTRY(RSYS_PIDFD_OPEN, "pidfd_open", sys_pidfd_open, ACQ, EMFILE),
	ENTRY(RSYS_PIDFD_GETFD, "pidfd_getfd", sys_pidfd_getfd, ACQ, EMFILE),
	/* committing SEC_RESERVE pages: the kernel may refuse to split a mapping */
	ENTRY(RSYS_MPROTECT, "mprotect", mprotect, ACQ, ENOMEM),
	ENTRY(RSYS_IO_URING_SETUP, "io_uring_setup", sys_io_uring_setup, ACQ, EMFILE),
	/* pinning is where the kernel charges the locked frames */
	ENTRY(RSYS_IO_URING_REGISTER, "io_uring_register", sys_io_uring_register,
	      ACQ | KMEMU_FAULT_FRAMES, ENOMEM),
	ENTRY(RSYS_MUNMAP, "munmap", munmap, 0, 0),
	ENTRY(RSYS_CLOSE, "close", close, 0, 0),
	ENTRY(RSYS_KILL, "kill", kill, 0, 0),
	ENTRY(RSYS_WAITPID, "waitpid", waitpid, 0, 0),
	ENTRY(RSYS_SEND, "send", send, 0, 0),
	ENTRY(RSYS_RECV, "recv", recv, 0, 0),
	ENTRY(RSYS_PREAD, "pread", pread, 0, 0),
	ENTRY(RSYS_FCNTL, "fcntl", sys_fcntl, 0, 0),
	ENTRY(RSYS_PROCESS_VM_READV, "process_vm_readv", process_vm_readv, 0, 0),
	ENTRY(RSYS_PROCESS_VM_WRITEV, "process_vm_writev", process_vm_writev, 0, 0),
	ENTRY(RSYS_GETRLIMIT, "getrlimit", getrlimit, 0, 0),
	ENTRY(RSYS_CAPGET, "capget", sys_capget, 0, 0),
	ENTRY(RSYS_GETPID, "getpid", getpid, 0, 0),
};

/**
 * linux_sys_fault() - should this call of entry @id fail (fault simulator)?
 * @id: the entry.
 *
 * Only entries with fault resources are asked about; the simulator counts
 * the acquisition.  On a failure errno is the entry's fault_errno.
 * Context: any thread; takes the simulator's lock briefly.
 * Return: 1 to fail the call without making it, 0 to make it.
 */
int linux_sys_fault(enum rsys_id id)
{
	const struct linux_syscall *s = &linux_syscalls[id];

	if (!s->fault_resources || !kmemu__fault_should_fail(s->fault_resources))
		return 0;
	errno = s->fault_errno;
	return 1;
}

static struct linux_syscall *syscall_find(const char *name)
{
	for (size_t i = 0; name && i < RSYS_COUNT; i++)
		if (!strcmp(linux_syscalls[i].name, name))
			return &linux_syscalls[i];
	return NULL;
}

/**
 * linux_syscall_set() - replace one entry of the table (tests).
 * @name: entry name ("mlock").
 * @fn:   replacement with the entry's signature; NULL restores the default.
 *
 * The fault simulator still applies to a replaced acquiring entry.
 * Context: no other thread may be inside the backend.
 * Return: 0; -1 for an unknown @name.
 */
int linux_syscall_set(const char *name, linux_syscall_ptr fn)
{
	struct linux_syscall *s = syscall_find(name);

	if (!s)
		return -1;
	s->current = fn ? fn : s->dflt;
	return 0;
}

/**
 * linux_syscall_get() - the current function of an entry.
 * @name: entry name.
 * Return: the function, or NULL for an unknown @name.
 */
linux_syscall_ptr linux_syscall_get(const char *name)
{
	struct linux_syscall *s = syscall_find(name);

	return s ? s->current : NULL;
}

/**
 * linux_syscall_reset() - restore every entry to its default.
 * Context: no other thread may be inside the backend.
 */
void linux_syscall_reset(void)
{
	for (size_t i = 0; i < RSYS_COUNT; i++)
		linux_syscalls[i].current = linux_syscalls[i].dflt;
}
