/* SPDX-License-Identifier: MIT */
/*
 * driver.c - framework drivers: loading driver code (a DRIVER_OBJECT, a
 * registry path, DriverEntry), WdfDriverCreate and the WDFDRIVER DDIs,
 * unloading with the verifier's leak report, and the control API of
 * <kmemu/wdf.h>.
 *
 * A driver's globals (struct kmemu_wdf_globals) exist from load to unload;
 * the WDFDRIVER object exists from WdfDriverCreate to unload and is the
 * default parent of the driver's objects, so deleting it at unload deletes
 * every object the driver left parented to it.  The verifier switch is per
 * driver: the load options, else the machine's kmemu_config.verifier
 * (KMEMU_VERIFIER, default on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wdf_int.h"

static const struct kmemu_wdf_object_ops driver_ops = {
	.name = "WDFDRIVER",
};

/* Copy ASCII @src into the WCHAR buffer @dst of @n units (NUL-terminated). */
static USHORT wcopy(WCHAR *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < n; i++)
		dst[i] = (WCHAR)(unsigned char)src[i];
	dst[i] = 0;
	return (USHORT)(i * sizeof(WCHAR));
}

/* The break policy from the options, else KMEMU_WDF_BREAK (continue|fatal). */
static enum kmemu_wdf_break break_policy_of(const struct kmemu_wdf_driver_options *o)
{
	const char *e;

	if (o && o->break_policy != KMEMU_WDF_BREAK_DEFAULT)
		return o->break_policy;
	e = getenv("KMEMU_WDF_BREAK");
	if (e && !strcmp(e, "fatal"))
		return KMEMU_WDF_BREAK_FATAL;
	return KMEMU_WDF_BREAK_CONTINUE;
}

/* New globals for driver @name, linked into @inst (newest first). */
static struct kmemu_wdf_globals *globals_new(struct kmemu_wdf_instance *inst, const char *name,
					     const struct kmemu_wdf_driver_options *opts)
{
	struct kmemu_wdf_globals *g = kmemu__calloc(1, sizeof(*g));
	char path[160];

	if (!g)
		return NULL;
	if (!name || !*name)
		name = "kmemu";
	g->inst = inst;
	snprintf(g->name, sizeof(g->name), "%s", name);
	/* the options, else the machine's configuration (KMEMU_VERIFIER when it
	 * was opened with the defaults) */
	g->verifier = opts && opts->has_verifier && opts->verifier >= 0 ? !!opts->verifier
									 : !!inst->backend->verifier;
	g->dbg_break_on_error = g->verifier;
	g->break_policy = break_policy_of(opts);
	g->quiet = opts ? opts->quiet : 0;
	g->version_minor = opts && opts->version_minor ? opts->version_minor : 33;
	g->verify_down_level = opts ? opts->verify_down_level : 0;
	g->enhanced_verifier = opts ? opts->enhanced_verifier : 0;
	snprintf(path, sizeof(path), "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\%s",
		 g->name);
	g->registry_path.Length = wcopy(g->registry_buf, KMEMU_ARRAY_SIZE(g->registry_buf), path);
	g->registry_path.MaximumLength = (USHORT)sizeof(g->registry_buf);
	g->registry_path.Buffer = g->registry_buf;
	snprintf(path, sizeof(path), "\\Driver\\%s", g->name);
	g->driver_object.DriverName.Length =
		wcopy(g->driver_name_buf, KMEMU_ARRAY_SIZE(g->driver_name_buf), path);
	g->driver_object.DriverName.MaximumLength = (USHORT)sizeof(g->driver_name_buf);
	g->driver_object.DriverName.Buffer = g->driver_name_buf;
	g->driver_object.Type = IO_TYPE_DRIVER;
	g->driver_object.Size = (SHORT)sizeof(DRIVER_OBJECT);
	pthread_mutex_lock(&inst->lock);
	g->next = inst->drivers;
	inst->drivers = g;
	pthread_mutex_unlock(&inst->lock);
	return g;
}

