#!/usr/bin/env bash
# The README's test command: install deps, fetch the default model, build, run every ctest
# test. Tests labelled `gpu` skip themselves without a device; `slow` tests run only with
# HKV_SLOW_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# The default model feeds the real-model tests. Without it they would skip, so a failed fetch
# fails the run (HKV_ALLOW_NO_MODEL=1 lets them skip instead, e.g. offline).
if ! ./scripts/fetch-assets.sh; then
  [[ "${HKV_ALLOW_NO_MODEL:-0}" == "1" ]] || { echo "test.sh: the default model could not be fetched" >&2; exit 1; }
  echo "test.sh: WARNING: default model not fetched; model tests will skip" >&2
fi
./scripts/build.sh
BUILD_DIR="${HKV_BUILD_DIR:-build}"
exclude=()
if [[ "${HKV_SLOW_TESTS:-0}" != "1" ]]; then
  exclude=(-LE slow)
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "${exclude[@]}"
