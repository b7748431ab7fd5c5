/* SPDX-License-Identifier: MIT */
/*
 * mdl_revoke.c - revoked kernel aliases of locked user ranges, shared by the
 * backends that trap accesses with the MMU (the emulator, linux).
 *
 * Revoking a lock (a request completed while the driver may still hold the
 * alias) makes the alias PROT_NONE without unmapping it.  A touch raises
 * SIGSEGV; the handler below turns it into the bug check the range was
 * revoked with, then (if the bug-check handler returns) opens the pages
 * again so the access completes: report and continue.  A backend that
 * unlocks a revoked range keeps the addresses reserved and the range
 * quarantined: still reported, until the report slot is needed again or
 * the backend forgets the range, so a touch after the pages went is still
 * the report, not a crash.
 *
 * POSIX only (signals, mprotect): the Windows build of the library has no
 * backend that revokes.
 */
#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include "core.h"

/* A fixed table read by the signal handler without locks: a slot is live
 * while .end is non-zero; writers fill .start and the report first. */
#define REVOKED_MAX 256

struct revoked_range {
	_Atomic uintptr_t start;
	_Atomic uintptr_t end;       /* 0 = free slot */
	uint32_t code;               /* bug check to report */
	uintptr_t p1, p2, p4;        /* its parameters (p3 = the faulting address) */
	const char *function;        /* reported as the function */
	const char *detail;          /* reported as the detail */
	_Atomic int quarantined;     /* the lock is gone; the range stays reported */
};

static struct revoked_range revoked[REVOKED_MAX];
static struct sigaction old_segv;
static pthread_mutex_t segv_lock = PTHREAD_MUTEX_INITIALIZER;

/* hand a fault that is no revoked range to the handler we replaced */
static void chain_old(int sig, siginfo_t *si, void *uc)
{
	if (old_segv.sa_flags & SA_SIGINFO) {
		if (old_segv.sa_sigaction) {
			old_segv.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
		old_segv.sa_handler(sig);
		return;
	}
	/* default action: die with the signal */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

/* SIGSEGV: a touch of a revoked range is its report; anything else is chained */
static void mdl_segv(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	for (size_t i = 0; i < REVOKED_MAX; i++) {
		struct revoked_range *r = &revoked[i];
		uintptr_t end = atomic_load(&r->end), start = atomic_load(&r->start);

		if (end && a >= start && a < end) {
			/* may unwind (a catch) or return (report and continue) */
			kmemu__bugcheck(r->function, r->detail, r->code, r->p1, r->p2, a, r->p4);
			/* a quarantined range has no frames any more: the access
			 * completes on scratch pages and the range stops reporting */
			mprotect((void *)start, end - start, PROT_READ | PROT_WRITE);
			if (atomic_load(&r->quarantined))
				atomic_store(&r->end, 0);
			return;
		}
	}
	chain_old(sig, si, uc);
}

/* Install the handler, again whenever someone replaced it since (a test
 * framework installs its own per test); the replaced one is chained. */
static void segv_install(void)
{
	struct sigaction sa, cur;

	pthread_mutex_lock(&segv_lock);
	sigaction(SIGSEGV, NULL, &cur);
	if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != mdl_segv) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = mdl_segv;
		/* SA_NODEFER: a catch unwinds out of the handler with siglongjmp
		 * without restoring the mask, so SIGSEGV must not stay blocked */
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, &old_segv);
	}
	pthread_mutex_unlock(&segv_lock);
}

/* A free report slot, else a quarantined one, else NULL.  segv_lock held. */
static struct revoked_range *revoked_slot(void)
{
	for (size_t i = 0; i < REVOKED_MAX; i++)
		if (!atomic_load(&revoked[i].end))
			return &revoked[i];
	for (size_t i = 0; i < REVOKED_MAX; i++)
		if (atomic_load(&revoked[i].quarantined)) {
			atomic_store(&revoked[i].end, 0);
			return &revoked[i];
		}
	return NULL;
}

/**
 * kmemu__mdl_revoke_range() - make [@start, @start + @len) PROT_NONE and
 * report a touch as bug check @r (p3 = the faulting address).
 * @start: page-aligned start of a mapping the caller owns.
 * @len:   bytes, a page multiple.
 * @r:     the report; its strings have static storage.
 * Context: PASSIVE; takes the revocation lock (callers may hold their own).
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES (every report slot
 * in use by a live revoked range: the range stays accessible).
 */
kmemu_status kmemu__mdl_revoke_range(void *start, size_t len, const struct kmemu_mdl_report *r)
{
	struct revoked_range *s;

	segv_install();
	pthread_mutex_lock(&segv_lock);
	s = revoked_slot();
	if (s) {
		s->code = r->code;
		s->p1 = r->p1;
		s->p2 = r->p2;
		s->p4 = r->p4;
		s->function = r->function;
		s->detail = r->detail;
		atomic_store(&s->quarantined, 0);
		atomic_store(&s->start, (uintptr_t)start);
		atomic_store(&s->end, (uintptr_t)start + len);
		mprotect(start, len, PROT_NONE);
	}
	pthread_mutex_unlock(&segv_lock);
	return s ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

/**
 * kmemu__mdl_revoke_quarantine() - the lock of the revoked range starting
 * at @start is gone: keep reporting touches (the caller keeps the range
 * reserved and inaccessible) until its slot is needed again.
 * Context: any; takes the revocation lock.
 */
void kmemu__mdl_revoke_quarantine(const void *start)
{
	pthread_mutex_lock(&segv_lock);
	for (size_t i = 0; i < REVOKED_MAX; i++)
		if (atomic_load(&revoked[i].end) && atomic_load(&revoked[i].start) == (uintptr_t)start)
			atomic_store(&revoked[i].quarantined, 1);
	pthread_mutex_unlock(&segv_lock);
}

/**
 * kmemu__mdl_revoke_forget() - stop reporting every range starting in
 * [@lo, @hi) (the caller is about to release those addresses).
 * Context: any; takes the revocation lock.
 */
void kmemu__mdl_revoke_forget(uintptr_t lo, uintptr_t hi)
{
	pthread_mutex_lock(&segv_lock);
	for (size_t i = 0; i < REVOKED_MAX; i++) {
		uintptr_t st = atomic_load(&revoked[i].start);

		if (atomic_load(&revoked[i].end) && st >= lo && st < hi)
			atomic_store(&revoked[i].end, 0);
	}
	pthread_mutex_unlock(&segv_lock);
}
#else
typedef int kmemu__mdl_revoke_unused;  /* ISO C: no empty translation unit */
#endif
