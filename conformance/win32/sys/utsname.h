/* SPDX-License-Identifier: MIT */
/*
 * sys/utsname.h for the Windows build of kmemu-conform: uname() from
 * RtlGetVersion (conformance/win32.c).  sysname "Windows_NT", release
 * "MAJOR.MINOR", version "build N" (plus "wine V" under Wine), machine
 * "x86_64".
 */
#ifndef KMEMU_CONFORM_WIN32_SYS_UTSNAME_H
#define KMEMU_CONFORM_WIN32_SYS_UTSNAME_H

struct utsname {
	char sysname[65];
	char nodename[65];
	char release[65];
	char version[65];
	char machine[65];
};

int kmemu_conform_uname(struct utsname *u);
#define uname kmemu_conform_uname

#endif
