#!/usr/bin/env bash
# Verifies an engine change on one GPU and measures it against earlier builds in the same call:
#   tests    the GPU tests of BUNDLE (kernels, GPU engine, the worker's NVML meter)
#   prefill  `headkv bench --what prefill` (random Llama-3-8B shape, bf16, medians of RUNS) for each
#            build, then HF transformers + SDPA on the same shape (bench/hf_baseline.py
#            --random-weights --prefill-only: all logits, and the last position's as generate() does)
#   decode   `headkv bench --what decode` (batch 1, FullKV at 8k: ms per step against the copy
#            bandwidth, the weight GEMVs alone) for each build
#   linear   `headkv bench --what linear` (the decode GEMMs, launch_linear vs cuBLAS) for each build
#   sweep    `headkv bench --what sweep` (the 12-config sweep on one 8k sample) for each build,
#            without its one-config-at-a-time comparison where the build can skip it, then one
#            config through HF generate() on the same shape (bench/hf_baseline.py --random-weights)
#   detect   `heads detect` on the SmolLM2 GGUF (bf16) for both kinds, compared byte for byte with
#            the shipped score files (head_scores/data; needs the GGUF in ~/.cache/headkv/models)
#   whole    the SmolLM2 whole sweep (bench/sweeps/smollm2_200.yaml, batches of 8, prompts prepared
#            ahead) through each build's `headkv run`, RUNS times interleaved (needs the GGUF)
#   whole8b  bench/sweeps/r8b_200.yaml (218 tasks x 12 configs) on headkv's own random weights of the
#            Llama-3-8B shape, the same way (both: HKV_SWEEP_FIRST=K numbers the runs from K)
#   trace    one such whole sweep per build under headkv's CUPTI tracer (gpu_trace/, BUNDLE's
#            lib/libhkv_gpu_trace.so): busy share, idle gaps by length and by the host call in
#            flight, device time by kernel, as OUT/trace_NAME.txt
#   hfsweep  what the whole sweeps above (the new build's first run of `whole` and `whole8b`) would
#            take through HF generate(), config by config (bench/hf_sweep_estimate.py: a timed
#            subset, extrapolated; SmolLM2 on a random SmolLM2-shaped HF model, the 8B shape on
#            random weights built on the GPU)
#   cpu      the CPU engine against HF on PyTorch's CPU backend, 2 pinned threads, BUNDLE only
#            (scripts/gpu-m10-page.sh's cpu section, into OUT/cpu)
#   nsys     one such whole sweep per build under Nsight Systems (when the host has nsys): CUDA API,
#            kernel and memory-copy summaries as OUT/nsys_NAME_*.csv, and where the GPU idles
# Usage: scripts/gpu-verify.sh BUNDLE OUT "STEP [STEP...]" [RUNS]
#   HKV_BASELINES="name=/path/to/headkv ..." adds earlier builds' headkv binaries (run with BUNDLE's
#   lib/, as every build links headkv's own code statically); BUNDLE's own is "new".
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"; STEPS=" $3 "; RUNS="${4:-5}"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0 HEADKV_DATA_DIR="${HEADKV_DATA_DIR:-$PWD/data}"
# A baseline may be a build-tree binary, whose RPATH names this machine's build folders.
export LD_LIBRARY_PATH="$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
LOG="$OUT/verify.log"
log() { echo "$@" | tee -a "$LOG"; }
want() { [[ "$STEPS" == *" $1 "* ]]; }
secs() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
declare -A EXE=()
NAMES=()
for nb in ${HKV_BASELINES:-}; do
  name="${nb%%=*}"; mkdir -p "$OUT/builds/$name/bin"
  ln -sfn "$B/lib" "$OUT/builds/$name/lib"; cp "${nb#*=}" "$OUT/builds/$name/bin/headkv"
  EXE[$name]="$OUT/builds/$name/bin/headkv"; NAMES+=("$name")
