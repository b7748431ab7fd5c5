/* SPDX-License-Identifier: MIT */
/*
 * status.c - names and messages of NTSTATUS, WinDriver status and bug check
 * codes, generated from the X-macro lists.
 */
#include <stdio.h>
#include <windrvr.h>
#include <kmemu/status_map.h>
#include "core.h"

static const struct {
	NTSTATUS value;
	const char *name;
	const char *msg;
} status_table[] = {
#define XX(name, msg) { name, #name, msg },
	KMEMU_STATUS_MAP(XX)
#undef XX
};

const char *kmemu_status_name(kmemu_status status)
{
	static _Thread_local char buf[32];

	for (size_t i = 0; i < KMEMU_ARRAY_SIZE(status_table); i++)
		if (status_table[i].value == status)
			return status_table[i].name;
	snprintf(buf, sizeof(buf), "STATUS_0x%08X", (unsigned)status);
	return buf;
}

const char *kmemu_status_str(kmemu_status status)
{
	for (size_t i = 0; i < KMEMU_ARRAY_SIZE(status_table); i++)
		if (status_table[i].value == status)
			return status_table[i].msg;
	return "Unknown status";
}

#define KMEMU_WD_STATUS_MAP(XX)                                                   \
	XX(WD_STATUS_SUCCESS, "Success")                                          \
	XX(WD_STATUS_INVALID_WD_HANDLE, "Invalid WinDriver handle")               \
	XX(WD_WINDRIVER_STATUS_ERROR, "Error")                                    \
	XX(WD_INVALID_HANDLE, "Invalid handle")                                   \
	XX(WD_INVALID_PIPE_NUMBER, "Invalid pipe number")                         \
	XX(WD_READ_WRITE_CONFLICT, "Conflict between read and write operations") \
	XX(WD_ZERO_PACKET_SIZE, "Packet size is zero")                            \
	XX(WD_INSUFFICIENT_RESOURCES, "Insufficient resources")                   \
	XX(WD_UNKNOWN_PIPE_TYPE, "Unknown pipe type")                             \
	XX(WD_SYSTEM_INTERNAL_ERROR, "Internal system error")                     \
	XX(WD_DATA_MISMATCH, "Data mismatch")                                     \
	XX(WD_NO_LICENSE, "No valid license")                                     \
	XX(WD_NOT_IMPLEMENTED, "Function not implemented")                        \
	XX(WD_KERPLUG_FAILURE, "Kernel PlugIn failure")                           \
	XX(WD_FAILED_ENABLING_INTERRUPT, "Failed enabling interrupt")             \
	XX(WD_INTERRUPT_NOT_ENABLED, "Interrupt not enabled")                     \
	XX(WD_RESOURCE_OVERLAP, "Resource overlap")                               \
	XX(WD_DEVICE_NOT_FOUND, "Device not found")                               \
	XX(WD_WRONG_UNIQUE_ID, "Wrong unique ID")                                 \
	XX(WD_OPERATION_ALREADY_DONE, "Operation already done")                   \
	XX(WD_USB_DESCRIPTOR_ERROR, "Usb descriptor error")                       \
	XX(WD_SET_CONFIGURATION_FAILED, "Set configuration operation failed")     \
	XX(WD_CANT_OBTAIN_PDO, "Cannot obtain PDO")                               \
	XX(WD_TIME_OUT_EXPIRED, "Timeout expired")                                \
	XX(WD_IRP_CANCELED, "IRP operation cancelled")                            \
	XX(WD_FAILED_USER_MAPPING, "Failed to map in user space")                 \
	XX(WD_FAILED_KERNEL_MAPPING, "Failed to map in kernel space")             \
	XX(WD_NO_RESOURCES_ON_DEVICE, "No resources on the device")               \
	XX(WD_NO_EVENTS, "No events")                                             \
	XX(WD_INVALID_PARAMETER, "Invalid parameter")                             \
	XX(WD_INCORRECT_VERSION, "Incorrect version")                             \
	XX(WD_TRY_AGAIN, "Try again")                                             \
	XX(WD_WINDRIVER_NOT_FOUND, "Failed open WinDriver")                       \
	XX(WD_INVALID_IOCTL, "Received an invalid IOCTL")                         \
	XX(WD_OPERATION_FAILED, "Operation failed")                               \
	XX(WD_INVALID_32BIT_APP, "Invalid 32 Bit User Application")               \
	XX(WD_TOO_MANY_HANDLES, "Too many handles")                               \
	XX(WD_NO_DEVICE_OBJECT, "Driver not installed")                           \
	XX(WD_MORE_PROCESSING_REQUIRED, "More processing required")

static const struct {
	uint32_t value;
	const char *name;
	const char *msg;
} wd_table[] = {
#define XX(name, msg) { (uint32_t)name, #name, msg },
	KMEMU_WD_STATUS_MAP(XX)
#undef XX
};

const char *kmemu_wd_status_name(uint32_t status)
{
	for (size_t i = 0; i < KMEMU_ARRAY_SIZE(wd_table); i++)
		if (wd_table[i].value == status)
			return wd_table[i].name;
	return "WD_<unknown>";
}

const char *DLLCALLCONV Stat2Str(DWORD dwStatus)
{
	for (size_t i = 0; i < KMEMU_ARRAY_SIZE(wd_table); i++)
		if (wd_table[i].value == dwStatus)
			return wd_table[i].msg;
	return "Unrecognized error code";
}

#define KMEMU_BUGCHECK_MAP(XX)                  \
	XX(IRQL_NOT_GREATER_OR_EQUAL)           \
	XX(IRQL_NOT_LESS_OR_EQUAL)              \
	XX(KMODE_EXCEPTION_NOT_HANDLED)         \
	XX(REFERENCE_BY_POINTER)                \
	XX(MEMORY_MANAGEMENT)                   \
	XX(SYSTEM_SERVICE_EXCEPTION)            \
	XX(PAGE_FAULT_IN_NONPAGED_AREA)         \
	XX(PROCESS_HAS_LOCKED_PAGES)            \
	XX(ATTEMPTED_WRITE_TO_READONLY_MEMORY)  \
	XX(BAD_POOL_CALLER)                     \
	XX(DRIVER_VERIFIER_DETECTED_VIOLATION)  \
	XX(DRIVER_CORRUPTED_EXPOOL)             \
	XX(IRQL_UNEXPECTED_VALUE)               \
	XX(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS) \
	XX(DRIVER_IRQL_NOT_LESS_OR_EQUAL)       \
	XX(DRIVER_UNMAPPING_INVALID_VIEW)       \
	XX(FLTMGR_FILE_SYSTEM)                  \
	XX(WDF_VIOLATION)

const char *kmemu_bugcheck_name(uint32_t code)
{
	switch (code) {
#define XX(name) case name: return #name;
	KMEMU_BUGCHECK_MAP(XX)
#undef XX
	default:
		return "UNKNOWN_BUGCHECK";
	}
}
