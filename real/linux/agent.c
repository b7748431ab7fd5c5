/* SPDX-License-Identifier: MIT */
/*
 * agent.c - emulated processes of the linux backend: real forked children.
 *
 * Linux has no remote mmap: a buffer can only be mapped into another
 * process by that process itself.  So each emulated process other than the
 * host is an "agent": a child forked from the host that serves requests on
 * a SOCK_SEQPACKET socketpair - map the memfd passed with SCM_RIGHTS at a
 * given address, map a section view with a given protection at a chosen
 * (or fixed) 64 KiB-aligned address (linux_view_mmap(), the same placement
 * code the host runs for its own views), change a range's protection
 * (committing SEC_RESERVE pages), unmap a range - and nothing else.  The host reads and
 * writes the agent's memory with process_vm_readv/writev (which honour the
 * agent's page protections) and finds its frames in /proc/<pid>/pagemap.
 *
 *   host (initial process, "kernel")          agent (emulated process B)
 *   ────────────────────────────────          ──────────────────────────
 *   memfd ── kernel view (locked)
 *        ── alias at X ◄─ same address ─►     mapping at X  (MAP_SHARED)
 *   socket ═══════ MAP{X,len}+fd / UNMAP{X,len} / PING ═══════ socket
 *
 * Right after the fork the agent closes every descriptor but its socket
 * (the runner's pipes, the host's memfds and the other agents' sockets must
 * not be kept alive by it), resets signal handlers and unblocks signals.
 * The host's own buffer mappings are MADV_DONTFORK, so an agent starts with
 * no shared buffer mapped.  The agent exits when its socket reaches EOF
 * (the host died) and is SIGKILLed by kmemu_process_destroy() or at close.
 * It calls the kernel directly (not through the syscall table): it is
 * another process, and the fault simulator's lock may have been held by
 * another host thread at fork time.  It never allocates heap memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "linux.h"

/* ==== the agent (child side) ================================================ */

/* Parse the next hex number of /proc/self/maps text; a tiny state machine
 * over chunks, so no line buffer and no heap are needed. */
struct maps_scan {
	int state;       /* 0: start address, 1: end address, 2: rest of the line */
	uint64_t start;  /* range being read */
	uint64_t end;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * agent_range_free() - is [addr, addr + len) unmapped in this process?
 * Read from /proc/self/maps.  Used only where MAP_FIXED_NOREPLACE was not
 * honoured (kernels before 4.17 treat it as a hint; valgrind ignores it),
 * before falling back to MAP_FIXED.
 * Return: 1 free, 0 overlapping or unknown.
 */
static int agent_range_free(uint64_t addr, uint64_t len)
{
	struct maps_scan s = { 0, 0, 0 };
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			int v = hexval(c);

			if (s.state == 0 && v >= 0) {
				s.start = s.start << 4 | (uint64_t)v;
			} else if (s.state == 0 && c == '-') {
				s.state = 1;
			} else if (s.state == 1 && v >= 0) {
				s.end = s.end << 4 | (uint64_t)v;
			} else if (s.state == 1) {
				if (s.start < addr + len && addr < s.end) {
					close(fd);
					return 0;
				}
				s.state = 2;
			}
			if (c == '\n')
				s = (struct maps_scan){ 0, 0, 0 };
		}
	}
	close(fd);
	return n == 0;
}

/**
 * agent_map() - map a memfd at exactly the host alias's address.
 * @fd:   the memfd received.
 * @addr: the address (0: anywhere).
 * @len:  bytes.
 * @err:  receives the errno on failure.
 *
 * MAP_FIXED_NOREPLACE first; where it was only a hint (the result is
 * elsewhere), the range is checked free in /proc/self/maps before MAP_FIXED.
 * Context: the agent.
 * Return: the address, or MAP_FAILED (EEXIST when the address is taken).
 */
