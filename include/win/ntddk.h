/* SPDX-License-Identifier: MIT */
/*
 * ntddk.h - the NT DDK header: everything comes from <wdm.h>.
 *
 * Windows drivers include either <ntddk.h> or <wdm.h>; kmemu keeps the
 * definitions the emulated APIs need in wdm.h.
 */
#ifndef KMEMU_WIN_NTDDK_H
#define KMEMU_WIN_NTDDK_H

#include <wdm.h>

#endif /* KMEMU_WIN_NTDDK_H */
