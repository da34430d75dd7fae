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
# The test binaries use the CPU engine too: give them the OpenBLAS core `headkv` itself runs with
# (it re-executes itself when OpenBLAS fell back to a pre-AVX core, cpu_engine/cpu_blas.h).
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  core=$("$BUILD_DIR/cli/headkv" doctor --skip-self-test 2>/dev/null |
    sed -n 's/^blas:.*(core \([A-Za-z0-9]*\);.*/\1/p' || true)
  if [[ -n "$core" ]]; then
    export OPENBLAS_CORETYPE="$core"
  fi
fi
exclude=()
if [[ "${HKV_SLOW_TESTS:-0}" != "1" ]]; then
  exclude=(-LE slow)
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "${exclude[@]}"
