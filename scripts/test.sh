#!/usr/bin/env bash
# The README's test command: install deps, fetch the default model, build, run every ctest
# test. Tests labelled `gpu` skip themselves without a device; `slow` tests run only with
# HKV_SLOW_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# The default model and essays feed the real-model tests; without them those tests skip.
./scripts/fetch-assets.sh || echo "test.sh: WARNING: assets not fetched; model tests will skip" >&2
./scripts/build.sh
BUILD_DIR="${HKV_BUILD_DIR:-build}"
exclude=()
if [[ "${HKV_SLOW_TESTS:-0}" != "1" ]]; then
  exclude=(-LE slow)
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "${exclude[@]}"
