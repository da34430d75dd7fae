#!/usr/bin/env bash
# The README's main command: install deps, fetch the default model and haystack, build, then run
# the main job: `headkv doctor`, then the default sweep (examples/default_sweep.yaml: SmolLM2 on a
# small needle + BABILong + LongBench slice, FullKV / SnapKV / Ada-SnapKV / HeadKV-R at B=128) with
# an embedded coordinator and a local worker, printing the result tables.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/fetch-assets.sh
./scripts/build.sh
BUILD_DIR="${HKV_BUILD_DIR:-build}"
HKV="$BUILD_DIR/cli/headkv"
OUT="${HKV_DEMO_OUT:-headkv-out/default}"

"$HKV" doctor
"$HKV" run examples/default_sweep.yaml --out "$OUT"