done
EXE[new]="$B/bin/headkv"; NAMES+=(new)
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee -a "$LOG"
for n in "${NAMES[@]}"; do log "$n: $("${EXE[$n]}" --version)"; done
M=(--model bench/models/llama3-8b-shape --random-weights)
R2="$HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json"
G=~/.cache/headkv/models/SmolLM2-135M-Instruct.Q4_1.gguf
if want tests; then
  for t in hkv_kernels_gpu_tests hkv_gpu_engine_tests hkv_worker_gpu_tests; do
    "$B/bin/$t" --gtest_brief=1 > "$OUT/$t.log" 2>&1
    log "$t rc=$? $(grep -E '^\[  (PASSED|FAILED)' "$OUT/$t.log" | tr '\n' ' ')"
    grep -E '^\[  FAILED' "$OUT/$t.log" | head -5 | tee -a "$LOG"
  done
fi
for what in prefill decode linear sweep; do
  want "$what" || continue
  for n in "${NAMES[@]}"; do
    args=("${M[@]}" --what "$what" --runs "$RUNS" --out "$OUT/${what}_$n.json")
    [[ $what == linear ]] || args+=(--head-scores "$R2")
    # The one-config-at-a-time comparison takes ~9x the shared sweep: skipped where the build can
    # (HKV_ONE_BY_ONE=1 keeps it).
    if [[ $what == sweep && -z "${HKV_ONE_BY_ONE:-}" ]] &&
      "${EXE[$n]}" bench --help 2>/dev/null | grep -q -- --no-one-by-one; then
      args+=(--no-one-by-one)
    fi
    t0=$(date +%s%N)
    "${EXE[$n]}" bench "${args[@]}" > "$OUT/${what}_$n.log" 2>&1
    rc=$?
    case $what in
      linear) line=$(awk '$2=="sum"{printf "m%s %s/%s  ", $1, $3, $4}' "$OUT/${what}_$n.log") ;;
      *) line=$(grep -E '^(ceilings|prefill|decode|sweep|12-config)' "$OUT/${what}_$n.log" | tr '\n' ' ') ;;
    esac
    log "$what $n rc=$rc ($(secs "$t0") s): $line"
  done
  if [[ $what == prefill ]]; then
    python3 bench/hf_baseline.py bench/models/llama3-8b-shape "$OUT/hf_prefill.json" \
      --random-weights --prefill-only --runs "$RUNS" 2>&1 | grep '^HF' | tee -a "$LOG"
  elif [[ $what == sweep ]]; then
    # One config through HF generate() (8k prompt, 128 new tokens): the sweep's HF cost is 12 of
    # these, as HF keeps the full cache.
    python3 bench/hf_baseline.py bench/models/llama3-8b-shape "$OUT/hf_generate.json" \
      --random-weights --runs "$RUNS" 2>&1 | grep '^HF' | tee -a "$LOG"
  fi
done
if want detect; then
  for kind in retrieval retrieval-reasoning; do
    extra=(); [[ $kind == retrieval-reasoning ]] && extra=(--min-score -1)
    t0=$(date +%s%N)
    "$B/bin/headkv" heads detect --model "$G" --kind "$kind" --device cuda:0 --dtype bf16 \
      "${extra[@]}" --out "$OUT/detect_$kind.json" > "$OUT/detect_$kind.log" 2>&1
    rc=$?
    shipped="head_scores/data/SmolLM2-135M-Instruct_${kind//-/_}_heads.json"
    same=$(cmp -s "$shipped" "$OUT/detect_$kind.json" && echo identical || echo DIFFERENT)
    log "detect $kind rc=$rc ($(secs "$t0") s): $same to the shipped file"
  done
fi
# STEP SWEEP: RUNS whole sweeps per build, interleaved, into OUT/STEP_NAME_rK (batches of 8, prompts
# prepared ahead). HKV_SWEEP_FIRST=K numbers the runs from K, so runs too long for one call go to
# the same OUT over several calls. Only the new build's first run keeps its rows (for hfsweep).
whole_runs() {
  local step="$1" sweep="$2" r n
  for ((r = ${HKV_SWEEP_FIRST:-1}; r < ${HKV_SWEEP_FIRST:-1} + RUNS; r++)); do
    for n in "${NAMES[@]}"; do
      scripts/gpu-sweep-busy.sh "$(dirname "$(dirname "${EXE[$n]}")")" "$OUT/${step}_${n}_r$r" \
        "$sweep" --batch-tasks 8 --prepare-ahead on | tee -a "$LOG"
      [[ $n == new && $r == 1 ]] || rm -f "$OUT/${step}_${n}_r$r/results.jsonl"
    done
  done
}
if want whole; then
  whole_runs whole bench/sweeps/smollm2_200.yaml
