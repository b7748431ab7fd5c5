/* SPDX-License-Identifier: MIT */
/*
 * fnmatch.h for the Windows build of kmemu-conform (--filter): '*', '?',
 * bracket sets ("[abc]", "[a-z]", "[!x]") and '\' escapes; flags ignored.
 */
#ifndef KMEMU_CONFORM_WIN32_FNMATCH_H
#define KMEMU_CONFORM_WIN32_FNMATCH_H

#define FNM_NOMATCH 1

int kmemu_conform_fnmatch(const char *pattern, const char *string, int flags);
#define fnmatch kmemu_conform_fnmatch

#endif
