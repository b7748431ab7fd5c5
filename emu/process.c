/* SPDX-License-Identifier: MIT */
/*
 * process.c - emulated processes and the calling thread's current process.
 *
 * An emulated process is a user address space (a host reservation of its
 * own), an NT handle table and the list of shared buffers it holds.  All
 * processes live in the host process; what makes them separate is that each
 * has its own addresses for the same frames.  Each host thread runs in one
 * emulated process at a time (kmemu_process_attach); a thread never attached
 * runs in the machine's initial process.  Pids are multiples of 4 starting
 * at 4, never reused within a machine.
 */
#include <string.h>
#include "emu.h"

#define EMU_HANDLE_MAX (1u << 24)

/* The thread's attachment; valid only while it names this machine.  The
 * machine's serial is compared too: a machine opened after this one was
 * closed may get the same address and hand out the same pids. */
static _Thread_local struct {
	struct emu_machine *machine;  /* machine the pid belongs to */
	uint64_t serial;              /* that machine's serial (never 0) */
	kmemu_pid pid;                /* attached process */
} tls_proc;

static _Atomic uint64_t machine_serials;  /* last serial handed out */

kmemu_pid emu_tls_pid(struct emu_machine *m)
{
	return tls_proc.machine == m && tls_proc.serial == m->serial ? tls_proc.pid : 0;
}

void emu_tls_set_pid(struct emu_machine *m, kmemu_pid pid)
{
	if (!m->serial)  /* first attachment on @m; the caller holds its lock */
		m->serial = ++machine_serials;
	tls_proc.machine = m;
	tls_proc.serial = m->serial;
	tls_proc.pid = pid;
}

/* emu_process_find() - the live process with @pid, or NULL.  Lock held. */
struct emu_process *emu_process_find(struct emu_machine *m, kmemu_pid pid)
{
	for (struct emu_process *p = m->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* emu_current_process() - the calling thread's process.  Lock held. */
struct emu_process *emu_current_process(struct emu_machine *m)
{
	kmemu_pid pid = emu_tls_pid(m);
	struct emu_process *p = pid ? emu_process_find(m, pid) : NULL;

	return p ? p : m->initial;
}

/**
 * emu_process_new() - create a process with an empty user space.
 * @m:    machine.
 * @name: label (copied), or NULL.
 * @out:  receives the process, linked into the machine.
 * Context: caller holds the machine lock.
 * Return: STATUS_SUCCESS; STATUS_INSUFFICIENT_RESOURCES (heap or host
 * address space).
 */
kmemu_status emu_process_new(struct emu_machine *m, const char *name, struct emu_process **out)
{
	struct emu_process *p = kmemu__calloc(1, sizeof(*p));

	if (!p)
		return STATUS_INSUFFICIENT_RESOURCES;
	p->name = kmemu__strdup(name ? name : "process");
	if (!p->name)
		goto fail_name;
	if (vm_space_init(&p->user, m->cfg.user_space_bytes, EMU_ALLOC_GRANULARITY, 0, m->memfd))
		goto fail_space;
	handle_table_init(&p->handles, HANDLE_ENC_NT, EMU_HANDLE_MAX);
	p->pid = m->next_pid;
	m->next_pid += 4;
	p->next = m->procs;
	m->procs = p;
	*out = p;
	return STATUS_SUCCESS;
fail_space:
	kmemu__free(p->name);
fail_name:
	kmemu__free(p);
	return STATUS_INSUFFICIENT_RESOURCES;
}

/**
 * emu_process_free() - tear a process down as process exit does.
 * Closes its handles, unmaps its section views, drops its shared-buffer
 * holdings, unlinks and frees it.
 * Context: caller holds the machine lock.
 */
void emu_process_free(struct emu_machine *m, struct emu_process *p)
{
	struct emu_process **pp;

	emu_section_release_process(m, p);
	emu_wds_release_process(m, p);
	for (pp = &m->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	handle_table_fini(&p->handles);
	/* views children inherited from @p keep their pages */
	emu_section_orphan_process(m, p);
	vm_space_fini_keep(&p->user);
	kmemu__free(p->views);
	kmemu__free(p->holds);
	kmemu__free(p->name);
	kmemu__free(p);
}
