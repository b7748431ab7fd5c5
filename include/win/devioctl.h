/* SPDX-License-Identifier: MIT */
/*
 * devioctl.h - I/O control codes: CTL_CODE and the transfer methods and
 * access bits it packs, as Windows' devioctl.h defines them.
 */
#ifndef KMEMU_WIN_DEVIOCTL_H
#define KMEMU_WIN_DEVIOCTL_H

/* IoControlCode = DeviceType << 16 | Access << 14 | Function << 2 | Method. */
#define CTL_CODE(DeviceType, Function, Method, Access) \
	(((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | ((ULONG)(Function) << 2) | (ULONG)(Method))
#define DEVICE_TYPE_FROM_CTL_CODE(ctrlCode) (((ULONG)(ctrlCode) & 0xffff0000) >> 16)
#define METHOD_FROM_CTL_CODE(ctrlCode) ((ULONG)((ctrlCode) & 3))

#define METHOD_BUFFERED 0    /* input and output through a system buffer */
#define METHOD_IN_DIRECT 1   /* input buffered, output locked for reading */
#define METHOD_OUT_DIRECT 2  /* input buffered, output locked for writing */
#define METHOD_NEITHER 3     /* raw user addresses */

#define FILE_ANY_ACCESS 0
#define FILE_SPECIAL_ACCESS FILE_ANY_ACCESS
#define FILE_READ_ACCESS 0x0001
#define FILE_WRITE_ACCESS 0x0002

#define FILE_DEVICE_CD_ROM_FILE_SYSTEM 0x00000003
#define FILE_DEVICE_DISK_FILE_SYSTEM 0x00000008
#define FILE_DEVICE_NETWORK_FILE_SYSTEM 0x00000014
#define FILE_DEVICE_UNKNOWN 0x00000022

#define IRP_MJ_CREATE 0x00
#define IRP_MJ_CLOSE 0x02
#define IRP_MJ_READ 0x03
#define IRP_MJ_WRITE 0x04
#define IRP_MJ_DEVICE_CONTROL 0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f

#endif /* KMEMU_WIN_DEVIOCTL_H */
