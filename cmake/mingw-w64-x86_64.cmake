# SPDX-License-Identifier: MIT
# Cross-compiling kmemu for 64-bit Windows with mingw-w64 (Debian package
# mingw-w64; the POSIX-threads flavour of the compiler, for <pthread.h>).
# Used by the "nt" configure preset: cmake --preset nt.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(KMEMU_MINGW_PREFIX x86_64-w64-mingw32)
find_program(CMAKE_C_COMPILER NAMES ${KMEMU_MINGW_PREFIX}-gcc-posix ${KMEMU_MINGW_PREFIX}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${KMEMU_MINGW_PREFIX}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${KMEMU_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Run cross-built programs (try_run, ctest) under Wine when it is there.
find_program(KMEMU_WINE NAMES wine64 wine)
if(KMEMU_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${KMEMU_WINE})
endif()
# C99 printf (%zu, %llu) from mingw-w64's own stdio instead of msvcrt's.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")
