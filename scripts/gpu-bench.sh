#!/usr/bin/env bash
# M7 on a GPU host, from the bundle: scripts/gpu-bench.sh BUNDLE_DIR OUT_DIR [RUNS]
# Builds a random Llama-3-8B-shaped bf16 model with transformers (/tmp/r8b, reused when present),
# runs `headkv bench` (ceilings, prefill 8k, decode at 8k, the 12-config sweep) and the HF baseline
# on the same card in the same call. Needs HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_
# retrieval_reasoning_heads.json for the HeadKV-R2 configs.
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"; RUNS="${3:-5}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0 OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
[[ -f /tmp/r8b/config.json ]] || python3 tools/gpu/compare_transformers.py make-random8b /tmp/r8b
R2="$HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json"
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,power.draw --format=csv | tee "$OUT/bench.log"
"$B/bin/headkv" bench --model /tmp/r8b --head-scores "$R2" --runs "$RUNS" \
  --out "$OUT/headkv_bench.json" 2>&1 | tee -a "$OUT/bench.log"
python3 bench/hf_baseline.py /tmp/r8b "$OUT/hf_baseline.json" --runs "$RUNS" 2>&1 \
  | grep -v Loading | tee -a "$OUT/bench.log"