/* The loaded driver whose DRIVER_OBJECT is @d, or NULL. */
static struct kmemu_wdf_globals *globals_by_driver_object(struct kmemu_wdf_instance *inst,
							  const DRIVER_OBJECT *d)
{
	struct kmemu_wdf_globals *g;

	pthread_mutex_lock(&inst->lock);
	for (g = inst->drivers; g; g = g->next)
		if (&g->driver_object == d)
			break;
	pthread_mutex_unlock(&inst->lock);
	return g;
}

/* Default pool tag: the first four characters of the service name (KMDF's
 * rule), padded with spaces. */
static ULONG default_pool_tag(const char *name)
{
	unsigned char c[4] = { ' ', ' ', ' ', ' ' };

	for (int i = 0; i < 4 && name[i]; i++)
		c[i] = (unsigned char)name[i];
	return (ULONG)c[0] | (ULONG)c[1] << 8 | (ULONG)c[2] << 16 | (ULONG)c[3] << 24;
}

NTSTATUS WdfDriverCreate(PDRIVER_OBJECT DriverObject, PCUNICODE_STRING RegistryPath,
			 PWDF_OBJECT_ATTRIBUTES DriverAttributes, PWDF_DRIVER_CONFIG DriverConfig,
			 WDFDRIVER *Driver)
{
	static const char fn[] = "WdfDriverCreate";
	uintptr_t caller = KMEMU_WDF_CALLER;
	struct kmemu_wdf_instance *inst = kmemu__wdf_instance();
	struct kmemu_wdf_globals *g = inst ? globals_by_driver_object(inst, DriverObject) : NULL;
	struct kmemu_wdf_object *o;
	WDFOBJECT h;
	NTSTATUS st;

	if (!g)
		g = kmemu__wdf_globals(NULL);
	if (kmemu__wdf_pointer_null(g, DriverObject, fn, caller) ||
	    kmemu__wdf_pointer_null(g, RegistryPath, fn, caller) ||
	    kmemu__wdf_pointer_null(g, DriverConfig, fn, caller))
		return KMEMU_WDF_STATUS_HANDLED;
	g = inst ? globals_by_driver_object(inst, DriverObject) : NULL;
	if (!g) {
		/* Decided: only DriverEntry's own DRIVER_OBJECT (kmemu_wdf_driver_load)
		 * can become a framework driver. */
		kmemu__wdf_trace(kmemu__wdf_globals(NULL), fn,
				 "DriverObject %p was not made by the I/O manager",
				 (void *)DriverObject);
		return STATUS_INVALID_PARAMETER;
	}
	st = kmemu__wdf_check_irql(g, PASSIVE_LEVEL, fn);
	if (st)
		return st;
	if (g->driver) {
		kmemu__wdf_trace(g, fn, "WdfDriverCreate was already called");
		return STATUS_DRIVER_INTERNAL_ERROR;
	}
	if (DriverConfig->Size != sizeof(WDF_DRIVER_CONFIG))
		return STATUS_INFO_LENGTH_MISMATCH;
	st = kmemu__wdf_validate_attributes(DriverAttributes, KMEMU_WDF_ATTR_PARENT_NOT_ALLOWED);
	if (st)
		return st;
	if ((DriverConfig->DriverInitFlags & WdfDriverInitNonPnpDriver) &&
	    DriverConfig->EvtDriverDeviceAdd) {
		kmemu__wdf_trace(g, fn, "a non-PnP driver cannot have EvtDriverDeviceAdd");
		return STATUS_INVALID_PARAMETER;
	}
	o = kmemu__wdf_object_new(g, sizeof(*o), KMEMU_FX_TYPE_DRIVER, &driver_ops, DriverAttributes,
				  caller);
	if (!o)
		return STATUS_INSUFFICIENT_RESOURCES;
	o->is_no_delete = 1;
	g->config = *DriverConfig;
	g->pool_tag = DriverConfig->DriverPoolTag ? DriverConfig->DriverPoolTag
						  : default_pool_tag(g->name);
	st = kmemu__wdf_object_commit(o, NULL, NULL, fn, &h);
	if (st)
		return st;
	g->driver = o;
	if (Driver)
		*Driver = (WDFDRIVER)h;
	return STATUS_SUCCESS;
}

PWSTR WdfDriverGetRegistryPath(WDFDRIVER Driver)
{
	struct kmemu_wdf_object *o = kmemu__wdf_ddi_object(Driver, KMEMU_FX_TYPE_DRIVER,
							   "WdfDriverGetRegistryPath");

	return o ? o->globals->registry_buf : NULL;
}

