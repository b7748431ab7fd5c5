/* SPDX-License-Identifier: MIT */
/*
 * bugcheck.c - bug checks as reports, and the driver-facing Ke* IRQL and
 * bug-check functions.
 *
 * A bug check never corrupts the host: it becomes a report (code, four
 * parameters, symbolic name, the API that raised it) handed to, in order,
 * the innermost kmemu_bugcheck_catch() of the calling thread (which unwinds
 * to it), else the installed handler (which may return: the raising API then
 * fails cleanly), else the default handler, which prints the report and
 * aborts like a crashed machine.
 */
#include <setjmp.h>
#ifdef _WIN32
/* No signal masks on Windows: the plain jumps (sigsetjmp(env, 0) is setjmp). */
#define sigjmp_buf jmp_buf
#define sigsetjmp(env, savemask) setjmp(env)
#define siglongjmp longjmp
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wdm.h>
#include "core.h"

struct catch_frame {
	sigjmp_buf env;                       /* where to unwind to */
	struct kmemu_bugcheck_report report;  /* filled before unwinding */
	struct catch_frame *prev;             /* enclosing catch */
};

static _Thread_local struct catch_frame *catch_top;  /* innermost catch */
static kmemu_bugcheck_fn handler_fn;                  /* NULL = default */
static void *handler_ctx;
static atomic_ullong n_bugchecks;

void kmemu_bugcheck_set_handler(kmemu_bugcheck_fn fn, void *ctx)
{
	handler_ctx = ctx;
	handler_fn = fn;
}

uint64_t kmemu_bugcheck_count(void)
{
	return atomic_load(&n_bugchecks);
}

static void bugcheck_print(const struct kmemu_bugcheck_report *r)
{
	fprintf(stderr,
		"*** kmemu: BUG CHECK 0x%08X (%s) in %s\n"
		"*** parameters: 0x%llx 0x%llx 0x%llx 0x%llx\n"
		"*** %s\n",
		r->code, r->name, r->function, (unsigned long long)r->param[0],
		(unsigned long long)r->param[1], (unsigned long long)r->param[2],
		(unsigned long long)r->param[3], r->detail);
}

void kmemu__bugcheck(const char *function, const char *detail, uint32_t code, uintptr_t p1,
		     uintptr_t p2, uintptr_t p3, uintptr_t p4)
{
	struct kmemu_bugcheck_report r = {
		.code = code,
		.param = { p1, p2, p3, p4 },
		.name = kmemu_bugcheck_name(code),
		.function = function ? function : "?",
		.detail = detail ? detail : "",
	};
	kmemu_bugcheck_fn fn = handler_fn;

	atomic_fetch_add(&n_bugchecks, 1);
	if (catch_top) {
		struct catch_frame *f = catch_top;

		f->report = r;
		catch_top = f->prev;
		siglongjmp(f->env, 1);
	}
	if (fn) {
		fn(&r, handler_ctx);
		return;
	}
	bugcheck_print(&r);
	abort();
}

int kmemu_bugcheck_catch(void (*fn)(void *arg), void *arg, struct kmemu_bugcheck_report *out)
{
	/* The frame lives on this stack frame, which outlives @fn: a catch needs
	 * no heap, so it still protects when the fault simulator fails every
	 * allocation (a heap frame used to fall back to running @fn unprotected,
	 * and the bug check then aborted the host). */
	struct catch_frame frame;
	struct catch_frame *volatile f = &frame;

	f->prev = catch_top;
	if (sigsetjmp(f->env, 0) == 0) {
		catch_top = f;
		fn(arg);
		catch_top = f->prev;
		return 0;
	}
	if (out)
		*out = f->report;
	return 1;
}

/* ---- driver-facing Ke* ------------------------------------------------------- */

DECLSPEC_NORETURN VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
					  ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3,
					  ULONG_PTR BugCheckParameter4)
{
	kmemu__bugcheck("KeBugCheckEx", "raised by the driver", BugCheckCode, BugCheckParameter1,
			BugCheckParameter2, BugCheckParameter3, BugCheckParameter4);
	fprintf(stderr, "*** kmemu: the bug-check handler returned from KeBugCheckEx, which "
			"cannot return; aborting\n");
	abort();
}

DECLSPEC_NORETURN VOID NTAPI KeBugCheck(ULONG BugCheckCode)
{
	KeBugCheckEx(BugCheckCode, 0, 0, 0, 0);
}

KIRQL NTAPI KeGetCurrentIrql(VOID)
{
	struct kmemu_backend *b = kmemu__current();

	return b ? b->ops->irql_get(b->st) : PASSIVE_LEVEL;
}

VOID NTAPI KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
	struct kmemu_backend *b = kmemu__current();
	KIRQL old = b ? b->ops->irql_raise(b->st, NewIrql) : PASSIVE_LEVEL;

	if (OldIrql)
		*OldIrql = old;
}

KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID)
{
	KIRQL old;

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	return old;
}

VOID NTAPI KeLowerIrql(KIRQL NewIrql)
{
	struct kmemu_backend *b = kmemu__current();

	if (b)
		b->ops->irql_lower(b->st, NewIrql);
}