static void *agent_map(int fd, uint64_t addr, uint64_t len, int *err)
{
	void *want = (void *)(uintptr_t)addr;
	int flags = MAP_SHARED;  /* frames appear at first touch, as in the host */
	void *p = mmap(want, len, PROT_READ | PROT_WRITE, flags | (want ? MAP_FIXED_NOREPLACE : 0),
		       fd, 0);

	if (p == MAP_FAILED) {
		*err = errno;
		return MAP_FAILED;
	}
	if (!want || p == want)
		return p;
	munmap(p, len);
	if (!agent_range_free(addr, len)) {
		*err = EEXIST;
		return MAP_FAILED;
	}
	p = mmap(want, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		*err = errno;
	return p;
}

/* ---- section views: placement shared by the host and the agents --------- */

#define VIEW_ALIGN 0x10000ull            /* 64 KiB allocation granularity */
#define VIEW_BOTTOM_UP_FLOOR 0x100000000ull /* bottom-up placement starts at 4 GiB */
#define VIEW_BOTTOM_UP_PROBES 4u         /* bottom-up gaps tried before the kernel's choice */
#define VIEW_WINDOW_PROBES 65536u        /* slots tried inside a ZeroBits window */
#define VIEW_RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* mmap for placement: in the host through the table's current function
 * without the fault hook (probing is not an acquisition), in an agent the
 * kernel directly. */
static void *view_raw_mmap(int in_host, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (in_host)
		return RSYS_FN(RSYS_MMAP, rsys_mmap_fn)(addr, len, prot, flags, fd, off);
	return mmap(addr, len, prot, flags, fd, off);
}

static void view_raw_munmap(int in_host, void *addr, size_t len)
{
	if (in_host)
		rsys_munmap(addr, len);
	else
		munmap(addr, len);
}

/* Claim [addr, addr + len) with a PROT_NONE reservation, never replacing
 * anything: MAP_FIXED_NOREPLACE; where that flag is only a hint (kernels
 * before 4.17, valgrind) and the result is elsewhere, the range is taken
 * unless /proc/self/maps shows it free (then MAP_FIXED, as agent_map()).
 * Return: 0; EEXIST; another errno. */
static int view_claim(int in_host, uint64_t addr, uint64_t len)
{
	void *want = (void *)(uintptr_t)addr;
	void *p = view_raw_mmap(in_host, want, len, PROT_NONE, VIEW_RESERVE_FLAGS | MAP_FIXED_NOREPLACE,
				-1, 0);

	if (p == MAP_FAILED)
		return errno ? errno : ENOMEM;
	if (p == want)
		return 0;
	view_raw_munmap(in_host, p, len);
	if (!agent_range_free(addr, len))
		return EEXIST;
	p = view_raw_mmap(in_host, want, len, PROT_NONE, VIEW_RESERVE_FLAGS | MAP_FIXED, -1, 0);
	return p == MAP_FAILED ? (errno ? errno : ENOMEM) : 0;
}

/* Claim @len bytes where the kernel chooses, on a 64 KiB boundary
 * (reserve len + 64 KiB, trim).  Return: 0 and *@out, or an errno. */
static int view_claim_any(int in_host, uint64_t len, uint64_t *out)
{
	uint8_t *p = view_raw_mmap(in_host, NULL, len + VIEW_ALIGN, PROT_NONE, VIEW_RESERVE_FLAGS, -1, 0);
	uint64_t head;

	if (p == MAP_FAILED)
		return errno ? errno : ENOMEM;
	head = (VIEW_ALIGN - ((uintptr_t)p & (VIEW_ALIGN - 1))) & (VIEW_ALIGN - 1);
	if (head)
		view_raw_munmap(in_host, p, head);
	view_raw_munmap(in_host, p + head + len, VIEW_ALIGN - head);
	*out = (uintptr_t)p + head;
	return 0;
}

/* Probe 64 KiB-aligned slots of [lo, hi] for @len bytes, upward or (top
 * down) downward, @step apart, at most @probes.  Return: 0 and *@out;
 * ENOMEM when none is free; another errno when the kernel refused. */
static int view_claim_window(int in_host, uint64_t len, uint64_t lo, uint64_t hi, int top_down,
			     uint64_t step, unsigned probes, uint64_t *out)
{
	uint64_t first, last;

	lo = (lo + VIEW_ALIGN - 1) & ~(VIEW_ALIGN - 1);
	if (hi < lo || hi - lo + 1 < len)
		return ENOMEM;
	last = (hi + 1 - len) & ~(VIEW_ALIGN - 1);  /* highest slot */
	if (last < lo)
		return ENOMEM;
	first = top_down ? last : lo;
	for (uint64_t a = first, n = 0; a >= lo && a <= last && n < probes; n++) {
		int err = view_claim(in_host, a, len);

		if (!err) {
			*out = a;
			return 0;
		}
		if (err != EEXIST && err != EPERM)  /* EPERM: below vm.mmap_min_addr */
			return err;
		if (top_down) {
			if (a < lo + step)
				break;
			a -= step;
		} else {
			a += step;
		}
	}
	return ENOMEM;
}

/*
 * view_lowest_gap() - bottom-up first fit: the lowest 64 KiB-aligned
 * address at or above @floor where @len bytes are unmapped, from
 * /proc/self/maps (sorted by address).  Reading it is a query, not an
 * acquisition (in the host through the table's open without the fault hook).
 * Return: 0 and *@out; ENOMEM (no gap, or maps unreadable).
 */
static int view_lowest_gap(int in_host, uint64_t floor, uint64_t len, uint64_t *out)
{
	struct maps_scan sc = { 0, 0, 0 };
	uint64_t cur = (floor + VIEW_ALIGN - 1) & ~(VIEW_ALIGN - 1);
	char buf[4096];
	ssize_t n;
	int fd = in_host ? RSYS_FN(RSYS_OPEN, rsys_open_fn)("/proc/self/maps", O_RDONLY)
			 : open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ENOMEM;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			int v = hexval(c);

			if (sc.state == 0 && v >= 0) {
				sc.start = sc.start << 4 | (uint64_t)v;
			} else if (sc.state == 0 && c == '-') {
				sc.state = 1;
			} else if (sc.state == 1 && v >= 0) {
				sc.end = sc.end << 4 | (uint64_t)v;
			} else if (sc.state == 1) {
				if (sc.start >= cur && sc.start - cur >= len)
					goto found;  /* the gap below this range fits */
				if (sc.end > cur)
					cur = (sc.end + VIEW_ALIGN - 1) & ~(VIEW_ALIGN - 1);
				sc.state = 2;
			}
			if (c == '\n')
				sc = (struct maps_scan){ 0, 0, 0 };
		}
	}
	if (n < 0 || cur > 0x7FFFFFFEFFFFull || 0x7FFFFFFEFFFFull - cur + 1 < len) {
		close(fd);
		return ENOMEM;
	}
