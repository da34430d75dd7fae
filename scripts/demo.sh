#!/usr/bin/env bash
# The README's main command: install deps, fetch the default model and haystack, build, then run
# the main job. Until the sweep lands (issue M5) the main job is `headkv doctor`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/fetch-assets.sh
./scripts/build.sh
BUILD_DIR="${HKV_BUILD_DIR:-build}"
"$BUILD_DIR/cli/headkv" --version
"$BUILD_DIR/cli/headkv" doctor
