/* SPDX-License-Identifier: MIT */
/*
 * machine.c - an instance of the linux backend, its test-side ops and its
 * ops table.
 *
 * Opening probes what this machine gives, and the capabilities say exactly
 * that: huge pages (a 2 MiB hugetlb page can be reserved now: KMEMU_CAP_CONTIG),
 * PFNs in /proc/self/pagemap (CAP_SYS_ADMIN: KMEMU_CAP_PHYS), and
 * process_vm_readv on ourselves (KMEMU_CAP_MULTI_PROCESS).  The budget of
 * lockable memory (frames_total) is MemAvailable, capped by RLIMIT_MEMLOCK
 * unless the process has CAP_IPC_LOCK.  There is no IRQL, no bug check, no
 * placement policy and no verifier here: those capabilities are not
 * declared, and their slots answer STATUS_NOT_SUPPORTED or do nothing.
 *
 * Address spaces:
 *   host (initial process) - user views of its holdings, plus "kernel
 *     space": the kernel views, and an alias of every agent holding at the
 *     agent's address (so a thread attached to an agent can dereference
 *     pUserAddr, as KeStackAttachProcess allows on Windows);
 *   agent (other process)  - its holdings only, at the same addresses.
 * kmemu_user_read/write of the host refuse kernel views and aliases
 * (STATUS_ACCESS_VIOLATION): they are not the host process's user memory.
 *
 * Divisions: locking and attachment; lifetime; processes; mapping into a
 * process; memory access and pagemap; IRQL; accounting and checks;
 * the ops table; the public fd lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/memfd.h>
#include <kmemu/linux.h>
#include "linux.h"

#define MAP_ATTEMPTS 8  /* agent addresses tried before WD_FAILED_USER_MAPPING */

/* ==== locking and attachment ============================================ */

/**
 * linux_lock() - take the instance lock.
 * @m: the instance.
 * Context: not held already (not recursive); held across agent round trips.
 */
void linux_lock(struct linux_machine *m)
{
	pthread_mutex_lock(&m->lock);
}

/**
 * linux_unlock() - release the instance lock.
 * @m: the instance.
 * Context: caller holds it.
 */
void linux_unlock(struct linux_machine *m)
{
	pthread_mutex_unlock(&m->lock);
}

/* The calling thread's attachment; valid only for the instance whose serial
 * it carries (a later instance may reuse the address and the pids). */
static _Thread_local struct {
	uint64_t serial;  /* instance serial, 0 = never attached */
	kmemu_pid pid;    /* attached process */
} linux_tls;

static _Atomic uint64_t linux_serials;  /* last serial handed out */

