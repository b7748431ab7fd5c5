/* SPDX-License-Identifier: MIT */
/*
 * wdfassert.h - WDFCASSERT, the compile-time assertion of KMDF.
 *
 * Windows splits KMDF over per-topic headers that <wdf.h> includes; a
 * driver may include one of them after <ntddk.h> or <wdm.h>.  kmemu keeps
 * the declarations in <wdf.h>, so this header pulls that in.
 */
#ifndef KMEMU_WIN_WDFASSERT_H
#define KMEMU_WIN_WDFASSERT_H

#include <wdf.h>

/* WDFCASSERT(c) - a compile-time assertion usable as a statement (KMDF's
 * duplicate-case trick: a false @c gives two "case 0" labels). */
#define WDFCASSERT(c) { switch (0) case (c): case 0: ; }

#endif /* KMEMU_WIN_WDFASSERT_H */
