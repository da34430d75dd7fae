#!/usr/bin/env bash
# Reproduces bench/RESULTS.md's M10 page on one GPU host from an unpacked bundle
# (scripts/bundle.sh --with-tests), one section per call or all of them:
#   tests    the GPU tests (kernels against their CPU references, the GPU engine against the CPU's)
#   bench    `headkv bench` on a random Llama-3-8B shape (ceilings, 8k prefill, decode at 8k, the
#            12-config sweep; medians of RUNS) and HF transformers (bench/hf_baseline.py) in the
#            same call
#   smollm2  bench/sweeps/smollm2_200.yaml through `headkv run`: one task per lease, batches of 8,
#            batches of 8 with prompts prepared ahead; SM busy share from nvidia-smi dmon; the
#            runs' predictions compared
#   r8b      bench/sweeps/r8b_200.yaml (218 tasks x 12 configs on the random 8B shape) the same
#            way, then HF generate()'s time for the same sweep (bench/hf_sweep_estimate.py)
#   r8b-random  the r8b sweep pair on random weights made by headkv itself (random:FOLDER from
#            bench/models/llama3-8b-shape; no transformers model to build): same shapes, same time
#   ab       the bench rows before and after in one call: scripts/gpu-m10-ab.sh with the bundle of
#            an earlier engine unpacked at $HKV_OLD_BUNDLE (cb3e77f: before M10 round 2; 96445fc:
#            before round 3) and HKV_AB_MODEL=random for headkv's own random weights (96445fc on)
#   cpu      the CPU engine against HF on PyTorch's CPU backend, 2 pinned threads
#   linear   the decode-step linear shapes at m = 1..16 through launch_linear and through cuBLAS
#            alone (`headkv bench --what linear`: where the small-M GEMV stops)
# HKV_SWEEP_RUNS=N repeats each whole sweep N times (medians; a SmolLM2 round takes ~75 s);
# HKV_SWEEP_VARIANTS="b8 b8a" runs only those variants; HKV_SWEEP_FIRST=K numbers the runs from K,
# so a sweep too long for one 10-minute call takes two calls into the same OUT (the medians then
# cover every run in OUT): the 8B pair as HKV_SWEEP_RUNS=3, then HKV_SWEEP_FIRST=4 HKV_SWEEP_RUNS=2.
# Usage: scripts/gpu-m10-page.sh BUNDLE OUT [tests|bench|linear|smollm2|r8b|r8b-random|ab|cpu|all]
#        [RUNS]
# Needs: python3 with torch + transformers (the GPU hosts have them); the SmolLM2 GGUF at
# ~/.cache/headkv/models for smollm2. /tmp/r8b is built once and reused.
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"; WHAT="${3:-all}"; RUNS="${4:-5}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0
export HEADKV_DATA_DIR="${HEADKV_DATA_DIR:-$PWD/data}"
LOG="$OUT/page.log"
log() { echo "$@" | tee -a "$LOG"; }
want() { [[ "$WHAT" == all || "$WHAT" == "$1" ]]; }
r8b() {
  [[ -f /tmp/r8b/config.json ]] || python3 tools/gpu/compare_transformers.py make-random8b /tmp/r8b \
    > "$OUT/make8b.log" 2>&1
  [[ -f /tmp/r8b/tokenizer.json ]] || python3 tools/gpu/compare_transformers.py \
    add-llama3-tokenizer /tmp/r8b
}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee -a "$LOG"

if want tests; then
  for t in hkv_gpu_engine_tests hkv_kernels_gpu_tests; do
    "$B/bin/$t" --gtest_brief=1 > "$OUT/$t.log" 2>&1
    log "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)' "$OUT/$t.log" | tr '\n' ' ')"
  done
fi

if want bench; then
  r8b
  R2="$HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json"
  "$B/bin/headkv" bench --model /tmp/r8b --head-scores "$R2" --runs "$RUNS" \
    --out "$OUT/headkv_bench.json" > "$OUT/bench.log" 2>&1
  log "headkv bench rc=$?"
  grep -vE '^\s*$' "$OUT/bench.log" | tail -n 25 | tee -a "$LOG"
  python3 bench/hf_baseline.py /tmp/r8b "$OUT/hf_baseline.json" --runs "$RUNS" 2>&1 \
    | grep -v Loading | tee -a "$LOG"
fi

if want linear; then
  "$B/bin/headkv" bench --what linear --model bench/models/llama3-8b-shape --random-weights \
    --runs "$RUNS" --out "$OUT/linear.json" > "$OUT/linear.log" 2>&1
  log "headkv bench --what linear rc=$?"
  tee -a "$LOG" < "$OUT/linear.log"