PDRIVER_OBJECT WdfDriverWdmGetDriverObject(WDFDRIVER Driver)
{
	struct kmemu_wdf_object *o = kmemu__wdf_ddi_object(Driver, KMEMU_FX_TYPE_DRIVER,
							   "WdfDriverWdmGetDriverObject");

	return o ? &o->globals->driver_object : NULL;
}

WDFDRIVER WdfGetDriver(VOID)
{
	struct kmemu_wdf_globals *g = kmemu__wdf_globals(NULL);

	return g && g->driver ? (WDFDRIVER)kmemu__wdf_handle(g->driver) : NULL;
}

/* ---- unload ----------------------------------------------------------------- */

/* The verifier's leak report: every object of @g still alive is printed and
 * freed (its type releases what it holds).  The break follows at the end of
 * the unload. */
static uint64_t driver_report_leaks(struct kmemu_wdf_globals *g)
{
	struct kmemu_wdf_instance *inst = g->inst;
	uint64_t n = 0;

	for (;;) {
		struct kmemu_wdf_object *o;

		pthread_mutex_lock(&inst->lock);
		o = g->all;
		pthread_mutex_unlock(&inst->lock);
		if (!o)
			break;
		if (g->verifier) {
			if (!g->quiet) {
				struct kmemu_wdf_memory *m = kmemu__wdf_memory_of(o);

				fprintf(stderr,
					"kmemu: WDF verifier: %s.sys leaked %s %p (%ld references) "
					"created at %p%s%zu%s\n",
					g->name, o->ops->name, (void *)kmemu__wdf_handle(o),
					o->refcount, (void *)o->created_by, m ? ", " : "",
					m ? m->size : 0, m ? " bytes" : "");
			}
			g->n_leaks++;
		}
		n++;
		/* Freed as the framework frees its pool at unload: no driver callback
		 * runs any more (the driver is gone); a delete or destroy still queued
		 * for PASSIVE_LEVEL (an unload at raised IRQL) is forgotten. */
		kmemu__wdf_object_reap(o);
	}
	return n;
}

