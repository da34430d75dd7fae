#!/usr/bin/env bash
# The README's test command: install deps, build, run every ctest test. Tests labelled `gpu` skip
# themselves without a device; `slow` tests run only with HKV_SLOW_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
BUILD_DIR="${HKV_BUILD_DIR:-build}"
exclude=()
if [[ "${HKV_SLOW_TESTS:-0}" != "1" ]]; then
  exclude=(-LE slow)
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "${exclude[@]}"
