#!/usr/bin/env bash
# `headkv run` on a fresh clone's data: (1) with one shipped data file removed, the default sweep
# is rejected before anything is queued, naming the file; (2) a sweep whose tasks all fail exits
# non-zero and prints, and writes into tables.md/.json/.csv, the failures grouped by cause.
# The binary is copied into an install layout (bin/ + share/headkv/data), which it searches for
# its shipped data, so the repository itself is never modified.
# Usage: data_check_e2e.sh PATH/TO/headkv
set -euo pipefail
HKV_SRC=$(readlink -f "$1")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset HEADKV_DATA_DIR
export HEADKV_CACHE="$T/cache"
mkdir -p "$T/inst/bin" "$T/inst/share/headkv" "$HEADKV_CACHE/models"
cp "$HKV_SRC" "$T/inst/bin/headkv"
cp -r "$REPO/data" "$T/inst/share/headkv/data"
HKV="$T/inst/bin/headkv"
pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# A stand-in for the default model: the check only needs it to exist; no task runs in part 1.
echo "not a model" >"$HEADKV_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"

# 1. One data file removed.
rm "$T/inst/share/headkv/data/babilong/0k/qa2.jsonl.gz"
if "$HKV" run "$REPO/examples/default_sweep.yaml" --out "$T/out1" >"$T/run1" 2>&1; then
  bad "the default sweep with a missing file is rejected"
else
  ok "the default sweep with a missing file is rejected"
fi
check "the message names the missing file" grep -q "babilong/0k/qa2.jsonl" "$T/run1"
check "the message says nothing was queued" grep -q "nothing was queued" "$T/run1"
check "no state or output was created" test ! -e "$T/out1"
grep -q "qa1.jsonl" "$T/run1" && bad "only the missing file is named" || ok "only the missing file is named"

# 1b. A sweep that fails validation (a limit) leaves no state behind either.
cat >"$T/huge.yaml" <<YAML
name: huge
model: $HEADKV_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf
benchmarks:
  - {benchmark: needle, lengths: {start: 1, stop: 2147483647, step: 1}}
methods: [{method: FullKV}]
YAML
if "$HKV" run "$T/huge.yaml" --out "$T/out1b" >"$T/run1b" 2>&1; then
  bad "an over-limit sweep is rejected"
else
  ok "an over-limit sweep is rejected"
fi
check "the message names the limit" grep -q "over the limit of 10000" "$T/run1b"
check "no empty sweep.db is left behind" test ! -e "$T/out1b"

# 2. Every task fails (the model file is not a model): exit 1 and a summary by cause.
cat >"$T/fail.yaml" <<YAML
name: failing
model: $HEADKV_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf
benchmarks:
  - {benchmark: babilong, datasets: [qa1], splits: [0k], limit: 2}
methods:
  - method: FullKV
YAML
if "$HKV" run "$T/fail.yaml" --out "$T/out2" --device cpu >"$T/run2" 2>&1; then
  bad "a sweep with failed tasks exits non-zero"
else
  ok "a sweep with failed tasks exits non-zero"
fi
check "run prints the failure summary" grep -q "2 task(s) failed, 1 cause(s)" "$T/run2"
check "the summary shows the first error" grep -q "first: babilong/qa1/0k:0" "$T/run2"
check "tables.md has the failed tasks" grep -q "### Failed tasks" "$T/out2/tables.md"
check "tables.json has the failed tasks" grep -q '"failed_tasks"' "$T/out2/tables.json"
check "tables.csv has the failed tasks" grep -q "^failed tasks," "$T/out2/tables.csv"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