fi

# NAME SWEEP: one task per lease (b1), batches of 8 (b8), batches of 8 with the next lease's
# prompts prepared ahead on a CPU thread (b8a), HKV_SWEEP_RUNS times (default 1) in turn
# (HKV_SWEEP_VARIANTS picks some: "b8 b8a"), then the medians of each (wall, samples/hour,
# nvidia-smi dmon's and the worker's GPU busy share) and the first runs' predictions compared.
sweep_pair() {
  local name="$1" sweep="$2" runs="${HKV_SWEEP_RUNS:-1}" first="${HKV_SWEEP_FIRST:-1}" r v
  local variants=(${HKV_SWEEP_VARIANTS:-b1 b8 b8a})
  declare -A flags=([b1]="--batch-tasks 1 --prepare-ahead off"
                    [b8]="--batch-tasks 8 --prepare-ahead off"
                    [b8a]="--batch-tasks 8 --prepare-ahead on")
  for ((r = first; r < first + runs; r++)); do
    for v in "${variants[@]}"; do
      scripts/gpu-sweep-busy.sh "$B" "$OUT/${name}_${v}_r$r" "$sweep" ${flags[$v]} \
        | tee "$OUT/${name}_${v}_r$r.txt" | tee -a "$LOG"
    done
  done
  for v in "${variants[@]}"; do
    cat "$OUT/${name}_${v}"_r*.txt | python3 -c '
import re, statistics, sys
text = sys.stdin.read()
def med(pattern):
    xs = [float(x) for x in re.findall(pattern, text)]
    return "%.1f (of %d)" % (statistics.median(xs), len(xs)) if xs else "-"
wall, rate = med(r"([0-9.]+) s = "), med(r"= ([0-9]+) samples/hour")
dmon, gpu = med(r"mean ([0-9.]+)%"), med(r"GPU busy ([0-9.]+)%")
print("median over runs, %s: wall %s s, %s samples/hour, dmon SM busy %s%%, "
      "worker GPU busy %s%%" % (sys.argv[1], wall, rate, dmon, gpu))' "$v" | tee -a "$LOG"
  done
  local first="${variants[0]}" v2
  for v2 in "${variants[@]:1}"; do
    log "predictions, ${first} against ${v2}:"
    python3 scripts/compare-results.py "$OUT/${name}_${first}_r1/results.jsonl" \
      "$OUT/${name}_${v2}_r1/results.jsonl" | tee -a "$LOG"
  done
}

if want smollm2; then
  sweep_pair smollm2 bench/sweeps/smollm2_200.yaml
fi

if want r8b; then
  r8b
  sweep_pair r8b bench/sweeps/r8b_200.yaml
  python3 bench/hf_sweep_estimate.py /tmp/r8b "$OUT/r8b_b8a_r1/results.jsonl" "$OUT/hf_sweep.json" \
    2>&1 | grep '^HF' | tee -a "$LOG"
fi

if [[ "$WHAT" == ab ]]; then
  scripts/gpu-m10-ab.sh "${HKV_OLD_BUNDLE:?set HKV_OLD_BUNDLE to the old bundle}" "$B" "$OUT/ab" "$RUNS" \
    "${HKV_AB_MODEL:-r8b}"
fi

if [[ "$WHAT" == r8b-random ]]; then
  sweep_pair r8b_random "$(scripts/r8b-random-sweep.sh)"
fi

if want cpu; then
  [[ -f /tmp/rsm/config.json ]] || python3 tools/gpu/compare_transformers.py make-random-smollm2 \
    /tmp/rsm > "$OUT/makesm.log" 2>&1
  cores=$(nproc)
  pin="$((cores - 2)),$((cores - 1))"
  for n in 2518 8192; do
    taskset -c "$pin" env HEADKV_THREADS=2 "$B/bin/headkv" bench --device cpu --model /tmp/rsm \
      --tokens "$n" --runs "$RUNS" --out "$OUT/cpu_$n.json" > "$OUT/cpu_$n.log" 2>&1
    log "headkv cpu rc=$?: $(grep -E '^(SGEMM|prefill)' "$OUT/cpu_$n.log" | tr '\n' ' ')"
  done
  taskset -c "$pin" python3 bench/hf_cpu_baseline.py /tmp/rsm "$OUT/hf_cpu.json" \
    --tokens 2518,8192 --runs "$RUNS" --threads 2 2>&1 | grep '^HF' | tee -a "$LOG"
  lscpu | grep -E 'Model name|^CPU\(s\)' | tee -a "$LOG"
fi
