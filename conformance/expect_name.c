/* SPDX-License-Identifier: MIT */
/*
 * expect_name.c - which expectations file a run reads.
 *
 * A backend's expected deviations live in expectations/<name>.txt.  The
 * name is the backend's, except for "nt", whose kernel is either Windows
 * itself or Wine's reimplementation of it: the same binary reads
 * nt-wine.txt under Wine (ntdll exports wine_get_version) and
 * nt-windows.txt on Windows, so Wine's deviations never excuse Windows.
 * --expectations overrides: a path (it has a '/' or '\' or ends in ".txt")
 * is read as it is, anything else is a name looked up like the default.
 * Portable C: the unit tests run it on Linux.
 */
#include <stdio.h>
#include <string.h>
#include "harness.h"

/**
 * kmemu_conform_expectations_is_path() - does --expectations @arg name a file?
 * Return: 1 for a path ("dir/x.txt", "x.txt", "C:\\x"), 0 for a name ("nt-wine").
 */
int kmemu_conform_expectations_is_path(const char *arg)
{
	size_t n = strlen(arg);

	return strchr(arg, '/') || strchr(arg, '\\') || (n >= 4 && !strcmp(arg + n - 4, ".txt"));
}

/**
 * kmemu_conform_expectations_name() - the expectations name of a run.
 * @backend: the backend certified.
 * @wine:    Wine's version when running under Wine, else NULL.
 * @buf, @size: receives the name.
 * Return: @buf: "nt-wine" / "nt-windows" for the nt backend, else @backend.
 */
const char *kmemu_conform_expectations_name(const char *backend, const char *wine, char *buf,
					    size_t size)
{
	if (!strcmp(backend, "nt"))
		snprintf(buf, size, "nt-%s", wine ? "wine" : "windows");
	else
		snprintf(buf, size, "%s", backend);
	return buf;
}
