#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# ClusterFuzzLite / OSS-Fuzz build: every kmemu fuzz target into $OUT.
#
# OSS-Fuzz conventions: $CC and $CFLAGS (sanitizer and coverage flags for
# every object) configure the build; harnesses link with
# $LIB_FUZZING_ENGINE, which the CMake fuzz build honours through
# KMEMU_FUZZ_ENGINE instead of -fsanitize=fuzzer.  Each target gets its seed
# corpus as $OUT/<target>_seed_corpus.zip and its dictionary as
# $OUT/<target>.dict.
targets="wds physmem handle seq diff section"
src=${SRC:-$(cd "$(dirname "$0")/.." && pwd)}/kmemu
[ -d "$src" ] || src=$(cd "$(dirname "$0")/.." && pwd)
build=${WORK:-/tmp}/kmemu-build

cmake -S "$src" -B "$build" \
	-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_BUILD_TYPE=Release \
	-DKMEMU_FUZZ=ON -DKMEMU_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
	-DKMEMU_BUILD_TESTS=OFF -DKMEMU_BUILD_BENCH=OFF -DKMEMU_BUILD_CONFORMANCE=OFF
cmake --build "$build" -j"$(nproc)" --target $(for t in $targets; do printf 'fuzz_%s ' "$t"; done)

for t in $targets; do
	cp "$build/fuzz/fuzz_$t" "$OUT/"
	rm -f "$OUT/fuzz_${t}_seed_corpus.zip"
	(cd "$src/fuzz/corpus/$t" && zip -q -r "$OUT/fuzz_${t}_seed_corpus.zip" .)
	[ -f "$src/fuzz/fuzz_$t.dict" ] && cp "$src/fuzz/fuzz_$t.dict" "$OUT/"
done
