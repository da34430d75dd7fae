#!/usr/bin/env bash
# A coordinator outage during a sweep loses nothing: a coordinator and one CPU worker run a small
# BABILong sweep on the default model; once the worker is busy, the coordinator is kill -9'd and
# restarted on the same database and port HKV_OUTAGE_S seconds later (default 15; the closing
# note's 5-minute run used 300). The worker waits it out (capped backoff), keeps its finished
# result on disk until acknowledged, and the sweep ends with every task succeeded and every
# result stored once. Exits 77 (skip) without the default model.
# Usage: outage_e2e.sh PATH/TO/headkv
set -uo pipefail
HKV="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
MODEL="${HEADKV_CACHE:-$HOME/.cache/headkv}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -f "$MODEL" ]]; then echo "SKIP: $MODEL missing (scripts/fetch-assets.sh)"; exit 77; fi
OUTAGE_S="${HKV_OUTAGE_S:-15}"
W=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 30 "$W"/*.log; exit 1; }
export HEADKV_TOKEN=outage-secret
PORT=$((20000 + RANDOM % 20000))
CO="127.0.0.1:$PORT"
start_coordinator() {
  local before
  before=$(grep -c "listening" "$W/coordinator.log" 2>/dev/null)
  "$HKV" coordinator --db "$W/state.db" --port "$PORT" --heartbeat-ms 300 --lease-timeout-ms 2500 \
    >> "$W/coordinator.log" 2>&1 &
  COORD=$!; pids+=("$COORD")
  for _ in $(seq 50); do
    [[ $(grep -c "listening" "$W/coordinator.log") -gt ${before:-0} ]] && return 0
    sleep 0.2
  done
  fail "coordinator did not start"
}
start_coordinator
cat > "$W/sweep.yaml" <<YAML
name: outage
model: $MODEL
benchmarks:
  - {benchmark: babilong, datasets: [qa1, qa2], splits: [0k], limit: 3}
methods:
  - {method: FullKV}
  - {method: SnapKV, budgets: [64]}
YAML
"$HKV" submit "$W/sweep.yaml" --coordinator "$CO" || fail "submit"
"$HKV" worker --coordinator "$CO" --device cpu --exit-when-idle --spool-dir "$W/spool" \
  >> "$W/worker.log" 2>&1 &
WORKER=$!; pids+=("$WORKER")
for _ in $(seq 300); do grep -q "task=1 attempt=1 .* done" "$W/worker.log" && break; sleep 0.2; done
grep -q "task=1 attempt=1 .* done" "$W/worker.log" || fail "the worker finished no task"
echo "coordinator down for ${OUTAGE_S}s"
kill -9 "$COORD"; wait "$COORD" 2>/dev/null
sleep "$OUTAGE_S"
start_coordinator
echo "coordinator back"
for _ in $(seq 600); do kill -0 "$WORKER" 2>/dev/null || break; sleep 0.5; done
kill -0 "$WORKER" 2>/dev/null && fail "the worker did not finish"
wait "$WORKER"; rc=$?
[[ $rc -eq 0 ]] || fail "worker exited $rc"
line=$("$HKV" status 1 --coordinator "$CO" | head -n 1)
echo "$line"
grep -q "6/6 done, 0 running, 0 failed" <<< "$line" || fail "not every task succeeded"
rows=$(sqlite3 "$W/state.db" "select count(*) from results" 2>/dev/null || echo "?")
[[ "$rows" == 12 ]] || fail "expected 12 result rows (6 tasks x 2 configs), got $rows"
grep -c "trying again\|heartbeat:" "$W/worker.log" | xargs echo "worker calls that met the outage:"
[[ -z "$(ls -A "$W/spool")" ]] || fail "unacknowledged reports left in the spool: $(ls "$W/spool")"
"$HKV" results 1 --coordinator "$CO" > "$W/tables.md" || fail "results"
grep -q "qa1/0k" "$W/tables.md" || fail "tables lack the BABILong rows"
echo "PASS: a ${OUTAGE_S}s coordinator outage lost nothing (6 tasks, 12 results)"
