#!/usr/bin/env bash
# Decode attention A/B on a GPU host: scripts/gpu-decode-ab.sh BUNDLE_DIR BASES OUT_DIR [RUNS]
# Runs the GPU tests, then `headkv bench --what decode` and `--what sweep` (random Llama-3-8B
# shape, bf16, 8k prompt) with each binary of BASES (colon-separated earlier builds, placed in
# BUNDLE_DIR/bin so they use the same libraries) and with the bundle's own, in the same call on the
# same card.
set -uo pipefail
B="$(cd "$1" && pwd)"; IFS=: read -ra BASES <<< "$2"; OUT="$3"; RUNS="${4:-3}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0 OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
nvidia-smi -L | tee "$OUT/ab.log"
for t in hkv_kernels_gpu_tests hkv_gpu_engine_tests; do
  "$B/bin/$t" > "$OUT/$t.log" 2>&1
  echo "$t rc=$? $(grep -E '^\[  PASSED|^\[  FAILED' "$OUT/$t.log" | tr '\n' ' ')" | tee -a "$OUT/ab.log"
done
t0=$(date +%s)
[[ -f /tmp/r8b/config.json ]] || python3 tools/gpu/compare_transformers.py make-random8b /tmp/r8b > /dev/null 2>&1
echo "random 8B ready after $(( $(date +%s) - t0 )) s" | tee -a "$OUT/ab.log"
R2="$HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json"
for what in decode sweep; do
  for bin in "${BASES[@]}" "$B/bin/headkv"; do
    name=$(basename "$bin")
    "$bin" bench --model /tmp/r8b --head-scores "$R2" --runs "$RUNS" --what "$what" \
      --out "$OUT/${what}_$name.json" > "$OUT/${what}_$name.log" 2>&1
    echo "== $what $name rc=$?" | tee -a "$OUT/ab.log"
    grep -vE "^\s*$" "$OUT/${what}_$name.log" | tail -25 | tee -a "$OUT/ab.log"
  done
done
