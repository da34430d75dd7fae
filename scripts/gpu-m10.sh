#!/usr/bin/env bash
# M10 figures on a GPU host, all in one call (so every before/after pair shares the card):
#   1. the new bundle's GPU tests (the Ada-SnapKV kernel against its CPU rule, the GPU compressor
#      against the CPU selection, the engines against each other);
#   2. the 12-config sweep of `headkv bench` on a random Llama-3-8B shape, old bundle then new
#      (Ada-SnapKV's head allocation moved from the host to the device), and the FullKV prefill
#      alone, so compression = sweep prefill - FullKV prefill;
#   3. the CPU engine against HF transformers on PyTorch's CPU backend: the same random
#      SmolLM2-shaped fp32 weights, 2 threads pinned to the same 2 cores.
# Usage: scripts/gpu-m10.sh OLD_BUNDLE_DIR NEW_BUNDLE_DIR OUT_DIR [RUNS]
set -uo pipefail
OLD="$(cd "$1" && pwd)"; NEW="$(cd "$2" && pwd)"; OUT="$3"; RUNS="${4:-3}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0
R2="data/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json"
log() { echo "$@" | tee -a "$OUT/m10.log"; }
nvidia-smi -L | tee "$OUT/m10.log"
for t in hkv_gpu_engine_tests hkv_kernels_gpu_tests; do
  "$NEW/bin/$t" --gtest_brief=1 > "$OUT/$t.log" 2>&1
  log "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)' "$OUT/$t.log" | tr '\n' ' ')"
done
[[ -f /tmp/r8b/model.safetensors.index.json || -f /tmp/r8b/model.safetensors ]] || python3 tools/gpu/compare_transformers.py make-random8b /tmp/r8b \
  > "$OUT/make8b.log" 2>&1
for b in old new; do
  dir=$OLD; [[ $b == new ]] && dir=$NEW
  "$dir/bin/headkv" bench --model /tmp/r8b --head-scores "$R2" --runs "$RUNS" --what sweep \
    --out "$OUT/sweep_$b.json" > "$OUT/sweep_$b.log" 2>&1
  log "sweep $b rc=$?: $(grep -E '^sweep' "$OUT/sweep_$b.log")"
  "$dir/bin/headkv" bench --model /tmp/r8b --runs "$RUNS" --what prefill \
    --out "$OUT/prefill_$b.json" > "$OUT/prefill_$b.log" 2>&1
  log "prefill $b rc=$?: $(grep -E '^prefill' "$OUT/prefill_$b.log")"
done
scripts/gpu-m10-page.sh "$NEW" "$OUT" cpu "$RUNS"