static struct linux_proc *process_find(struct linux_machine *m, kmemu_pid pid)
{
	for (struct linux_proc *p = m->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/**
 * linux_current_process() - the calling thread's process.
 * @m: the instance.
 * Context: caller holds the instance lock.
 * Return: the attached process, or the initial one (never attached, or the
 * attached process was destroyed).
 */
struct linux_proc *linux_current_process(struct linux_machine *m)
{
	struct linux_proc *p = NULL;

	if (linux_tls.serial == m->serial)
		p = process_find(m, linux_tls.pid);
	return p ? p : m->initial;
}

/* ==== lifetime ================================================================== */

/* Read "<key> <n> kB" from /proc/meminfo.  Return: bytes, or 0. */
static uint64_t meminfo_bytes(const char *key)
{
	char buf[8192], *p;
	ssize_t n;
	int fd = rsys_open("/proc/meminfo", O_RDONLY);

	if (fd < 0)
		return 0;
	n = rsys_pread(fd, buf, sizeof(buf) - 1, 0);
	rsys_close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 10) << 10 : 0;
}

/* Pages the backend may lock: MemAvailable, capped by RLIMIT_MEMLOCK
 * unless the process has CAP_IPC_LOCK (which lifts the limit). */
static uint64_t probe_budget(void)
{
	uint64_t avail = meminfo_bytes("MemAvailable:"), eff = 0;
	struct rlimit rl;

	if (!avail)
		avail = (uint64_t)sysconf(_SC_AVPHYS_PAGES) * LINUX_PAGE_SIZE;
	if ((rsys_capget(&eff) || !(eff & (1ull << CAP_IPC_LOCK))) &&
	    rsys_getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < avail)
		avail = rl.rlim_cur;
	return avail / LINUX_PAGE_SIZE;
}

/* Can a 2 MiB hugetlb page be had right now? */
static int probe_hugetlb(void)
{
	int fd = rsys_memfd_create("kmemu-probe", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
	void *p;

	if (fd < 0)
		return 0;
	p = rsys_ftruncate(fd, (off_t)LINUX_HUGE_2M) ? MAP_FAILED
		: rsys_mmap(NULL, LINUX_HUGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	rsys_close(fd);
	if (p == MAP_FAILED)
		return 0;
	rsys_munmap(p, LINUX_HUGE_2M);
	return 1;
}

/* Does pagemap show PFNs (CAP_SYS_ADMIN)?  Asks about a stack page, which
 * is present: this frame is on it. */
static int probe_pfn(void)
{
	uint8_t here = 1;
	uint64_t pfn;

	return linux_pagemap_pfn(0, &here, &pfn) == STATUS_SUCCESS;
}

/* Can we read process memory with process_vm_readv (no seccomp/yama block)? */
static int probe_vm_readv(void)
{
	static const uint8_t src = 0x5A;
	uint8_t dst = 0;
	struct iovec local = { &dst, 1 }, remote = { (void *)&src, 1 };

	return rsys_process_vm_readv(rsys_getpid(), &local, 1, &remote, 1, 0) == 1 && dst == src;
}

static void linux_close(void *st);

/**
 * linux_open() - open an instance (ops->open).
 * @ops: the table (unused).
 * @cfg: configuration: ram_bytes, seed, verifier and user_space_bytes are
 *       ignored (the kernel's RAM is the RAM); a placement policy or
 *       fragmentation cannot be honoured.
 * @st:  receives the instance.
 *
 * Probes huge pages, PFNs and process_vm_readv (a failed probe clears the
 * capability, it does not fail the open).
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_NOT_SUPPORTED (placement other than
 * default, fragmentation, a page size other than 4 KiB);
 * STATUS_INSUFFICIENT_RESOURCES (heap).
 */
static kmemu_status linux_open(const struct kmemu_backend_ops *ops, const struct kmemu_config *cfg,
			       void **st)
{
	struct linux_machine *m;
	struct linux_proc *init;

	(void)ops;
	if (cfg->placement != KMEMU_PLACE_DEFAULT || cfg->fragment_order ||
	    sysconf(_SC_PAGESIZE) != (long)LINUX_PAGE_SIZE)
		return STATUS_NOT_SUPPORTED;
	m = kmemu__calloc(1, sizeof(*m));
	if (!m)
		return STATUS_INSUFFICIENT_RESOURCES;
	pthread_mutex_init(&m->lock, NULL);
	m->serial = ++linux_serials;
	init = kmemu__calloc(1, sizeof(*init));
	if (!init)
		goto fail;
	m->procs = m->initial = init;
	m->n_processes = 1;
	init->is_initial = 1;
	init->sock = -1;
	m->owner = rsys_getpid();
	init->pid = (kmemu_pid)m->owner;
	init->name = kmemu__strdup("initial");
	if (!init->name)
		goto fail;
	m->frames_total = probe_budget();
	/* learn now whether mlock2 exists (valgrind warns once per process
	 * about it, and children forked later inherit the answer); not an
	 * acquisition: the entry is called without the fault hook */
	RSYS_FN(RSYS_MLOCK2, rsys_mlock2_fn)(NULL, 0, MLOCK_ONFAULT);
	m->has_hugetlb = probe_hugetlb();
	m->has_pfn = probe_pfn();
	m->has_uring = linux_mdl_probe_uring();
	m->caps = KMEMU_CAP_WDS | KMEMU_CAP_FAULT_INJECT | KMEMU_CAP_KERNEL_ACCESS | KMEMU_CAP_CHECKERS |
		  KMEMU_CAP_SECTIONS | KMEMU_CAP_KERNEL_VIEWS | KMEMU_CAP_SECTIONS_EX | KMEMU_CAP_WDF |
		  KMEMU_CAP_FLT | KMEMU_CAP_BUGCHECK | KMEMU_CAP_VERIFIER;
	if (probe_vm_readv())
		m->caps |= KMEMU_CAP_MULTI_PROCESS;
	if (m->has_hugetlb)
		m->caps |= KMEMU_CAP_CONTIG;
	if (m->has_pfn)
		m->caps |= KMEMU_CAP_PHYS;
	kmemu_backend_instance_lacks(kmemu__linux_ops.caps & ~m->caps);
	*st = m;
	return STATUS_SUCCESS;
fail:
	linux_close(m);
	return STATUS_INSUFFICIENT_RESOURCES;
}

static void process_free(struct linux_machine *m, struct linux_proc *p);

/*
 * linux_close() - close an instance (ops->close): kill every agent, drop
 * every holding (freeing the descriptions), so every buffer dies.
 * Tolerates a half-built instance.
 */
static void linux_close(void *st)
{
	struct linux_machine *m = st;

	if (!m)
		return;
	linux_lock(m);
	for (struct linux_proc *p = m->procs, *next; p; p = next) {
		next = p->next;
		if (!p->is_initial)
			process_free(m, p);  /* agents first: their holdings die with them */
	}
	if (m->initial)
		process_free(m, m->initial);
	linux_mdl_release_all(m);
	linux_section_release_kernel(m);
	linux_wds_fini(m);
	linux_unlock(m);
	pthread_mutex_destroy(&m->lock);
	kmemu__free(m);
}

/* ==== processes ================================================================ */

/**
 * process_free() - a process exits: kill its agent (if any), drop its
 * holdings (freeing their descriptions), unlink and free it.
 * @m: the instance.
 * @p: the process (the initial one only at close).
 * Context: caller holds the instance lock.
 */
static void process_free(struct linux_machine *m, struct linux_proc *p)
{
	struct linux_proc **pp;

	if (p->sock >= 0) {
		/* A child forked from the host that closes its copy of the
		 * instance (atexit) must not kill the host's agents. */
		if (rsys_getpid() == m->owner)
			linux_agent_kill((pid_t)p->pid, p->sock);
		else
			rsys_close(p->sock);
		p->sock = -1;  /* its mappings died with it: only host aliases remain */
	}
	linux_section_release_process(m, p);
	linux_wds_release_process(m, p);
	for (pp = &m->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (p == m->initial)
		m->initial = NULL;
	m->n_processes--;
	kmemu__free(p->holds);
	kmemu__free(p->name);
	kmemu__free(p);
}

/**
 * linux_process_create() - a new emulated process: a forked agent
 * (ops->process_create).
 * @st:   the instance.
 * @name: label, or NULL.
 * @out:  receives its id: the agent's OS pid.
 * Context: PASSIVE; forks.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES (heap, fds,
 * processes: the kernel's EAGAIN/EMFILE); STATUS_NOT_SUPPORTED where
 * process_vm_readv is blocked (no KMEMU_CAP_MULTI_PROCESS).
 */
static kmemu_status linux_process_create(void *st, const char *name, kmemu_pid *out)
{
	struct linux_machine *m = st;
	struct linux_proc *p;
	pid_t pid;
	int sock, err;

	if (!(m->caps & KMEMU_CAP_MULTI_PROCESS))
		return STATUS_NOT_SUPPORTED;
	p = kmemu__calloc(1, sizeof(*p));
	if (!p)
		return STATUS_INSUFFICIENT_RESOURCES;
	p->name = kmemu__strdup(name ? name : "process");
	if (!p->name) {
		kmemu__free(p);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	linux_lock(m);
	err = linux_agent_spawn(&pid, &sock);
	if (err) {
		linux_unlock(m);
		kmemu__free(p->name);
		kmemu__free(p);
		return (kmemu_status)linux_status_from_errno(err, LINUX_OP_PROCESS);
	}
	p->pid = (kmemu_pid)pid;
	p->sock = sock;
	p->next = m->procs;
	m->procs = p;
	m->n_processes++;
	*out = p->pid;
	linux_unlock(m);
	return STATUS_SUCCESS;
}

/**
 * linux_process_destroy() - terminate an agent (ops->process_destroy).
 * @st:  the instance.
 * @pid: an agent.
 *
 * SIGKILL: its mappings and fds die with it; its holdings are dropped (and
 * their descriptions freed), so buffers it alone held die too.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_ACCESS_DENIED for the initial process.
 */
static kmemu_status linux_process_destroy(void *st, kmemu_pid pid)
{
	struct linux_machine *m = st;
	struct linux_proc *p;
	kmemu_status rc = STATUS_SUCCESS;

	linux_lock(m);
	p = process_find(m, pid);
	if (!p)
		rc = STATUS_INVALID_PARAMETER;
	else if (p->is_initial)
		rc = STATUS_ACCESS_DENIED;
	else
		process_free(m, p);
	linux_unlock(m);
	return rc;
}

/**
 * linux_process_create_child() - a new agent inheriting @parent's ViewShare
 * views (ops->process_create_child, test side).
 * @st:     the instance.
 * @parent: the parent process (the host or an agent).
 * @name:   label.
 * @out:    receives the child's pid.
 *
 * The child is a fresh agent that maps each ViewShare view of the parent at
 * the same address with the same protection (linux_section_inherit()).
 * Context: PASSIVE; forks.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such parent); the
 * statuses of linux_process_create(); a mapping failure (nothing is left
 * created).
 */
static kmemu_status linux_process_create_child(void *st, kmemu_pid parent, const char *name,
					       kmemu_pid *out)
{
	struct linux_machine *m = st;
	struct linux_proc *pp, *c;
	kmemu_status rc;
	kmemu_pid pid = 0;

	linux_lock(m);
	pp = process_find(m, parent);
	linux_unlock(m);
	if (!pp)
		return STATUS_INVALID_PARAMETER;
	rc = linux_process_create(st, name, &pid);
	if (rc)
		return rc;
	linux_lock(m);
	pp = process_find(m, parent);
	c = process_find(m, pid);
	rc = pp ? linux_section_inherit(m, pp, c) : STATUS_INVALID_PARAMETER;
	if (rc)
		process_free(m, c);
	else
		*out = pid;
	linux_unlock(m);
	return rc;
}

/* ops->process_attach: per thread, as in the emulator. */
static kmemu_status linux_process_attach(void *st, kmemu_pid pid, kmemu_pid *old)
{
	struct linux_machine *m = st;
	kmemu_status rc = STATUS_INVALID_PARAMETER;

	linux_lock(m);
	if (process_find(m, pid)) {
		if (old)
			*old = linux_current_process(m)->pid;
		linux_tls.serial = m->serial;
		linux_tls.pid = pid;
		rc = STATUS_SUCCESS;
	}
	linux_unlock(m);
	return rc;
}

/* ops->process_current */
static kmemu_status linux_process_current(void *st, kmemu_pid *out)
{
	struct linux_machine *m = st;

	linux_lock(m);
	*out = linux_current_process(m)->pid;
	linux_unlock(m);
	return STATUS_SUCCESS;
}

/* ==== mapping into a process ===================================================== */

/* Map @buf's memfd anywhere in the host, not inherited by agents.
 * Return: the address, or MAP_FAILED with errno set. */
static uint8_t *host_map(struct linux_buffer *buf)
{
	void *a = rsys_mmap(NULL, buf->map_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | (buf->is_hugetlb ? MAP_POPULATE : 0), buf->memfd, 0);
	int err;

	if (a == MAP_FAILED)
		return MAP_FAILED;
	if (rsys_madvise(a, buf->map_size, MADV_DONTFORK)) {
		err = errno;
		rsys_munmap(a, buf->map_size);
		errno = err;
		return MAP_FAILED;
	}
	return a;
}

/**
 * linux_map_into() - map a buffer into a process.
 * @m:   the instance.
 * @p:   the process.
 * @buf: the buffer.
 * @out: receives the address in @p.
 *
 * The host maps directly.  For an agent the host first maps an alias
 * (picking a free address in the host), then asks the agent to map the
 * memfd at the same address; if the agent has something there, the alias
 * is kept reserved while the next address is tried (up to MAP_ATTEMPTS).
 * Context: caller holds the instance lock.
 * Return: WD_STATUS_SUCCESS; WD_INSUFFICIENT_RESOURCES (mmap, madvise,
 * passing the fd); WD_FAILED_USER_MAPPING (the agent is gone, or no address
 * is free in both).  Nothing is left mapped on failure.
 */
uint32_t linux_map_into(struct linux_machine *m, struct linux_proc *p, struct linux_buffer *buf,
			uint8_t **out)
{
	uint8_t *tried[MAP_ATTEMPTS];
	unsigned n_tried = 0;
	uint32_t rc = WD_FAILED_USER_MAPPING;

	(void)m;
	if (p->is_initial) {
		uint8_t *a = host_map(buf);

		if (a == MAP_FAILED)
			return linux_status_from_errno(errno, LINUX_OP_WDS_MAP);
		*out = a;
		return WD_STATUS_SUCCESS;
	}
	while (n_tried < MAP_ATTEMPTS) {
		struct linux_agent_req req = { .op = LINUX_AGENT_MAP, .len = buf->map_size };
		struct linux_agent_rep rep = { 0, 0, 0 };
		uint8_t *alias = host_map(buf);
		int err;

		if (alias == MAP_FAILED) {
			rc = linux_status_from_errno(errno, LINUX_OP_WDS_MAP);
			break;
		}
		req.addr = (uint64_t)(uintptr_t)alias;
		err = p->sock < 0 ? ESRCH : linux_agent_call(p->sock, &req, buf->memfd, &rep);
		if (!err)
			err = rep.err;
		if (!err && rep.value == (int64_t)(uintptr_t)alias) {
			*out = alias;
			rc = WD_STATUS_SUCCESS;
			break;
		}
		if (!err) {  /* mapped elsewhere: cannot be (the agent checks) */
			struct linux_agent_req un = { .op = LINUX_AGENT_UNMAP, .addr = (uint64_t)rep.value,
						      .len = buf->map_size };

			linux_agent_call(p->sock, &un, -1, &rep);
			err = EEXIST;
		}
		tried[n_tried++] = alias;
		if (err != EEXIST) {
			rc = linux_status_from_errno(err, LINUX_OP_WDS_MAP);
			break;
		}
	}
	while (n_tried)
		rsys_munmap(tried[--n_tried], buf->map_size);
	return rc;
}

/**
 * linux_unmap_from() - undo linux_map_into().
 * @m:    the instance.
 * @p:    the process.
 * @buf:  the buffer.
 * @addr: its address in @p.
 *
 * An agent that cannot be reached (killed) has no mapping left anyway;
 * the host alias is always removed.
 * Context: caller holds the instance lock.
 */
void linux_unmap_from(struct linux_machine *m, struct linux_proc *p, struct linux_buffer *buf,
		      uint8_t *addr)
{
	(void)m;
	if (!p->is_initial && p->sock >= 0) {
		struct linux_agent_req req = { .op = LINUX_AGENT_UNMAP,
					       .addr = (uint64_t)(uintptr_t)addr,
					       .len = buf->map_size };
		struct linux_agent_rep rep;

		linux_agent_call(p->sock, &req, -1, &rep);
	}
	rsys_munmap(addr, buf->map_size);
}

/* ==== memory access and pagemap ======================================================== */

/**
 * linux_pagemap_pfn() - the frame of a virtual page, from pagemap.
 * @pid:  process (0 = the host itself).
 * @addr: any address in the page.
 * @pfn:  receives the page frame number.
 *
 * A mapped page that was never touched has no frame yet: it is read once
 * (process_vm_readv, in that process) so the kernel gives it one.
 * Context: any; opens /proc/<pid>/pagemap (ptrace read access needed).
 * Return: STATUS_SUCCESS; STATUS_INVALID_ADDRESS (page not present);
 * STATUS_NOT_SUPPORTED (PFN hidden: no CAP_SYS_ADMIN; or pagemap refused);
 * STATUS_PROCESS_IS_TERMINATING (no such OS process);
 * STATUS_INSUFFICIENT_RESOURCES (no fd).
 */
kmemu_status linux_pagemap_pfn(pid_t pid, const void *addr, uint64_t *pfn)
{
	off_t off = (off_t)((uintptr_t)addr / LINUX_PAGE_SIZE * sizeof(uint64_t));
	char path[48];
	uint64_t e = 0;
	ssize_t n;
	int fd, err;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = rsys_open(path, O_RDONLY);
	if (fd < 0)
		return (kmemu_status)linux_status_from_errno(errno == ENOENT ? ESRCH : errno,
							     LINUX_OP_PHYS);
	n = rsys_pread(fd, &e, sizeof(e), off);
	if (n == (ssize_t)sizeof(e) && !(e >> 63)) {
		/* Mapped but never touched: the frame comes into existence at the
		 * first access, so make one (a read, in that process) and look again. */
		uint8_t byte;
		struct iovec local = { &byte, 1 }, remote = { (void *)addr, 1 };

		if (rsys_process_vm_readv(pid ? pid : rsys_getpid(), &local, 1, &remote, 1, 0) == 1)
			n = rsys_pread(fd, &e, sizeof(e), off);
	}
	err = errno;
	rsys_close(fd);
	if (n < 0)
		return (kmemu_status)linux_status_from_errno(err, LINUX_OP_PHYS);
	if (n != (ssize_t)sizeof(e) || !(e >> 63))
		return STATUS_INVALID_ADDRESS;
	e &= (1ull << 55) - 1;
	if (!e)
		return STATUS_NOT_SUPPORTED;  /* since 4.2: zeroed without CAP_SYS_ADMIN */
	*pfn = e;
	return STATUS_SUCCESS;
}

/*
 * linux_virt_to_phys() - ops->virt_to_phys through pagemap.
 * pid 0 = kernel space: only kernel views; the host: anything but kernel
 * views and aliases; an agent: its own address space.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (no such process);
 * STATUS_NOT_SUPPORTED (no PFNs: KMEMU_CAP_PHYS clear); STATUS_INVALID_ADDRESS.
 */
static kmemu_status linux_virt_to_phys(void *st, kmemu_pid pid, const void *addr, uint64_t *phys)
{
	struct linux_machine *m = st;
	uint64_t a = (uint64_t)(uintptr_t)addr, pfn = 0;
	struct linux_proc *p = NULL;
	kmemu_status rc;
	pid_t os = 0;

	linux_lock(m);
	if (pid && !(p = process_find(m, pid)))
		rc = STATUS_INVALID_PARAMETER;
	else if (!m->has_pfn)
		rc = STATUS_NOT_SUPPORTED;
	else if (!p ? !linux_wds_kernel_find(m, a, 1) && !linux_section_kernel_span(m, a, 0)
		    : p->is_initial && linux_wds_foreign(m, a, 1))
		rc = STATUS_INVALID_ADDRESS;
	else {
		if (p && !p->is_initial)
			os = (pid_t)p->pid;
		rc = linux_pagemap_pfn(os, addr, &pfn);
		if (rc == STATUS_SUCCESS)
			*phys = pfn * LINUX_PAGE_SIZE + (a & (LINUX_PAGE_SIZE - 1));
	}
	linux_unlock(m);
	return rc;
}

/**
 * kernel_copy() - kmemu_kernel_read/write.
 * @m:         the instance.
 * @kaddr:     kernel address.
 * @buf:       the caller's side.
 * @len:       bytes.
 * @to_kernel: 1 to write kernel memory, 0 to read it.
 *
 * [kaddr, kaddr + len) must lie in live kernel views - WDS buffers' and
 * the committed (for a write: writable) pages of sections' system views -
 * (one, or several that happen to be adjacent); then it is a memcpy,
 * kernel views being host mappings.
 * Context: caller holds the instance lock.
 * Return: STATUS_SUCCESS; STATUS_ACCESS_VIOLATION (nothing copied).
 */
static kmemu_status kernel_copy(struct linux_machine *m, uint64_t kaddr, void *buf, size_t len,
				int to_kernel)
{
	uint64_t a = kaddr, end = kaddr + len;

	if (end < kaddr)
		return STATUS_ACCESS_VIOLATION;
	while (a < end) {
		struct linux_buffer *b = linux_wds_kernel_find(m, a, 1);
		uint64_t end;

		if (b) {
			a = (uint64_t)(uintptr_t)b->kaddr + b->view_size;
			continue;
		}
		/* a section's system view: its committed (writable) pages */
		end = linux_section_kernel_span(m, a, to_kernel);
		if (!end)
			return STATUS_ACCESS_VIOLATION;
		a = end;
	}
	if (to_kernel)
		memcpy((void *)(uintptr_t)kaddr, buf, len);
	else
		memcpy(buf, (const void *)(uintptr_t)kaddr, len);
	return STATUS_SUCCESS;
}

static kmemu_status linux_kernel_read(void *st, uint64_t kaddr, void *buf, size_t len)
{
	struct linux_machine *m = st;
	kmemu_status rc;

	linux_lock(m);
	rc = kernel_copy(m, kaddr, buf, len, 0);
	linux_unlock(m);
	return rc;
}

static kmemu_status linux_kernel_write(void *st, uint64_t kaddr, const void *buf, size_t len)
{
	struct linux_machine *m = st;
	kmemu_status rc;

	linux_lock(m);
	rc = kernel_copy(m, kaddr, (void *)buf, len, 1);
	linux_unlock(m);
	return rc;
}

/**
 * pages_readable() - can one byte of every page of a range be read?
 * @pid:  OS process.
 * @addr: start.
 * @len:  bytes.
 * @err:  receives the errno when not.
 *
 * A write checks this first, so a range with a hole writes nothing.
 * Return: 1 if every page reads, else 0.
 */
static int pages_readable(pid_t pid, uint64_t addr, size_t len, int *err)
{
	enum { BATCH = 64 };
	uint8_t sink[BATCH];
	struct iovec local[BATCH], remote[BATCH];
	uint64_t a = addr & ~(LINUX_PAGE_SIZE - 1);

	while (a < addr + len) {
		unsigned n = 0;
		ssize_t got;

		for (; n < BATCH && a < addr + len; n++, a += LINUX_PAGE_SIZE) {
			uint64_t at = a < addr ? addr : a;

			local[n] = (struct iovec){ &sink[n], 1 };
			remote[n] = (struct iovec){ (void *)(uintptr_t)at, 1 };
		}
		got = rsys_process_vm_readv(pid, local, n, remote, n, 0);
		if (got < 0) {
			*err = errno;
			return 0;
		}
		if ((unsigned)got != n) {
			*err = EFAULT;
			return 0;
		}
	}
	return 1;
}

/*
 * user_copy() - kmemu_user_read/write with process_vm_readv/writev, which
 * honour the target's page protections.  The host's kernel views and agent
 * aliases are not its user memory (STATUS_ACCESS_VIOLATION).
 * Context: caller holds the instance lock.
 */
static kmemu_status user_copy(struct linux_machine *m, kmemu_pid pid, uint64_t addr, void *buf,
			      size_t len, int to_user)
{
	struct linux_proc *p = pid ? process_find(m, pid) : linux_current_process(m);
	pid_t os;
	int err = 0;

	if (!p)
		return STATUS_INVALID_PARAMETER;
	if (addr + len < addr)
		return STATUS_ACCESS_VIOLATION;
	if (!len)
		return STATUS_SUCCESS;
	if (p->is_initial && linux_wds_foreign(m, addr, len))
		return STATUS_ACCESS_VIOLATION;
	os = p->is_initial ? rsys_getpid() : (pid_t)p->pid;
	if (to_user && !pages_readable(os, addr, len, &err))
		return (kmemu_status)linux_status_from_errno(err, LINUX_OP_ACCESS);
	while (len) {
		struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
		ssize_t n = to_user ? rsys_process_vm_writev(os, &local, 1, &remote, 1, 0)
				    : rsys_process_vm_readv(os, &local, 1, &remote, 1, 0);

		if (n < 0)
			return (kmemu_status)linux_status_from_errno(errno, LINUX_OP_ACCESS);
		if (n == 0)
			return STATUS_ACCESS_VIOLATION;
		buf = (uint8_t *)buf + n;
		addr += (uint64_t)n;
		len -= (size_t)n;
	}
	return STATUS_SUCCESS;
}

static kmemu_status linux_user_read(void *st, kmemu_pid pid, uint64_t uaddr, void *buf, size_t len)
{
	struct linux_machine *m = st;
	kmemu_status rc;

	linux_lock(m);
	rc = user_copy(m, pid, uaddr, buf, len, 0);
	linux_unlock(m);
	return rc;
}

static kmemu_status linux_user_write(void *st, kmemu_pid pid, uint64_t uaddr, const void *buf,
				     size_t len)
{
	struct linux_machine *m = st;
	kmemu_status rc;

	linux_lock(m);
	rc = user_copy(m, pid, uaddr, (void *)buf, len, 1);
	linux_unlock(m);
	return rc;
}

/* ==== IRQL: none on Linux user space ================================================= */

static uint8_t linux_irql_get(void *st)
{
	(void)st;
	return 0;  /* PASSIVE_LEVEL, always */
}

/* Only PASSIVE_LEVEL exists: setting it is a no-op, any other level
 * STATUS_NOT_SUPPORTED (KMEMU_CAP_IRQL clear). */
static kmemu_status linux_irql_set(void *st, uint8_t irql, uint8_t *old)
{
	(void)st;
	if (irql != 0)
		return STATUS_NOT_SUPPORTED;
	if (old)
		*old = 0;
	return STATUS_SUCCESS;
}

static uint8_t linux_irql_raise(void *st, uint8_t irql)
{
	(void)st;
	(void)irql;
	return 0;  /* no IRQL: nothing is raised, nothing is checked */
}

static void linux_irql_lower(void *st, uint8_t irql)
{
	(void)st;
	(void)irql;
}

/* ==== accounting and checks ============================================================== */

static kmemu_status linux_stats_get(void *st, struct kmemu_stats *out)
{
	struct linux_machine *m = st;

	memset(out, 0, sizeof(*out));
	kmemu__heap_stats(&out->heap_blocks, &out->heap_bytes);
	linux_lock(m);
	/* frames: locked WDS pages plus committed section pages */
	out->frames_used = m->frames_used + m->section_pages;
	out->frames_total = m->frames_total;
	out->handles_used = m->slots_used + m->n_handles;
	out->processes = m->n_processes;
	out->wds_buffers = m->n_buffers;
	out->mappings = m->n_mappings + m->n_views + m->n_kviews + m->n_mdls;
	linux_unlock(m);
	return STATUS_SUCCESS;
}

/*
 * linux_check() - ops->check: the process list and the WDS tables.
 * Every agent must still be alive and reachable (kill 0); the counters
 * must match the tables; every mapping the tables name must exist.
 * Return: STATUS_SUCCESS; STATUS_INTERNAL_ERROR with *@msg.
 */
static kmemu_status linux_check(void *st, const char **msg)
{
	struct linux_machine *m = st;
	const char *why = "";
	uint64_t n = 0;
	int ok = 1;

	linux_lock(m);
	for (struct linux_proc *p = m->procs; p && ok; p = p->next) {
		n++;
		if (p->is_initial != (p == m->initial) ||
		    (!p->is_initial && (p->sock < 0 || rsys_kill((pid_t)p->pid, 0)))) {
			why = "linux: an agent process is gone or the initial process is wrong";
			ok = 0;
		}
	}
	if (ok && (n != m->n_processes || !m->initial)) {
		why = "linux: the process count does not match the list";
		ok = 0;
	}
	if (ok)
		ok = linux_wds_check(m, &why);
	if (ok)
		ok = linux_section_check(m, &why);
	if (ok)
		ok = linux_mdl_check(m, &why);
	linux_unlock(m);
	if (msg)
		*msg = why;
	return ok ? STATUS_SUCCESS : STATUS_INTERNAL_ERROR;
}

/* ==== the ops table ======================================================================= */

const struct kmemu_backend_ops kmemu__linux_ops = {
	.version = 5,  /* WDS, sections (2), kernel views (3), Ex views (4), locked user ranges (5) */
	.name = "linux",
	.description = "thin backend on Linux: memfd+mmap+mlock2, hugetlb CONTIG, pagemap, "
		       "forked agent processes, memfd sections",
	/* at best; each ->open reports what this machine lacks */
	.caps = KMEMU_CAP_WDS | KMEMU_CAP_PHYS | KMEMU_CAP_CONTIG | KMEMU_CAP_MULTI_PROCESS |
		KMEMU_CAP_FAULT_INJECT | KMEMU_CAP_KERNEL_ACCESS | KMEMU_CAP_CHECKERS |
		KMEMU_CAP_SECTIONS | KMEMU_CAP_KERNEL_VIEWS | KMEMU_CAP_SECTIONS_EX | KMEMU_CAP_WDF |
		KMEMU_CAP_FLT | KMEMU_CAP_BUGCHECK | KMEMU_CAP_VERIFIER,
	.app_data = NULL,
	.open = linux_open,                          /* open */
	.close = linux_close,                        /* close */
	.process_create = linux_process_create,      /* process_create */
	.process_destroy = linux_process_destroy,    /* process_destroy */
	.process_attach = linux_process_attach,      /* process_attach */
	.process_current = linux_process_current,    /* process_current */
	.virt_to_phys = linux_virt_to_phys,          /* virt_to_phys */
	.kernel_read = linux_kernel_read,            /* kernel_read */
	.kernel_write = linux_kernel_write,          /* kernel_write */
	.user_read = linux_user_read,                /* user_read */
	.user_write = linux_user_write,              /* user_write */
	.irql_get = linux_irql_get,                  /* irql_get */
	.irql_set = linux_irql_set,                  /* irql_set */
	.irql_raise = linux_irql_raise,              /* irql_raise */
	.irql_lower = linux_irql_lower,              /* irql_lower */
	.stats_get = linux_stats_get,                /* stats_get */
	.check = linux_check,                        /* check */
	.wds_alloc = linux_wds_alloc,                /* wds_alloc */
	.wds_get = linux_wds_get,                    /* wds_get */
	.wds_free = linux_wds_free,                  /* wds_free */
	.section_create = linux_section_create,      /* section_create */
	.section_open = linux_section_open,          /* section_open */
	.section_map = linux_section_map,            /* section_map */
	.section_unmap = linux_section_unmap,        /* section_unmap */
	.section_query = linux_section_query,        /* section_query */
	.handle_close = linux_handle_close,          /* handle_close */
	.process_open = linux_process_open,          /* process_open */
	.process_create_child = linux_process_create_child, /* process_create_child */
	.view_query = linux_view_query,              /* view_query */
	.ob_reference = linux_ob_reference,          /* ob_reference */
	.ob_dereference = linux_ob_dereference,      /* ob_dereference */
	.section_map_system = linux_section_map_system,     /* section_map_system */
	.section_unmap_system = linux_section_unmap_system, /* section_unmap_system */
	.section_map_ex = linux_section_map_ex,      /* section_map_ex */
	.section_unmap_ex = linux_section_unmap_ex,  /* section_unmap_ex */
	.views_same = linux_views_same,              /* views_same */
	.mdl_probe_lock = linux_mdl_probe_lock,      /* mdl_probe_lock */
	.mdl_unlock = linux_mdl_unlock,              /* mdl_unlock */
	.mdl_revoke = linux_mdl_revoke,              /* mdl_revoke */
};

/* ==== the public fd lookup ================================================================== */

/**
 * kmemu_linux_wds_fd() - where a WDS buffer's memfd can be taken from.
 * @hKerBuf: a live global handle of the current (linux) backend instance.
 * @pid:     receives the OS pid of the process owning the descriptor (the host).
 * @fd:      receives the descriptor number in that process.
 *
 * A real, unrelated process with ptrace access to @pid can then obtain the
 * buffer with pidfd_getfd(pidfd_open(pid, 0), fd, 0) and mmap() it
 * MAP_SHARED; the frames then live as long as it keeps the fd or a mapping.
 * Context: PASSIVE.
 * Return: STATUS_SUCCESS; STATUS_INVALID_PARAMETER (NULL out-pointer);
 * STATUS_NOT_SUPPORTED (the current backend is not "linux");
 * STATUS_INVALID_HANDLE (no live buffer has @hKerBuf).
 */
kmemu_status kmemu_linux_wds_fd(uint32_t hKerBuf, int32_t *pid, int *fd)
{
	struct kmemu_backend *b;
	struct linux_machine *m;
	const struct kmemu_backend_ops *ops;
	struct linux_buffer *buf = NULL;
	void *st;

	if (!pid || !fd)
		return STATUS_INVALID_PARAMETER;
	b = kmemu__current();
	ops = b ? kmemu_backend_ops_of(b, &st) : NULL;
	if (ops != &kmemu__linux_ops)
		return STATUS_NOT_SUPPORTED;
	m = st;
	linux_lock(m);
	for (uint32_t i = 0; i < m->n_slots && !buf; i++)
		if (m->slots[i].buf && m->slots[i].buf->handle == hKerBuf)
			buf = m->slots[i].buf;
	if (buf) {
		*pid = (int32_t)m->initial->pid;
		*fd = buf->memfd;
	}
	linux_unlock(m);
	return buf ? STATUS_SUCCESS : STATUS_INVALID_HANDLE;
}
