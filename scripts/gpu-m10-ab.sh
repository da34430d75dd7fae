#!/usr/bin/env bash
# M10's bench rows before and after in ONE call on one card: `headkv bench --what all` (ceilings,
# 8k prefill, decode at 8k, the 12-config sweep and the same configs one by one; medians of RUNS)
# on the random Llama-3-8B shape, first with the OLD bundle (the engine before M10 round 2,
# commit cb3e77f) and then with the NEW one. Each run re-measures the ceilings and prints them
# beside its figures.
# MODEL: r8b (default: the transformers-made random model at /tmp/r8b, which every build reads) or
# random (headkv's own random weights in bench/models/llama3-8b-shape; builds from session 8 on).
# Usage: scripts/gpu-m10-ab.sh OLD_BUNDLE NEW_BUNDLE OUT [RUNS] [MODEL]
set -uo pipefail
OLD="$(cd "$1" && pwd)"; NEW="$(cd "$2" && pwd)"; OUT="$3"; RUNS="${4:-5}"; MODEL="${5:-r8b}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0
export HEADKV_DATA_DIR="${HEADKV_DATA_DIR:-$PWD/data}"
LOG="$OUT/ab.log"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee -a "$LOG"
if [[ $MODEL == random ]]; then
  MODEL_ARGS=(--model bench/models/llama3-8b-shape --random-weights)
else
  [[ -f /tmp/r8b/config.json ]] || python3 tools/gpu/compare_transformers.py make-random8b /tmp/r8b \
    > "$OUT/make8b.log" 2>&1
  MODEL_ARGS=(--model /tmp/r8b)
fi
R2="$HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json"
for b in old new; do
  dir=$OLD; [[ $b == new ]] && dir=$NEW
  start=$(date +%s)
  "$dir/bin/headkv" bench "${MODEL_ARGS[@]}" --head-scores "$R2" --runs "$RUNS" --what all \
    --out "$OUT/bench_$b.json" > "$OUT/bench_$b.log" 2>&1
  rc=$?
  echo "== $b ($("$dir/bin/headkv" --version)) rc=$rc in $(($(date +%s) - start)) s" | tee -a "$LOG"
  grep -vE '^\s*$' "$OUT/bench_$b.log" | tail -n 25 | tee -a "$LOG"
done
