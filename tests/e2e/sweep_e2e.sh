#!/usr/bin/env bash
# End-to-end sweep test with real processes on 127.0.0.1 (ctest label `e2e`, about a minute):
#   1. a coordinator and 2 CPU workers run SnapKV/PyramidKV/Ada-SnapKV x B 64,128 over BABILong
#      qa1+qa2 (2 samples each); a worker is kill -9'd mid-task and replaced, the coordinator is
#      kill -9'd and restarted on the same DB; the results are complete, without duplicates, and
#      identical to `headkv eval` running each config alone;
#   2. `submit` rejects a sweep whose data file does not exist, naming it, before queuing; submitted
#      with --skip-data-check, its task always fails and ends failed with its error while the
#      others complete;
#   3. malformed sweep files are rejected naming the field; a wrong token is UNAUTHENTICATED;
#   4. a head-detection sweep (both kinds) over two workers writes the score files `headkv heads
#      detect` writes for the same grid, byte for byte.
# Usage: sweep_e2e.sh HEADKV_BINARY   (needs the default model, from scripts/fetch-assets.sh;
# exits 77 = skipped without it). Data: the repository's data/ (the shipped slices).
set -uo pipefail
HKV="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
MODEL="${HEADKV_CACHE:-$HOME/.cache/headkv}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -f "$MODEL" ]]; then echo "SKIP: $MODEL missing (scripts/fetch-assets.sh)"; exit 77; fi
unset HEADKV_DATA_DIR
W=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$W"/*.log 2>/dev/null; exit 1; }
export HEADKV_TOKEN=e2e-secret
PORT=$((20000 + RANDOM % 20000))
CO="127.0.0.1:$PORT"

start_coordinator() {
  "$HKV" coordinator --db "$W/state.db" --port "$PORT" --heartbeat-ms 300 --lease-timeout-ms 2500 \
    --max-attempts 4 >> "$W/coordinator.log" 2>&1 &
  COORD=$!; pids+=("$COORD")
  for _ in $(seq 50); do grep -q "listening" "$W/coordinator.log" && return 0; sleep 0.2; done
  fail "coordinator did not start"
}
start_worker() {
  "$HKV" worker --coordinator "$CO" --device cpu --exit-when-idle >> "$W/worker$1.log" 2>&1 &
  pids+=("$!"); eval "WORKER$1=$!"
}
progress() { "$HKV" status "$1" --coordinator "$CO" 2>&1 | head -n 1; }

cat > "$W/sweep.yaml" <<YAML
name: e2e
model: $MODEL
benchmarks:
  - benchmark: babilong
    datasets: [qa1, qa2]
    splits: [0k]
    limit: 2
methods:
  - method: SnapKV
    budgets: [64, 128]
  - method: PyramidKV
    budgets: [64, 128]
  - method: Ada-SnapKV
    budgets: [64, 128]
YAML

start_coordinator
# --- bad input -----------------------------------------------------------------------------------
printf 'name: x\nmodel: m\nbenchmarks: [{benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}]\nmethods: [{method: CopyKV}]\n' > "$W/bad1.yaml"
printf 'name: x\nmodel: m\nbenchmarks: [{benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}]\nmethods: [{method: HeadKV-R2, budgets: [128], betas: [0.5], head_scores: reasoning}]\n' > "$W/bad2.yaml"
printf 'name: x\nbenchmarks: [{benchmark: babilong, datasets: [qa1], splits: [0k], limit: 1}]\nmethods: [{method: FullKV}]\n' > "$W/bad3.yaml"
printf 'name: [unclosed\n' > "$W/bad4.yaml"
declare -A expect=([1]='methods\[0\]\.method' [2]='betas\[0\]' [3]='model: required' [4]='YAML')
for f in 1 2 3 4; do
  out=$("$HKV" submit "$W/bad$f.yaml" --coordinator "$CO" 2>&1) && fail "bad$f.yaml was accepted"
  echo "rejected bad$f.yaml: $out"
  grep -q "${expect[$f]}" <<< "$out" || fail "bad$f.yaml: the error does not name the field"
