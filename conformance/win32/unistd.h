/* SPDX-License-Identifier: MIT */
/*
 * unistd.h for the Windows build of kmemu-conform: mingw-w64's, plus pipe()
 * as the C runtime's _pipe (binary mode).
 */
#ifndef KMEMU_CONFORM_WIN32_UNISTD_H
#define KMEMU_CONFORM_WIN32_UNISTD_H

#include_next <unistd.h>
#include <fcntl.h>
#include <io.h>

static inline int kmemu_conform_pipe(int fds[2])
{
	return _pipe(fds, 4096, _O_BINARY);
}
#define pipe kmemu_conform_pipe

#endif