found:
	close(fd);
	*out = cur;
	return 0;
}

/**
 * linux_view_mmap() - place and map one section view in the calling process.
 * @req:     LINUX_AGENT_VIEW request: len, offset, prot, flags, and addr
 *           (LINUX_VIEW_FIXED) or a window [lo, hi] (hi != 0: ZeroBits).
 * @fd:      the section's memfd.
 * @in_host: 1 in the host (the final mmap is an rsys_mmap acquisition that
 *           the fault simulator may fail), 0 in an agent.
 * @err:     receives the errno on failure.
 *
 * Placement, 64 KiB aligned, done here because Linux places on 4 KiB:
 * a fixed address is claimed with MAP_FIXED_NOREPLACE (EEXIST when
 * anything is there); a ZeroBits window is probed slot by slot (upward, or
 * downward with MEM_TOP_DOWN); otherwise MEM_TOP_DOWN takes the kernel's
 * own choice (Linux allocates top down, below the mmap base) and the
 * default bottom-up placement takes the lowest gap at or above 4 GiB in
 * /proc/self/maps (first fit, as Windows' bottom-up allocation), falling
 * back to the kernel's choice.  The claimed PROT_NONE reservation is then replaced by
 * the memfd mapping (MAP_SHARED, or MAP_PRIVATE for copy on write) with
 * @req->prot; where executable memfd mappings are refused
 * (vm.memfd_noexec) the view is mapped without PROT_EXEC, as the emulator
 * does.
 * Context: the host (lock held) or an agent; no heap.
 * Return: the base, or MAP_FAILED.
 */