done
out=$(HEADKV_TOKEN=wrong "$HKV" status --coordinator "$CO" 2>&1)
grep -q UNAUTHENTICATED <<< "$out" || fail "wrong token accepted: $out"
echo "ok: bad input rejected, wrong token UNAUTHENTICATED"

# --- the sweep with faults ------------------------------------------------------------------------
"$HKV" submit "$W/sweep.yaml" --coordinator "$CO" | tee "$W/submit.txt" || fail "submit"
start_worker 1
start_worker 2
# Kill worker 1 while it holds a task, twice, replacing it each time.
for round in 1 2; do
  for _ in $(seq 100); do grep -q "task=" "$W/coordinator.log" "$W/worker1.log" 2>/dev/null; \
    "$HKV" workers --coordinator "$CO" 2>/dev/null | grep -q "busy" && break; sleep 0.2; done
  kill -9 "$WORKER1" 2>/dev/null && echo "killed worker 1 (round $round)"
  start_worker 1
done
# Kill the coordinator mid-sweep and restart it on the same DB and port.
sleep 1
kill -9 "$COORD"; echo "killed coordinator"; sleep 1
start_coordinator
echo "restarted coordinator"
for _ in $(seq 600); do
  line=$(progress 1)
  echo "$line" | grep -q "4/4 done" && break
  sleep 1
done
echo "$line"
echo "$line" | grep -q "4/4 done" || fail "sweep did not complete"
echo "$line" | grep -q "0 failed" || fail "tasks failed"
"$HKV" results 1 --coordinator "$CO" --format json --out "$W/sweep_tables" > "$W/results.json" || fail "results"
# The tidy export re-derives the paper table exactly (csv module only, no pandas).
python3 "$(dirname "$0")/../../scripts/check-tidy.py" "$W/sweep_tables/tidy.csv" \
  "$W/sweep_tables/tables.csv" || fail "tidy.csv does not re-derive tables.csv"
rows=$(sqlite3 "$W/state.db" "select count(*) from results r join tasks t on t.id = r.task_id where t.sweep_id = 1" 2>/dev/null || echo "?")
echo "result rows: $rows (expected 4 tasks x 6 configs = 24)"
[[ "$rows" == "24" || "$rows" == "?" ]] || fail "expected 24 result rows, got $rows"

# --- the same configs one at a time with headkv eval ----------------------------------------------
for m in SnapKV PyramidKV Ada-SnapKV; do
  for b in 64 128; do
    "$HKV" eval --device cpu --model "$MODEL" --benchmark babilong --datasets qa1,qa2 --splits 0k --limit 2 \
      --method "$m" --budget "$b" --out "$W/eval_${m}_$b" > /dev/null 2>> "$W/eval.log" || fail "eval $m $b"
    cat "$W/eval_${m}_$b/predictions.jsonl" >> "$W/eval_all.jsonl"
  done
done
# Compare (config, sample) -> prediction between the sweep and the evals.
"$HKV" results 1 --coordinator "$CO" --format csv > "$W/sweep.csv"
python_free_compare() {
  # sweep predictions from the DB; eval predictions from the JSONL (both keyed by sample + config)
  sqlite3 -separator $'\t' "$W/state.db" "select t.dataset || '/' || t.sample_key, c.config_json, r.prediction from results r join tasks t on t.id=r.task_id join task_configs c on c.task_id=r.task_id and c.config_index=r.config_index order by 1,2" > "$W/sweep_preds.tsv"
}
if command -v sqlite3 >/dev/null; then
  python_free_compare
  n_sweep=$(wc -l < "$W/sweep_preds.tsv")
  n_eval=$(wc -l < "$W/eval_all.jsonl")
  echo "sweep predictions: $n_sweep, eval predictions: $n_eval"
  [[ "$n_sweep" == "$n_eval" ]] || fail "prediction counts differ"
  # Every eval prediction text must appear for the same sample in the sweep.
  while IFS= read -r line; do
    key=$(echo "$line" | sed -E 's/.*"dataset":"([^"]*)".*"sample_key":"([^"]*)".*/\1\/\2/')
    pred=$(echo "$line" | sed -E 's/.*"prediction":"(([^"\\]|\\.)*)".*/\1/')
    grep -F "$key" "$W/sweep_preds.tsv" | grep -qF -- "$(printf '%b' "$pred")" || fail "eval prediction for $key not in sweep: $pred"
  done < "$W/eval_all.jsonl"
  echo "ok: sweep predictions identical to per-config headkv eval"
