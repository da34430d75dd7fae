#!/usr/bin/env bash
# M11 checks on a GPU host from an unpacked bundle (scripts/bundle.sh --with-tests):
#   1. the GPU tests, the tensor-parallel ones included (NCCL as a group of one on one GPU; TP = 2
#      against TP = 1 when two or more GPUs are visible);
#   2. `headkv bench` on a Llama-3-8B shape with --random-weights (config.json only, no weight
#      files), against the same shape's safetensors when /tmp/r8b exists: same shapes, so the same
#      speed;
#   3. `headkv bench --tp 1`: the tensor-parallel engine's path through NCCL on one GPU.
# Usage: scripts/gpu-m11.sh BUNDLE OUT
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0
export HEADKV_DATA_DIR="${HEADKV_DATA_DIR:-$PWD/data}"
LOG="$OUT/m11.log"
log() { echo "$@" | tee -a "$LOG"; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee -a "$LOG"
for t in hkv_gpu_engine_tests hkv_kernels_gpu_tests; do
  "$B/bin/$t" --gtest_brief=1 > "$OUT/$t.log" 2>&1
  log "$t rc=$? $(grep -E '^\[  (PASSED|FAILED|SKIPPED)' "$OUT/$t.log" | tr '\n' ' ')"
done
grep -E 'Nccl|TensorParallel' "$OUT/hkv_gpu_engine_tests.log" | tee -a "$LOG"
mkdir -p /tmp/r8b-config && cp bench/models/llama3-8b-shape/config.json /tmp/r8b-config/
HKV_TP_COMPARE_MODEL=random:/tmp/r8b-config "$B/bin/hkv_gpu_engine_tests" \
  --gtest_filter='*Nccl*:*TensorParallel*' > "$OUT/tp_tests.log" 2>&1
log "tensor-parallel GPU tests rc=$?: $(grep -cE '^\[       OK' "$OUT/tp_tests.log") ok, $(grep -cE '^\[  SKIPPED' "$OUT/tp_tests.log") skipped lines"
grep -E '^\[ +(OK|FAILED|SKIPPED) +\]' "$OUT/tp_tests.log" | tee -a "$LOG"

start=$(date +%s)
"$B/bin/headkv" bench --model /tmp/r8b-config --random-weights --what prefill --runs 3 \
  --out "$OUT/bench_random.json" > "$OUT/bench_random.log" 2>&1
log "bench --random-weights rc=$? in $(($(date +%s) - start)) s: $(grep -E '^(model|prefill)' "$OUT/bench_random.log" | tr '\n' ' ')"
if [[ -f /tmp/r8b/config.json ]]; then
  "$B/bin/headkv" bench --model /tmp/r8b --what prefill --runs 3 --out "$OUT/bench_st.json" \
    > "$OUT/bench_st.log" 2>&1
  log "bench safetensors rc=$?: $(grep -E '^(model|prefill)' "$OUT/bench_st.log" | tr '\n' ' ')"
fi

# The tensor-parallel bench path at TP = 1 (NCCL as a group of one) on the same shape, contiguous and
# balanced placement (one rank: the same work, a smoke test of the path and its overhead).
R2="$HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json"
"$B/bin/headkv" bench --model /tmp/r8b-config --random-weights --tp 1 --runs 2 --new-tokens 32 \
  --head-scores "$R2" --out "$OUT/bench_tp1.json" > "$OUT/bench_tp1.log" 2>&1
log "bench --tp 1 rc=$?"
tee -a "$LOG" < "$OUT/bench_tp1.log"
# On 2+ GPUs: the 70B shape at TP = all GPUs (4 or 8) with balanced vs contiguous placement, and
# --device all against one GPU on the 8B sweep (throughput per added GPU).
gpus=$(nvidia-smi -L | wc -l)
if (( gpus >= 4 )); then
  mkdir -p /tmp/r70b-config && cp bench/models/llama3-70b-shape/config.json /tmp/r70b-config/
  # No published scores exist for a 70B shape: a synthetic file stretches Llama-3-8B's R2 scores
  # (layer l <- 8B layer l*32/80, head h <- 8B head h/2) so the per-head budgets are as uneven.
  python3 - "$R2" /tmp/r70b-config/r2_stretched.json <<'PY'
import gzip, json, os, sys
p = sys.argv[1]
src = json.load(open(p) if os.path.exists(p) else gzip.open(p + ".gz"))
out = {f"{l}-{h}": src[f"{l * 32 // 80}-{h // 2}"] for l in range(80) for h in range(64)}
json.dump(out, open(sys.argv[2], "w"))
PY
  "$B/bin/headkv" bench --model /tmp/r70b-config --random-weights --tp "$gpus" --runs 3 \
    --head-scores /tmp/r70b-config/r2_stretched.json --out "$OUT/bench_70b_tp$gpus.json" \
    > "$OUT/bench_70b.log" 2>&1
  log "bench 70B --tp $gpus rc=$?"
  tee -a "$LOG" < "$OUT/bench_70b.log"
fi
if (( gpus >= 2 )); then
  R8B=$(scripts/r8b-random-sweep.sh)
  for dev in cuda:0 all; do
    start=$(date +%s)
    "$B/bin/headkv" run "$R8B" --device "$dev" --out "$OUT/run_$dev" > "$OUT/run_$dev.log" 2>&1
    log "run --device $dev rc=$? in $(($(date +%s) - start)) s"
  done
  python3 scripts/compare-results.py "$OUT/run_cuda:0/results.jsonl" "$OUT/run_all/results.jsonl" \
    | head -3 | tee -a "$LOG"
fi
log "done"