void *linux_view_mmap(const struct linux_agent_req *req, int fd, int in_host, int *err)
{
	int flags = (req->flags & LINUX_VIEW_PRIVATE ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED;
	int top_down = (req->flags & LINUX_VIEW_TOP_DOWN) != 0, e;
	uint64_t at = 0, len = req->len;
	void *p;

	if (req->flags & LINUX_VIEW_FIXED) {
		e = view_claim(in_host, req->addr, len);
		at = req->addr;
	} else if (req->hi) {
		e = view_claim_window(in_host, len, req->lo, req->hi, top_down, VIEW_ALIGN,
				      VIEW_WINDOW_PROBES, &at);
	} else {
		e = ENOMEM;
		for (unsigned n = 0; !top_down && e && n < VIEW_BOTTOM_UP_PROBES; n++) {
			e = view_lowest_gap(in_host, VIEW_BOTTOM_UP_FLOOR, len, &at);
			if (!e)
				e = view_claim(in_host, at, len);
			if (e != EEXIST)  /* EEXIST: taken meanwhile, look again */
				break;
		}
		if (e)
			e = view_claim_any(in_host, len, &at);
	}
	if (e) {
		*err = e;
		return MAP_FAILED;
	}
	p = in_host ? rsys_mmap((void *)(uintptr_t)at, len, (int)req->prot, flags, fd, (off_t)req->offset)
		    : mmap((void *)(uintptr_t)at, len, (int)req->prot, flags, fd, (off_t)req->offset);
	if (p == MAP_FAILED && (req->prot & PROT_EXEC) && errno != ENOMEM) {
		int prot = (int)req->prot & ~PROT_EXEC;

		p = in_host ? rsys_mmap((void *)(uintptr_t)at, len, prot, flags, fd, (off_t)req->offset)
			    : mmap((void *)(uintptr_t)at, len, prot, flags, fd, (off_t)req->offset);
	}
	if (p == MAP_FAILED) {
		*err = errno ? errno : ENOMEM;
		view_raw_munmap(in_host, (void *)(uintptr_t)at, len);
		return MAP_FAILED;
	}
	return p;
}

/* Close every descriptor but @keep. */
static void agent_close_others(int keep)
{
	if (keep > 0)
		syscall(SYS_close_range, 0u, (unsigned)keep - 1, 0u);
	if (syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0)
		return;
	for (int fd = keep + 1; fd < 4096; fd++)  /* kernels before 5.9 */
		close(fd);
}

/**
 * agent_recv() - receive one request and the fd attached to it.
 * @sock: the agent's socket.
 * @req:  receives the request.
 * @fd:   receives the descriptor passed with it (close-on-exec), or -1.
 * Context: the agent.
 * Return: bytes received, 0 at EOF (the host is gone), -1 on error.
 */
static ssize_t agent_recv(int sock, struct linux_agent_req *req, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { req, sizeof(*req) };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/*
 * agent_main() - the agent's whole life: serve requests until EOF.
 * @sock: the agent's end of the socketpair.
 * Context: the forked child; async-signal-safe calls only.
 */
static _Noreturn void agent_main(int sock)
{
	struct sigaction dfl;
	sigset_t none;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);  /* host handlers must not run here */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	agent_close_others(sock);
	for (;;) {
		struct linux_agent_req req;
		struct linux_agent_rep rep = { 0, 0, 0 };
		int fd;
		ssize_t n = agent_recv(sock, &req, &fd);

		if (n <= 0)
			_exit(0);  /* EOF: the host is gone */
		if ((size_t)n != sizeof(req)) {
			rep.err = EINVAL;
		} else if (req.op == LINUX_AGENT_PING) {
			rep.value = 0;
		} else if (req.op == LINUX_AGENT_MAP && fd >= 0) {
			void *p = agent_map(fd, req.addr, req.len, &rep.err);

			rep.value = p == MAP_FAILED ? 0 : (int64_t)(uintptr_t)p;
		} else if (req.op == LINUX_AGENT_VIEW && fd >= 0) {
			void *p = linux_view_mmap(&req, fd, 0, &rep.err);

			rep.value = p == MAP_FAILED ? 0 : (int64_t)(uintptr_t)p;
		} else if (req.op == LINUX_AGENT_PROTECT) {
			if (mprotect((void *)(uintptr_t)req.addr, req.len, (int)req.prot))
				rep.err = errno;
		} else if (req.op == LINUX_AGENT_UNMAP) {
			if (munmap((void *)(uintptr_t)req.addr, req.len))
				rep.err = errno;
		} else {
			rep.err = EINVAL;
		}
		if (fd >= 0)
			close(fd);  /* the mapping keeps the memfd alive */
		if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != (ssize_t)sizeof(rep))
			_exit(0);
	}
}

