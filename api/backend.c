/* SPDX-License-Identifier: MIT */
/*
 * backend.c - the backend registry, the current instance and configuration.
 *
 * Backends register a static ops table; the emulator is registered first
 * and is the default, the linux backend (real/linux) second.  An instance's
 * capabilities are its table's, less those its ->open reported lacking on
 * this machine (kmemu_backend_instance_lacks()).  The current instance is
 * process-wide: the first API call opens it from KMEMU_BACKEND (default
 * "emu") and kmemu_config_default(), and it is closed at exit so leak
 * checkers see a clean process.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

#define REGISTRY_MAX 16

static pthread_mutex_t backend_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct kmemu_backend_ops *registry[REGISTRY_MAX] = { &kmemu__emu_ops,
								  &kmemu__linux_ops };
static unsigned n_registry = 2;
/* Capabilities the ->open running on this thread found lacking. */
static _Thread_local uint64_t opening_lacks;
static struct kmemu_backend *current;   /* dispatch target, or NULL */
static int atexit_done;                 /* close-at-exit registered */

static const struct {
	uint64_t cap;
	const char *name;
} cap_names[] = {
	{ KMEMU_CAP_WDS, "wds" },
	{ KMEMU_CAP_PHYS, "phys" },
	{ KMEMU_CAP_CONTIG, "contig" },
	{ KMEMU_CAP_MULTI_PROCESS, "multi-process" },
	{ KMEMU_CAP_IRQL, "irql" },
	{ KMEMU_CAP_BUGCHECK, "bugcheck" },
	{ KMEMU_CAP_FAULT_INJECT, "fault-inject" },
	{ KMEMU_CAP_KERNEL_ACCESS, "kernel-access" },
	{ KMEMU_CAP_CHECKERS, "checkers" },
	{ KMEMU_CAP_PLACEMENT, "placement" },
	{ KMEMU_CAP_VERIFIER, "verifier" },
	{ KMEMU_CAP_SECTIONS, "sections" },
	{ KMEMU_CAP_KERNEL_VIEWS, "kernel-views" },
	{ KMEMU_CAP_SECTIONS_EX, "sections-ex" },
	{ KMEMU_CAP_WDF, "wdf" },
	{ KMEMU_CAP_FLT, "flt" },
};

const char *kmemu_cap_name(uint64_t cap)
{
	for (size_t i = 0; i < KMEMU_ARRAY_SIZE(cap_names); i++)
		if (cap_names[i].cap == cap)
			return cap_names[i].name;
	return NULL;
}

/* ---- configuration ----------------------------------------------------------- */

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned shift = 0;

	if (end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return 0;
	*out = (uint64_t)v << shift;
	return 1;
}

kmemu_status kmemu_config_default(struct kmemu_config *cfg)
{
	const char *e;
	int bad = 0;
	uint64_t v;

	if (!cfg)
		return STATUS_INVALID_PARAMETER;
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_bytes = 256ull << 20;
	cfg->placement = KMEMU_PLACE_DEFAULT;
	cfg->seed = 1;
	cfg->verifier = 1;
	if ((e = getenv("KMEMU_RAM")) && *e) {
		if (parse_size(e, &v))
			cfg->ram_bytes = v;
		else
			bad = 1;
	}
	if ((e = getenv("KMEMU_PLACEMENT")) && *e) {
		if (!strcmp(e, "default"))
			cfg->placement = KMEMU_PLACE_DEFAULT;
		else if (!strcmp(e, "scatter"))
			cfg->placement = KMEMU_PLACE_SCATTER;
		else if (!strcmp(e, "random"))
			cfg->placement = KMEMU_PLACE_RANDOM;
		else
			bad = 1;
	}
	if ((e = getenv("KMEMU_SEED")) && *e) {
		if (parse_size(e, &v))
			cfg->seed = v;
		else
			bad = 1;
	}
	if ((e = getenv("KMEMU_FRAGMENT")) && *e) {
		if (parse_size(e, &v) && v <= 30)
			cfg->fragment_order = (unsigned)v;
		else
			bad = 1;
	}
	if ((e = getenv("KMEMU_VERIFIER")) && *e) {
		if (!strcmp(e, "0") || !strcmp(e, "1"))
			cfg->verifier = *e == '1';
		else
			bad = 1;
	}
	if (bad) {
		struct kmemu_config d = { .ram_bytes = 256ull << 20, .seed = 1, .verifier = 1 };

		*cfg = d;
		return STATUS_INVALID_PARAMETER;
	}
	return STATUS_SUCCESS;
}

/* ---- registry ------------------------------------------------------------------ */

kmemu_status kmemu_backend_register(const struct kmemu_backend_ops *ops)
{
	kmemu_status rc = STATUS_SUCCESS;

	if (!ops || !ops->name || !*ops->name || ops->version < 1 ||
	    ops->version > KMEMU_BACKEND_VERSION || !ops->open || !ops->close)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&backend_lock);
	for (unsigned i = 0; i < n_registry; i++)
		if (!strcmp(registry[i]->name, ops->name))
			rc = STATUS_OBJECT_NAME_COLLISION;
	if (!rc && n_registry == REGISTRY_MAX)
		rc = STATUS_INSUFFICIENT_RESOURCES;
	if (!rc)
		registry[n_registry++] = ops;
	pthread_mutex_unlock(&backend_lock);
	return rc;
}

const struct kmemu_backend_ops *kmemu_backend_find(const char *name)
{
	const struct kmemu_backend_ops *ops = NULL;

	if (!name)
		return NULL;
	pthread_mutex_lock(&backend_lock);
	for (unsigned i = 0; i < n_registry && !ops; i++)
		if (!strcmp(registry[i]->name, name))
			ops = registry[i];
	pthread_mutex_unlock(&backend_lock);
	return ops;
}

