#!/usr/bin/env bash
# A whole sweep on one GPU, end to end through `headkv run` (M10's "a GPU that never waits"):
# bench/sweeps/smollm2_200.yaml (210 tasks x 9 configs on SmolLM2-135M) with `nvidia-smi dmon`
# sampling the SMs' busy share every second. Prints wall time, samples per hour, the mean SM
# busy share over the run and the worker's own busy share (its last heartbeats, from the log).
# Needs the SmolLM2 GGUF at ~/.cache/headkv/models. Usage: scripts/gpu-sweep-busy.sh BUNDLE OUT
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"
mkdir -p "$OUT"
export NCCL_NVLS_ENABLE=0
D=/tmp/hkv-busy; rm -rf "$D"
nvidia-smi dmon -s u -d 1 > "$OUT/dmon.log" 2>&1 &
dmon=$!
t0=$(date +%s.%N)
"$B/bin/headkv" run bench/sweeps/smollm2_200.yaml --device cuda:0 --out "$D" > "$OUT/run.log" 2>&1
rc=$?
t1=$(date +%s.%N)
kill "$dmon" 2>/dev/null
wait "$dmon" 2>/dev/null
tasks=$(grep -c 'done in' "$OUT/run.log")
awk -v a="$t0" -v b="$t1" -v n="$tasks" -v rc="$rc" 'BEGIN {
  printf "run rc=%d: %d tasks in %.1f s = %.0f samples/hour\n", rc, n, b - a, n * 3600 / (b - a) }'
# dmon columns: gpu sm mem enc dec ...; the mean of the samples taken while the run was going.
awk '$1 ~ /^[0-9]+$/ { n++; sm += $2 } END { if (n) printf "SM busy (nvidia-smi dmon, %d samples): mean %.1f%%\n", n, sm / n }' "$OUT/dmon.log"
cp "$D/tables.md" "$OUT/" 2>/dev/null