fi
if want whole8b; then
  # On random weights made by headkv itself (random:FOLDER): the 8B model's shapes and time.
  whole_runs whole8b "$(scripts/r8b-random-sweep.sh)"
fi
if want hfsweep; then
  if [[ -f $OUT/whole_new_r1/results.jsonl ]]; then
    [[ -f /tmp/rsm/config.json ]] || python3 tools/gpu/compare_transformers.py make-random-smollm2 \
      /tmp/rsm > "$OUT/make_rsm.log" 2>&1
    python3 bench/hf_sweep_estimate.py /tmp/rsm "$OUT/whole_new_r1/results.jsonl" \
      "$OUT/hf_sweep_smollm2.json" 2>&1 | grep '^HF' | sed 's/^/smollm2 /' | tee -a "$LOG"
  fi
  if [[ -f $OUT/whole8b_new_r1/results.jsonl ]]; then
    python3 bench/hf_sweep_estimate.py bench/models/llama3-8b-shape \
      "$OUT/whole8b_new_r1/results.jsonl" "$OUT/hf_sweep_r8b.json" --random-weights 2>&1 |
      grep '^HF' | sed 's/^/r8b /' | tee -a "$LOG"
  fi
  [[ -f $OUT/whole_new_r1/results.jsonl || -f $OUT/whole8b_new_r1/results.jsonl ]] ||
    log "hfsweep: no whole or whole8b run of the new build in $OUT (run those steps first)"
fi
# One SmolLM2 whole sweep through a build's `headkv run` (the profiled runs below; add --out).
SMOLLM2_RUN=(run bench/sweeps/smollm2_200.yaml --device cuda:0 --batch-tasks 8 --prepare-ahead on)
if want trace; then
  for n in "${NAMES[@]}"; do
    rm -rf "$OUT/trace_run"
    t0=$(date +%s%N)
    CUDA_INJECTION64_PATH="$B/lib/libhkv_gpu_trace.so" HKV_TRACE_OUT="$OUT/trace_$n.txt" \
      "${EXE[$n]}" "${SMOLLM2_RUN[@]}" --out "$OUT/trace_run" > "$OUT/trace_$n.log" 2>&1
    rc=$?
    log "trace $n rc=$rc ($(secs "$t0") s): $(grep -E 'GPU busy' "$OUT/trace_$n.log" | head -1)"
    sed -n '1,40p' "$OUT/trace_$n.txt" 2>&1 | tee -a "$LOG"
    rm -rf "$OUT/trace_run"
  done
fi
if want cpu; then
  scripts/gpu-m10-page.sh "$B" "$OUT/cpu" cpu "$RUNS" | tee -a "$LOG"
fi
if want nsys && ! command -v nsys > /dev/null; then
  log "nsys: not on this host (session 13's H100 host had ncu only)"
elif want nsys; then
  for n in "${NAMES[@]}"; do
    rm -rf "$OUT/nsys_run"
    t0=$(date +%s%N)
    nsys profile -t cuda --cuda-graph-trace=node -s none --cpuctxsw=none -o "$OUT/nsys_$n" -f true \
      "${EXE[$n]}" "${SMOLLM2_RUN[@]}" --out "$OUT/nsys_run" > "$OUT/nsys_$n.log" 2>&1
    rc=$?
    nsys stats -q --report cuda_api_sum,cuda_gpu_kern_sum,cuda_gpu_mem_time_sum --format csv \
      -o "$OUT/nsys_$n" "$OUT/nsys_$n.nsys-rep" > /dev/null 2>&1
    python3 scripts/nsys_summary.py "$OUT/nsys_$n" | tee -a "$LOG"
    log "nsys $n rc=$rc ($(secs "$t0") s)"
    rm -rf "$OUT/nsys_run" "$OUT/nsys_$n.nsys-rep" "$OUT/nsys_$n.sqlite"
  done
fi