uint64_t kmemu__wdf_driver_unload(struct kmemu_wdf_globals *g, int call_unload)
{
	struct kmemu_wdf_instance *inst = g->inst;
	struct kmemu_wdf_globals *prev = kmemu__wdf_enter(g);
	uint64_t leaks;

	if (call_unload && g->driver && g->config.EvtDriverUnload) {
		uint8_t entry = kmemu__wdf_callback_begin(g);

		g->config.EvtDriverUnload((WDFDRIVER)kmemu__wdf_handle(g->driver));
		kmemu__wdf_callback_end(g, entry, "EvtDriverUnload");
	}
	if (g->driver) {
		g->driver->is_no_delete = 0;
		kmemu__wdf_object_delete(g->driver);
		g->driver = NULL;
	}
	kmemu__wdf_run_deferred(inst);
	leaks = driver_report_leaks(g);
	kmemu__wdf_leave(prev == g ? NULL : prev);
	pthread_mutex_lock(&inst->lock);
	for (struct kmemu_wdf_globals **pp = &inst->drivers; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	pthread_mutex_unlock(&inst->lock);
	/* The leak break comes last, on a copy of the globals: with the fatal
	 * break policy it is a bug check that may unwind, and the driver is
	 * entirely gone by then. */
	if (leaks && g->verifier) {
		struct kmemu_wdf_globals copy = *g;

		copy.next = NULL;
		kmemu__free(g);
		kmemu__wdf_dbg_break(&copy, "kmemu_wdf_driver_unload",
				     "%llu framework object(s) still alive at unload (pool leak)",
				     (unsigned long long)leaks);
		return leaks;
	}
	kmemu__free(g);
	return leaks;
}

/* ---- control API -------------------------------------------------------------- */

#define DRV(d) ((struct kmemu_wdf_globals *)(void *)(d))

kmemu_status kmemu_wdf_driver_load(kmemu_wdf_driver_entry entry, const char *name,
				   const struct kmemu_wdf_driver_options *opts,
				   struct kmemu_wdf_driver **out)
{
	struct kmemu_wdf_instance *inst;
	struct kmemu_wdf_globals *g, *prev;
	NTSTATUS st;

	if (!entry || !out)
		return STATUS_INVALID_PARAMETER;
	*out = NULL;
	inst = kmemu__wdf_instance();
	if (!inst)
		return STATUS_INSUFFICIENT_RESOURCES;
	g = globals_new(inst, name, opts);
	if (!g)
		return STATUS_INSUFFICIENT_RESOURCES;
	g->driver_object.DriverInit = (PDRIVER_INITIALIZE)entry;
	prev = kmemu__wdf_enter(g);
	st = entry(&g->driver_object, &g->registry_path);
	kmemu__wdf_leave(prev);
	if (NT_SUCCESS(st) && !g->driver) {
		kmemu__wdf_trace(g, "DriverEntry", "DriverEntry returned without calling "
				 "WdfDriverCreate (DriverCreate rule)");
		st = STATUS_DRIVER_INTERNAL_ERROR;
	}
	if (!NT_SUCCESS(st)) {
		kmemu__wdf_driver_unload(g, 0);
		return st;
	}
	*out = (struct kmemu_wdf_driver *)(void *)g;
	return STATUS_SUCCESS;
}

kmemu_status kmemu_wdf_driver_create(const char *name, const struct kmemu_wdf_driver_options *opts,
				     const WDF_DRIVER_CONFIG *config,
				     struct kmemu_wdf_driver **out)
{
	struct kmemu_wdf_instance *inst;
	struct kmemu_wdf_globals *g, *prev;
	WDF_DRIVER_CONFIG c;
	NTSTATUS st;

	if (!out)
		return STATUS_INVALID_PARAMETER;
	*out = NULL;
	inst = kmemu__wdf_instance();
	if (!inst)
		return STATUS_INSUFFICIENT_RESOURCES;
	if (config) {
		c = *config;
	} else {
		WDF_DRIVER_CONFIG_INIT(&c, NULL);
		c.DriverInitFlags = WdfDriverInitNonPnpDriver;
	}
	g = globals_new(inst, name, opts);
	if (!g)
		return STATUS_INSUFFICIENT_RESOURCES;
	prev = kmemu__wdf_enter(g);
	st = WdfDriverCreate(&g->driver_object, &g->registry_path, WDF_NO_OBJECT_ATTRIBUTES, &c,
			     NULL);
	kmemu__wdf_leave(prev);
	if (st) {
		kmemu__wdf_driver_unload(g, 0);
		return st;
	}
	*out = (struct kmemu_wdf_driver *)(void *)g;
	return STATUS_SUCCESS;
}

uint64_t kmemu_wdf_driver_unload(struct kmemu_wdf_driver *drv)
{
	return drv ? kmemu__wdf_driver_unload(DRV(drv), 1) : 0;
}

WDFDRIVER kmemu_wdf_driver_handle(struct kmemu_wdf_driver *drv)
{
	return drv && DRV(drv)->driver ? (WDFDRIVER)kmemu__wdf_handle(DRV(drv)->driver) : NULL;
}

struct kmemu_wdf_driver *kmemu_wdf_driver_enter(struct kmemu_wdf_driver *drv)
{
	return (struct kmemu_wdf_driver *)(void *)kmemu__wdf_enter(DRV(drv));
}

kmemu_status kmemu_wdf_driver_stats(struct kmemu_wdf_driver *drv,
				    struct kmemu_wdf_driver_stats *out)
{
	struct kmemu_wdf_globals *g = DRV(drv);

	if (!drv || !out)
		return STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&g->inst->lock);
	out->objects = g->n_objects;
	out->memory_objects = g->n_memory;
	out->messages = g->n_messages;
	out->breaks = g->n_breaks;
	out->leaks = g->n_leaks;
	pthread_mutex_unlock(&g->inst->lock);
	return STATUS_SUCCESS;
}

int kmemu_wdf_driver_verifier(struct kmemu_wdf_driver *drv)
{
	return drv ? DRV(drv)->verifier : 0;
}

unsigned kmemu_wdf_run_deferred(void)
{
	return kmemu__wdf_run_deferred(kmemu__wdf_instance());
}
