/* SPDX-License-Identifier: MIT */
/*
 * status_map.h - the NTSTATUS vocabulary as one X-macro: XX(name, message).
 *
 * The value of each entry is the macro of the same name in <ntstatus.h>.
 * kmemu_status_name() and kmemu_status_str() are generated from this list.
 */
#ifndef KMEMU_STATUS_MAP_H
#define KMEMU_STATUS_MAP_H

#define KMEMU_STATUS_MAP(XX) \
	XX(STATUS_SUCCESS, "The operation completed successfully") \
	XX(STATUS_ALERTED, "The wait was alerted") \
	XX(STATUS_PENDING, "The operation is pending") \
	XX(STATUS_MORE_ENTRIES, "More entries are available") \
	XX(STATUS_OBJECT_NAME_EXISTS, "An object with that name already existed") \
	XX(STATUS_IMAGE_NOT_AT_BASE, "The image was mapped at a different base") \
	XX(STATUS_IMAGE_MACHINE_TYPE_MISMATCH, "The image is for another machine type") \
	XX(STATUS_WDF_QUEUED, "The request was queued internally") \
	XX(STATUS_GUARD_PAGE_VIOLATION, "A guard page was touched") \
	XX(STATUS_BUFFER_OVERFLOW, "The data was too large for the buffer") \
	XX(STATUS_PARTIAL_COPY, "Only part of the copy completed") \
	XX(STATUS_DEVICE_BUSY, "The device is busy") \
	XX(STATUS_NO_MORE_ENTRIES, "No more entries are available") \
	XX(STATUS_UNSUCCESSFUL, "The operation was unsuccessful") \
	XX(STATUS_NOT_IMPLEMENTED, "The requested operation is not implemented") \
	XX(STATUS_INVALID_INFO_CLASS, "The information class is not valid") \
	XX(STATUS_INFO_LENGTH_MISMATCH, "The length does not match the information class") \
	XX(STATUS_ACCESS_VIOLATION, "Invalid access to memory location") \
	XX(STATUS_INVALID_HANDLE, "An invalid handle was specified") \
	XX(STATUS_INVALID_PARAMETER, "An invalid parameter was passed") \
	XX(STATUS_INVALID_DEVICE_REQUEST, "The request is not valid for this device") \
	XX(STATUS_NO_MEMORY, "Not enough virtual memory or paging file quota") \
	XX(STATUS_CONFLICTING_ADDRESSES, "The address range conflicts with an existing one") \
	XX(STATUS_NOT_MAPPED_VIEW, "The address is not the base of a mapped view") \
	XX(STATUS_UNABLE_TO_FREE_VM, "The virtual memory cannot be freed") \
	XX(STATUS_UNABLE_TO_DELETE_SECTION, "The section cannot be deleted") \
	XX(STATUS_INVALID_VIEW_SIZE, "The view size is invalid") \
	XX(STATUS_INVALID_FILE_FOR_SECTION, "The file cannot back a section") \
	XX(STATUS_ALREADY_COMMITTED, "The address range is already committed") \
	XX(STATUS_ACCESS_DENIED, "Access is denied") \
	XX(STATUS_BUFFER_TOO_SMALL, "The buffer is too small") \
	XX(STATUS_OBJECT_TYPE_MISMATCH, "The object is of the wrong type") \
	XX(STATUS_NOT_COMMITTED, "The page is not committed") \
	XX(STATUS_INVALID_PARAMETER_MIX, "The combination of parameters is invalid") \
	XX(STATUS_OBJECT_NAME_INVALID, "The object name is invalid") \
	XX(STATUS_OBJECT_NAME_NOT_FOUND, "The object name was not found") \
	XX(STATUS_OBJECT_NAME_COLLISION, "The object name already exists") \
	XX(STATUS_OBJECT_PATH_SYNTAX_BAD, "The object path syntax is bad") \
	XX(STATUS_SECTION_TOO_BIG, "The section is too big") \
	XX(STATUS_INVALID_PAGE_PROTECTION, "The page protection is invalid") \
	XX(STATUS_SECTION_NOT_IMAGE, "The section is not an image section") \
	XX(STATUS_SECTION_PROTECTION, "The protection is incompatible with the section") \
	XX(STATUS_DELETE_PENDING, "The object is being deleted") \
	XX(STATUS_INVALID_IMAGE_FORMAT, "The image format is invalid") \
	XX(STATUS_NOT_MAPPED_DATA, "The address is not in a mapped data view") \
	XX(STATUS_INSUFFICIENT_RESOURCES, "Insufficient system resources") \
	XX(STATUS_FREE_VM_NOT_AT_BASE, "The address is not the base of an allocation") \
	XX(STATUS_MEMORY_NOT_ALLOCATED, "The memory is not allocated") \
	XX(STATUS_NOT_SUPPORTED, "The request is not supported") \
	XX(STATUS_NOT_SAME_DEVICE, "The objects are not on the same device") \
	XX(STATUS_INTERNAL_ERROR, "An internal error occurred") \
	XX(STATUS_INVALID_USER_BUFFER, "The user buffer is invalid") \
	XX(STATUS_INVALID_PARAMETER_1, "Invalid parameter 1") \
	XX(STATUS_INVALID_PARAMETER_2, "Invalid parameter 2") \
	XX(STATUS_INVALID_PARAMETER_3, "Invalid parameter 3") \
	XX(STATUS_INVALID_PARAMETER_4, "Invalid parameter 4") \
	XX(STATUS_INVALID_PARAMETER_5, "Invalid parameter 5") \
	XX(STATUS_INVALID_PARAMETER_6, "Invalid parameter 6") \
	XX(STATUS_INVALID_PARAMETER_7, "Invalid parameter 7") \
	XX(STATUS_INVALID_PARAMETER_8, "Invalid parameter 8") \
	XX(STATUS_INVALID_PARAMETER_9, "Invalid parameter 9") \
	XX(STATUS_INVALID_PARAMETER_10, "Invalid parameter 10") \
	XX(STATUS_INVALID_PARAMETER_11, "Invalid parameter 11") \
	XX(STATUS_INVALID_PARAMETER_12, "Invalid parameter 12") \
	XX(STATUS_PROCESS_IS_TERMINATING, "The process is terminating") \
	XX(STATUS_MAPPED_FILE_SIZE_ZERO, "The mapped file has size zero") \
	XX(STATUS_CANCELLED, "The I/O request was cancelled") \
	XX(STATUS_CANNOT_DELETE, "The object cannot be deleted") \
	XX(STATUS_COMMITMENT_LIMIT, "The commitment limit was reached") \
	XX(STATUS_INVALID_IMAGE_NOT_MZ, "The image is not an MZ image") \
	XX(STATUS_INVALID_ADDRESS, "The address is invalid") \
	XX(STATUS_DRIVER_INTERNAL_ERROR, "The driver hit an internal error") \
	XX(STATUS_INVALID_BUFFER_SIZE, "The buffer size is invalid") \
	XX(STATUS_MAPPED_ALIGNMENT, "The address or offset is not aligned") \
	XX(STATUS_NOT_FOUND, "The object was not found") \
	XX(STATUS_FLT_NO_HANDLER_DEFINED, "No handler is defined") \
	XX(STATUS_FLT_CONTEXT_ALREADY_DEFINED, "A context is already defined") \
	XX(STATUS_FLT_NOT_INITIALIZED, "The filter is not initialized") \
	XX(STATUS_FLT_DELETING_OBJECT, "The object is being deleted") \
	XX(STATUS_FLT_DO_NOT_ATTACH, "Do not attach") \
	XX(STATUS_FLT_INSTANCE_ALTITUDE_COLLISION, "The instance altitude collides") \
	XX(STATUS_FLT_FILTER_NOT_FOUND, "The filter was not found") \
	XX(STATUS_FLT_VOLUME_NOT_FOUND, "The volume was not found") \
	XX(STATUS_FLT_INSTANCE_NOT_FOUND, "The instance was not found") \
	XX(STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND, "No context registration matches") \
	XX(STATUS_FLT_INVALID_CONTEXT_REGISTRATION, "The context registration is invalid") \
	XX(STATUS_FLT_CONTEXT_ALREADY_LINKED, "The context is already linked to an object") \
	XX(STATUS_WDF_INTERNAL_ERROR, "WDF internal error") \
	XX(STATUS_WDF_PAUSED, "The queue is paused") \
	XX(STATUS_WDF_BUSY, "The object is busy with previous requests") \
	XX(STATUS_WDF_REQUEST_ALREADY_PENDING, "The request has already been submitted") \
	XX(STATUS_WDF_OBJECT_ATTRIBUTES_INVALID, "WDF_OBJECT_ATTRIBUTES is invalid") \
	XX(STATUS_WDF_PARENT_ALREADY_ASSIGNED, "The parent is already assigned") \
	XX(STATUS_WDF_PARENT_IS_SELF, "The parent cannot be the object itself") \
	XX(STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED, "A parent cannot be assigned") \
	XX(STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID, "The synchronization scope is invalid") \
	XX(STATUS_WDF_EXECUTION_LEVEL_INVALID, "The execution level is invalid") \
	XX(STATUS_WDF_PARENT_NOT_SPECIFIED, "The parent is not specified")

#endif /* KMEMU_STATUS_MAP_H */
