#!/usr/bin/env bash
# Configures and builds headkv into ${HKV_BUILD_DIR:-build}. Extra arguments go to cmake configure.
# Uses Ninja, all cores; CUDA is auto-detected (HKV_ENABLE_CUDA=AUTO).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${HKV_BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${HKV_BUILD_TYPE:-RelWithDebInfo}" "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)"
