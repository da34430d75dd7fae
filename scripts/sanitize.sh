#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the CPU test suite: configures
# ${HKV_SANITIZE_BUILD_DIR:-build-asan} (CUDA off, tests on, -O1 with debug info and DCHECKs),
# builds everything and runs ctest without the `gpu` and `e2e` labels (and `slow`, unless
# HKV_SLOW_TESTS=1). A sanitizer report aborts the test that triggered it, so it shows up as a
# failed test with the report in its output; the script exits non-zero then.
#
# Usage: scripts/sanitize.sh [CTEST_ARGS...]
#   scripts/sanitize.sh                  # the whole CPU suite (the first build takes a while)
#   scripts/sanitize.sh -R Gguf          # only tests whose name matches
# HKV_SANITIZE_CC / HKV_SANITIZE_CXX pick the compiler (default gcc / g++; clang / clang++ work
# too, from the clang package scripts/fuzz.sh installs); HKV_SANITIZE_FLAGS adds compile flags
# (e.g. "-Wno-error=unused-function" to get past a warning a CUDA-off build alone shows).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

BUILD_DIR="${HKV_SANITIZE_BUILD_DIR:-build-asan}"
CC_BIN="${HKV_SANITIZE_CC:-gcc}"
CXX_BIN="${HKV_SANITIZE_CXX:-g++}"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
FLAGS="-O1 -fno-omit-frame-pointer $SAN ${HKV_SANITIZE_FLAGS:-}"

# Debug build type (no NDEBUG, so HKV_DCHECK is on) with -O1 from FLAGS. Test discovery runs at
# ctest time (PRE_TEST), so a sanitizer report while listing a binary's tests fails a test rather
# than the build.
CC="$CC_BIN" CXX="$CXX_BIN" cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug \
  -DHKV_ENABLE_CUDA=OFF -DHKV_BUILD_TESTS=ON -DHKV_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_CXX_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST
cmake --build "$BUILD_DIR" -j "$(nproc)"

# detect_leaks: LeakSanitizer at exit of every test binary. halt_on_error: the first UB report
# ends the test (with its stack) instead of scrolling past.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exclude="gpu|e2e"
if [[ "${HKV_SLOW_TESTS:-0}" != "1" ]]; then
  exclude="gpu|e2e|slow"
fi
# Sanitized binaries run several times slower: give each test more time than the default.
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" -LE "$exclude" --timeout 1500 "$@"
