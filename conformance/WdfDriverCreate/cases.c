/* SPDX-License-Identifier: MIT */
/*
 * cases.c - conformance cases of WdfDriverCreate and driver loading.
 */
#include "../wdf_helpers.h"

#define A "WdfDriverCreate/"

static char events[16];
static size_t n_events;
static WDFDRIVER created;
static NTSTATUS entry_result, second_create, early_status;
static PDRIVER_OBJECT seen_object;
static PUNICODE_STRING seen_path;

static void event(char e)
{
	if (n_events + 1 < sizeof(events))
		events[n_events++] = e;
}

static VOID NTAPI evt_unload(WDFDRIVER d)
{
	event(d == created ? 'U' : 'u');
}

static VOID NTAPI evt_cleanup(WDFOBJECT o)
{
	(void)o;
	event('C');
}

static NTSTATUS NTAPI entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
	WDF_DRIVER_CONFIG c;
	WDF_OBJECT_ATTRIBUTES a;
	WDFMEMORY m = NULL;
	NTSTATUS st;

	seen_object = d;
	seen_path = r;
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	c.DriverInitFlags = WdfDriverInitNonPnpDriver;
	c.EvtDriverUnload = evt_unload;
	st = WdfDriverCreate(d, r, WDF_NO_OBJECT_ATTRIBUTES, &c, &created);
	if (st)
		return st;
	second_create = WdfDriverCreate(d, r, WDF_NO_OBJECT_ATTRIBUTES, &c, NULL);
	WDF_OBJECT_ATTRIBUTES_INIT(&a);
	a.EvtCleanupCallback = evt_cleanup;
	st = WdfMemoryCreate(&a, NonPagedPool, 0, 8, &m, NULL);
	return st ? st : entry_result;
}

static NTSTATUS NTAPI entry_without_create(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
	(void)d;
	(void)r;
	return STATUS_SUCCESS;
}

static void early_call(void *p)
{
	WDFMEMORY m = NULL;

	(void)p;
	early_status = WdfMemoryCreate(NULL, NonPagedPool, 0, 8, &m, NULL);
}

static NTSTATUS NTAPI entry_early_ddi(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
	WDF_DRIVER_CONFIG c;
	struct kmemu_bugcheck_report rep;

	if (!kmemu_bugcheck_catch(early_call, NULL, &rep) || rep.code != WDF_VIOLATION ||
	    rep.param[0] != WDF_VERIFIER_FATAL_ERROR)
		return STATUS_UNSUCCESSFUL;
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	c.DriverInitFlags = WdfDriverInitNonPnpDriver;
	return WdfDriverCreate(d, r, NULL, &c, NULL);
}

KMEMU_CASE(load, A "load", WDF_CAPS, A "load " A "unload " A "create-once")
{
	static const char path[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\cdrv";
	struct kmemu_wdf_driver_options o = { .quiet = 1 };
	struct kmemu_wdf_driver *d = NULL;
	PWSTR reg;

	n_events = 0;
	memset(events, 0, sizeof(events));
	entry_result = STATUS_SUCCESS;
	KMEMU_ASSERT_NT(kmemu_wdf_driver_load(entry, "cdrv", &o, &d), STATUS_SUCCESS);
	KMEMU_EXPECT_NT(second_create, STATUS_DRIVER_INTERNAL_ERROR);
	KMEMU_EXPECT_EQ((uintptr_t)kmemu_wdf_driver_handle(d), (uintptr_t)created);
	KMEMU_EXPECT_EQ((uintptr_t)WdfGetDriver(), (uintptr_t)created);
	KMEMU_EXPECT_EQ(seen_object->Type, 4);
	KMEMU_EXPECT_EQ(seen_object->Size, 0x150);
	KMEMU_EXPECT_EQ((uintptr_t)seen_object->DriverInit, (uintptr_t)entry);
	KMEMU_EXPECT_EQ((uintptr_t)WdfDriverWdmGetDriverObject(created), (uintptr_t)seen_object);
	reg = WdfDriverGetRegistryPath(created);
	KMEMU_ASSERT_NE((uintptr_t)reg, 0);
	KMEMU_EXPECT_EQ((uintptr_t)reg, (uintptr_t)seen_path->Buffer);
	KMEMU_EXPECT_EQ(seen_path->Length, (sizeof(path) - 1) * 2);
	for (size_t i = 0; i < sizeof(path); i++)
		if (reg[i] != (WCHAR)(unsigned char)path[i]) {
			KMEMU_FAIL("registry path unit %zu is 0x%04X", i, reg[i]);
			break;
		}
	kmemu_wdf_driver_unload(d);
	KMEMU_EXPECT_MEM(events, "UC", 3);
	/* DriverEntry failing: its status, no EvtDriverUnload, cleanup still runs */
	n_events = 0;
	memset(events, 0, sizeof(events));
	entry_result = STATUS_ACCESS_DENIED;
	KMEMU_EXPECT_NT(kmemu_wdf_driver_load(entry, "cdrv", &o, &d), STATUS_ACCESS_DENIED);
	KMEMU_EXPECT_EQ((uintptr_t)d, 0);
	KMEMU_EXPECT_MEM(events, "C", 2);
}

struct dc_args {
	int which;
	NTSTATUS st;
};

static void call_create_nulls(void *p)
{
	struct dc_args *a = p;
	WDF_DRIVER_CONFIG c;
	UNICODE_STRING us = { 0, 0, NULL };
	DRIVER_OBJECT obj;

	memset(&obj, 0, sizeof(obj));
	WDF_DRIVER_CONFIG_INIT(&c, NULL);
	a->st = WdfDriverCreate(a->which == 0 ? NULL : &obj, a->which == 1 ? NULL : &us, NULL,
				a->which == 2 ? NULL : &c, NULL);
}

KMEMU_CASE(nulls, A "null-parameters", WDF_BC_CAPS, A "create-once")
{
	struct kmemu_wdf_driver *d = wdf_setup_driver(1);

	for (int i = 0; i < 3; i++) {
		struct dc_args a = { i, 0 };

		wdf_expect_bugcheck(call_create_nulls, &a, WDF_VIOLATION,
				    WDF_REQUIRED_PARAMETER_IS_NULL, 0, WDF_ANY);
	}
	wdf_unload(d);
}

KMEMU_CASE(rule, A "driver-create-rule", WDF_BC_CAPS, A "driver-create-rule")
{
	struct kmemu_wdf_driver_options o = { .quiet = 1 };
	struct kmemu_wdf_driver *d = NULL;

	KMEMU_EXPECT_NT(kmemu_wdf_driver_load(entry_without_create, "nocreate", &o, &d),
			STATUS_DRIVER_INTERNAL_ERROR);
	KMEMU_EXPECT_EQ((uintptr_t)d, 0);
	KMEMU_EXPECT_NT(kmemu_wdf_driver_load(entry_early_ddi, "early", &o, &d), STATUS_SUCCESS);
	kmemu_wdf_driver_unload(d);
}

const struct kmemu_case *const kmemu_cases_WdfDriverCreate[] = {
	KMEMU_CASE_REF(load),
	KMEMU_CASE_REF(nulls),
	KMEMU_CASE_REF(rule),
	NULL,
};