fi

# --- a task that always fails --------------------------------------------------------------------
cat > "$W/failing.yaml" <<YAML
name: failing
model: $MODEL
benchmarks:
  - benchmark: longbench
    datasets: [narrativeqa]
    limit: 1
  - benchmark: babilong
    datasets: [qa1]
    splits: [0k]
    limit: 1
methods:
  - method: FullKV
YAML
out=$("$HKV" submit "$W/failing.yaml" --coordinator "$CO" 2>&1) && fail "a sweep with a missing data file was queued"
grep -q "longbench/narrativeqa.jsonl" <<< "$out" || fail "the rejection does not name the missing file: $out"
echo "ok: submit rejected the missing data file before queuing"
"$HKV" submit "$W/failing.yaml" --coordinator "$CO" --skip-data-check || fail "submit failing"
start_worker 3
for _ in $(seq 300); do line=$(progress 2); echo "$line" | grep -q "2/2 done" && break; sleep 1; done
echo "$line"
echo "$line" | grep -q "1 failed" || fail "the always-failing task did not end failed"
sqlite3 "$W/state.db" "select last_error from tasks where sweep_id = 2 and state = 'failed'" 2>/dev/null | head -c 300; echo
grep -q "prefills" <<< "$line" || fail "status does not report prefills"

# --- head detection as sweep work ----------------------------------------------------------------
# Both kinds over a small grid, spread over two workers; the score files `headkv results` writes
# must equal, byte for byte, what `headkv heads detect` writes for the same grid.
cat > "$W/heads.yaml" <<YAML
name: heads
model: $MODEL
benchmarks:
  - {benchmark: heads, datasets: [retrieval], lengths: [0, 300], depths: 2}
  - {benchmark: heads, datasets: [retrieval-reasoning], lengths: [0, 300], depths: 2, min_score: -1}
YAML
"$HKV" submit "$W/heads.yaml" --coordinator "$CO" | tee "$W/heads_submit.txt" || fail "submit heads"
grep -q "20 tasks x 1 configs" "$W/heads_submit.txt" || fail "heads sweep: expected 20 tasks x 1 config"
start_worker 4
start_worker 5
for _ in $(seq 600); do line=$(progress 3); echo "$line" | grep -q "20/20 done" && break; sleep 1; done
echo "$line"
echo "$line" | grep -q "20/20 done, 0 running, 0 failed" || fail "heads sweep did not complete"
"$HKV" results 3 --coordinator "$CO" --out "$W/heads_tables" > "$W/heads_tables.md" || fail "heads results"
grep -A4 "Head detection" "$W/heads_tables.md"
for kind in retrieval retrieval-reasoning; do
  min=50; [[ $kind == retrieval-reasoning ]] && min=-1
  if "$HKV" heads detect --device cpu --model "$MODEL" --kind "$kind" --lengths 0,300 --depths 2 \
      --min-score "$min" --out "$W/detect_$kind.json" > "$W/detect_$kind.log" 2>&1; then
    cmp "$W/detect_$kind.json" "$W/heads_tables/heads_$kind.json" || fail "$kind: sweep score file differs from heads detect"
    echo "ok: $kind score file from the sweep == heads detect ($(head -c 60 "$W/detect_$kind.json")...)"
  else
    grep -q "none of the" "$W/detect_$kind.log" || fail "heads detect $kind: $(tail -n 3 "$W/detect_$kind.log")"
    grep -q "no $kind test was kept" "$W/heads_tables.md" || fail "$kind: sweep wrote a file heads detect did not"
    echo "ok: $kind kept no test, in the sweep and in heads detect"
  fi
done
echo "PASS"