const struct kmemu_backend_ops *kmemu_backend_list(unsigned index)
{
	const struct kmemu_backend_ops *ops;

	pthread_mutex_lock(&backend_lock);
	ops = index < n_registry ? registry[index] : NULL;
	pthread_mutex_unlock(&backend_lock);
	return ops;
}

/* ---- instances ------------------------------------------------------------------ */

kmemu_status kmemu_backend_open(const char *name, const struct kmemu_config *cfg,
				struct kmemu_backend **out)
{
	const struct kmemu_backend_ops *ops;
	struct kmemu_config def;
	struct kmemu_backend *b;
	uint64_t saved_lacks;
	kmemu_status rc;

	if (out)
		*out = NULL;
	if (!name || !out)
		return STATUS_INVALID_PARAMETER;
	ops = kmemu_backend_find(name);
	if (!ops)
		return STATUS_NOT_FOUND;
	if (!cfg) {
		kmemu_config_default(&def);  /* a bad environment value falls back to defaults */
		cfg = &def;
	}
	b = kmemu__calloc(1, sizeof(*b));
	if (!b)
		return STATUS_INSUFFICIENT_RESOURCES;
	b->ops = ops;
	b->verifier = cfg->verifier;
	saved_lacks = opening_lacks;  /* a wrapping backend may open another inside */
	opening_lacks = 0;
	rc = ops->open(ops, cfg, &b->st);
	b->caps = ops->caps & ~opening_lacks;
	opening_lacks = saved_lacks;
	if (rc) {
		kmemu__free(b);
		return rc;
	}
	*out = b;
	return STATUS_SUCCESS;
}

void kmemu_backend_close(struct kmemu_backend *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&backend_lock);
	if (current == b)
		current = NULL;
	pthread_mutex_unlock(&backend_lock);
	if (b->flt_close)
		b->flt_close(b);
	if (b->wdf_close)
		b->wdf_close(b);
	b->ops->close(b->st);
	kmemu__free(b);
}

static void close_at_exit(void)
{
	struct kmemu_backend *b;

	pthread_mutex_lock(&backend_lock);
	b = current && current->is_implicit ? current : NULL;
	pthread_mutex_unlock(&backend_lock);
	kmemu_backend_close(b);
}

struct kmemu_backend *kmemu_backend_set_current(struct kmemu_backend *b)
{
	struct kmemu_backend *old;

	pthread_mutex_lock(&backend_lock);
	old = current;
	current = b;
	pthread_mutex_unlock(&backend_lock);
	return old;
}

/* Open the default instance unless one is current.  Reports an unknown
 * KMEMU_BACKEND once on stderr. */
struct kmemu_backend *kmemu__current(void)
{
	static int warned;
	struct kmemu_backend *b;
	const char *name;
	kmemu_status rc;

	pthread_mutex_lock(&backend_lock);
	b = current;
	pthread_mutex_unlock(&backend_lock);
	if (b)
		return b;
	name = getenv("KMEMU_BACKEND");
	if (!name || !*name)
		name = "emu";
	rc = kmemu_backend_open(name, NULL, &b);
	if (rc) {
		if (!warned++)
			fprintf(stderr, "kmemu: cannot open backend '%s': %s\n", name,
				kmemu_status_name(rc));
		return NULL;
	}
	b->is_implicit = 1;
	pthread_mutex_lock(&backend_lock);
	if (current) {  /* another thread won the race */
		pthread_mutex_unlock(&backend_lock);
		b->ops->close(b->st);
		kmemu__free(b);
		return current;
	}
	current = b;
	if (!atexit_done) {
		atexit_done = 1;
		atexit(close_at_exit);
	}
	pthread_mutex_unlock(&backend_lock);
	return b;
}

kmemu_status kmemu_backend_current(struct kmemu_backend **out)
{
	struct kmemu_backend *b;

	if (!out)
		return STATUS_INVALID_PARAMETER;
	b = kmemu__current();
	*out = b;
	return b ? STATUS_SUCCESS : STATUS_NOT_FOUND;
}

kmemu_status kmemu_backend_use(const char *name, const struct kmemu_config *cfg)
{
	struct kmemu_backend *b, *old;
	kmemu_status rc = kmemu_backend_open(name, cfg, &b);

	if (rc)
		return rc;
	b->is_implicit = 1;
	pthread_mutex_lock(&backend_lock);
	if (!atexit_done) {
		atexit_done = 1;
		atexit(close_at_exit);
	}
	pthread_mutex_unlock(&backend_lock);
	old = kmemu_backend_set_current(b);
	if (old && old->is_implicit)
		kmemu_backend_close(old);
	return STATUS_SUCCESS;
}

const char *kmemu_backend_name(struct kmemu_backend *b)
{
	if (!b)
		b = kmemu__current();
	return b ? b->ops->name : "";
}

uint64_t kmemu_backend_caps(struct kmemu_backend *b)
{
	if (!b)
		b = kmemu__current();
	return b ? b->caps : 0;
}

/**
 * kmemu_backend_instance_lacks() - from inside ->open: this instance lacks @caps.
 * @caps: KMEMU_CAP_* bits of ops->caps the machine does not give.
 * Context: only in a backend's ->open (the calling thread's open).
 */
void kmemu_backend_instance_lacks(uint64_t caps)
{
	opening_lacks |= caps;
}

const struct kmemu_backend_ops *kmemu_backend_ops_of(struct kmemu_backend *b, void **st)
{
	if (st)
		*st = b ? b->st : NULL;
	return b ? b->ops : NULL;
}
