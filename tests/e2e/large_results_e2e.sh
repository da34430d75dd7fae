#!/usr/bin/env bash
# A 150k-result sweep is read back in full (M14). `headkv load-bench` fills a database through
# gRPC: a needle grid of 15,000 tasks x 10 configs, 16 simulated workers reporting a result per
# config. Then `headkv coordinator` serves that database and `headkv results --out` fetches every
# row (paged GetResults, each page far below gRPC's 4 MiB limit) into results.jsonl: 150,000
# lines, each (sample, config) once.
# Usage: large_results_e2e.sh PATH/TO/headkv
set -uo pipefail
HKV="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
W=$(mktemp -d)
COORD=
cleanup() { [[ -n "$COORD" ]] && kill "$COORD" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$W"/*.log; exit 1; }
"$HKV" load-bench --tasks 15000 --configs 10 --workers 16 --work-ms 0 --seconds 600 --dir "$W" \
  > "$W/load.log" 2>&1 || fail "load-bench"
tail -n 1 "$W/load.log"
export HEADKV_TOKEN=load  # load-bench's token
PORT=$((20000 + RANDOM % 20000))
"$HKV" coordinator --db "$W/load.db" --port "$PORT" > "$W/coordinator.log" 2>&1 &
COORD=$!
for _ in $(seq 50); do grep -q "listening" "$W/coordinator.log" && break; sleep 0.2; done
grep -q "listening" "$W/coordinator.log" || fail "coordinator did not start"
status=$("$HKV" status 1 --coordinator "127.0.0.1:$PORT" | head -n 1)
echo "$status"
grep -q "15000/15000 done, 0 running, 0 failed" <<< "$status" || fail "sweep not complete: $status"
"$HKV" results 1 --coordinator "127.0.0.1:$PORT" --out "$W/out" > "$W/tables.md" 2> "$W/results.log" ||
  fail "results"
cat "$W/results.log"
rows=$(wc -l < "$W/out/results.jsonl")
[[ "$rows" -eq 150000 ]] || fail "results.jsonl has $rows rows, expected 150000"
python3 - "$W/out/results.jsonl" <<'PY' || fail "rows are not 15,000 samples x 10 configs, each once"
import json, sys
keys = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    keys.add((r["dataset"], r["sample_key"], r["config"]))
configs = {k[2] for k in keys}
assert len(keys) == 150000 and len(configs) == 10, (len(keys), len(configs))
PY
grep -q "Needle-in-a-haystack" "$W/tables.md" || fail "no needle table"
echo "PASS: 150000 result rows read back"
