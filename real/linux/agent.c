/* SPDX-License-Identifier: MIT */
/*
 * agent.c - emulated processes of the linux backend: real forked children.
 *
 * Linux has no remote mmap: a buffer can only be mapped into another
 * process by that process itself.  So each emulated process other than the
 * host is an "agent": a child forked from the host that serves requests on
 * a SOCK_SEQPACKET socketpair - map the memfd passed with SCM_RIGHTS at a
 * given address, unmap a range - and nothing else.  The host reads and
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
