#!/usr/bin/env bash
# A whole sweep on one GPU, end to end through `headkv run` (M10's "a GPU that never waits"), with
# `nvidia-smi dmon` sampling the SMs' busy share every second. Prints wall time, samples per hour,
# the mean SM busy share over the run and the worker's own figure (the driver's utilization samples
# over its run, from `headkv run`); keeps run.log, dmon.log, tables.md and results.jsonl.
# Usage: scripts/gpu-sweep-busy.sh BUNDLE OUT [SWEEP_YAML [headkv run flags...]]
#   default sweep: bench/sweeps/smollm2_200.yaml (needs the SmolLM2 GGUF at ~/.cache/headkv/models)
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"; SWEEP="${3:-bench/sweeps/smollm2_200.yaml}"
shift $(( $# < 3 ? $# : 3 ))
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0
D="$OUT/run"; rm -rf "$D"
nvidia-smi dmon -s u -d 1 > "$OUT/dmon.log" 2>&1 &
dmon=$!
t0=$(date +%s.%N)
"$B/bin/headkv" run "$SWEEP" --device cuda:0 --out "$D" "$@" > "$OUT/run.log" 2>&1
rc=$?
t1=$(date +%s.%N)
kill "$dmon" 2>/dev/null
wait "$dmon" 2>/dev/null
tasks=$(grep -c ' done in' "$OUT/run.log")
failed=$(grep -c ' failed in' "$OUT/run.log")
awk -v a="$t0" -v b="$t1" -v n="$tasks" -v f="$failed" -v rc="$rc" -v s="$SWEEP $*" 'BEGIN {
  printf "%s: rc=%d, %d tasks done, %d failed, %.1f s = %.0f samples/hour\n", s, rc, n, f, b - a, n * 3600 / (b - a) }'
# dmon columns: gpu sm mem enc dec ...; the mean of the samples taken while the run was going.
awk '$1 ~ /^[0-9]+$/ { n++; sm += $2 } END { if (n) printf "  SM busy (nvidia-smi dmon, %d samples): mean %.1f%%\n", n, sm / n }' "$OUT/dmon.log"
grep -hE 'GPU busy|: prompts ' "$OUT/run.log" | sed 's/^/  /'
cp "$D/tables.md" "$D/results.jsonl" "$OUT/" 2>/dev/null
rm -rf "$D"
exit $rc