/* ==== the host side ========================================================== */

/**
 * linux_agent_call() - one request to an agent and its reply.
 * @sock: host end of the agent's socket.
 * @req:  the request.
 * @fd:   descriptor to pass along (SCM_RIGHTS), or -1.
 * @rep:  receives the reply.
 *
 * A request carrying an fd is an acquisition (rsys_sendmsg, failable);
 * others use rsys_send, which never is, so unmapping always reaches the
 * agent.
 * Context: caller holds the machine lock (one request at a time per agent).
 * Return: 0 (the agent's own errno is in @rep->err); else the transport's
 * errno: EPIPE / ECONNRESET when the agent is gone, ENOBUFS when injected.
 */
int linux_agent_call(int sock, const struct linux_agent_req *req, int fd,
		     struct linux_agent_rep *rep)
{
	ssize_t n;

	if (fd >= 0) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct iovec iov = { (void *)req, sizeof(*req) };
		struct msghdr msg;
		struct cmsghdr *c;

		memset(&msg, 0, sizeof(msg));
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		do
			n = rsys_sendmsg(sock, &msg, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
	} else {
		do
			n = rsys_send(sock, req, sizeof(*req), MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
	}
	if (n < 0)
		return errno;
	if ((size_t)n != sizeof(*req))
		return EPIPE;
	do
		n = rsys_recv(sock, rep, sizeof(*rep), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	if ((size_t)n != sizeof(*rep))
		return ECONNRESET;  /* EOF: the agent died */
	return 0;
}

/**
 * linux_agent_kill() - terminate an agent: SIGKILL, reap, close the socket.
 * @pid:  the agent.
 * @sock: host end of its socket.
 *
 * Its mappings and descriptors die with it; frames survive while another
 * process (the host's kernel view included) still maps the memfd.
 * Context: caller holds the machine lock.
 */
void linux_agent_kill(pid_t pid, int sock)
{
	int status;

	rsys_kill(pid, SIGKILL);
	while (rsys_waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rsys_close(sock);
}

/**
 * linux_agent_spawn() - fork a new agent and wait until it serves.
 * @pid:  receives its pid.
 * @sock: receives the host end of its socket (close-on-exec).
 *
 * Context: caller holds the machine lock.  May be called from any thread;
 * the agent outlives the calling thread.
 * Return: 0; an errno (EMFILE, EAGAIN ...: nothing is left behind then).
 */
int linux_agent_spawn(pid_t *pid, int *sock)
{
	struct linux_agent_req req = { .op = LINUX_AGENT_PING };
	struct linux_agent_rep rep;
	int sv[2], err;
	pid_t p;

	if (rsys_socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return errno;
	p = rsys_fork();
	if (p < 0) {
		err = errno;
		rsys_close(sv[0]);
		rsys_close(sv[1]);
		return err;
	}
	if (p == 0)
		agent_main(sv[1]);
	rsys_close(sv[1]);
	err = linux_agent_call(sv[0], &req, -1, &rep);
	if (!err)
		err = rep.err;
	if (err) {
		linux_agent_kill(p, sv[0]);
		return err;
	}
	*pid = p;
	*sock = sv[0];
	return 0;
}
