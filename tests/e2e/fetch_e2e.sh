#!/usr/bin/env bash
# `headkv data fetch` and `headkv model fetch` against a local Hub (fake_hub.py on 127.0.0.1,
# fixture repositories in the Hub's layout, no internet): a complete fetch (paginated listing,
# CDN redirects, manifests, verify, an up-to-date re-run, sweeps reading the fetched data), an
# interrupted fetch that resumes with a Range request, a checksum mismatch that leaves nothing
# behind, an unreachable host, a gated model with and without HF_TOKEN.
# Usage: fetch_e2e.sh PATH/TO/headkv
set -euo pipefail
HKV=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
export HEADKV_CACHE="$T/cache" HF_TOKEN= HUGGING_FACE_HUB_TOKEN= HEADKV_DATA_DIR=
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HEADKV_DATA_DIR

pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

python3 "$HERE/make_hub_fixtures.py" "$REPO/data" "$T/hub"

start_hub() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -f "$T/port" "$T/hub.log"
  python3 "$HERE/fake_hub.py" --root "$T/hub" --port-file "$T/port" --log "$T/hub.log" "$@" &
  SERVER_PID=$!
  for _ in $(seq 100); do [[ -f "$T/port" ]] && break; sleep 0.1; done
  [[ -f "$T/port" ]] || { echo "fake hub did not start"; exit 1; }
  export HF_ENDPOINT="http://127.0.0.1:$(cat "$T/port")"
}

fetch_args=(--babilong-lengths 0k,1k --babilong-tasks qa1,qa2 --quiet)

# 1. A complete fetch: two-entry listing pages, LFS files through a redirect.
start_hub --page-size 2 --gated models/test-org/tiny-llama --token s3cret
D="$T/data"
if "$HKV" data fetch all --dest "$D" "${fetch_args[@]}" >"$T/out1" 2>&1; then
  ok "data fetch all exits 0"
else
  bad "data fetch all exits 0"; cat "$T/out1"
fi
python3 - "$T/hub" "$D" <<'PY' && ok "fetched layout equals the sources" || bad "fetched layout equals the sources"
import json, sys, zipfile
hub, d = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(f"{hub}/datasets/THUDM/LongBench/data.zip")
for name in ("multi_news", "qasper"):
    assert open(f"{d}/longbench/{name}.jsonl", "rb").read() == z.read(f"data/{name}.jsonl"), name
for task in ("qa1", "qa2"):
    for length in ("0k", "1k"):
        rows = [json.loads(l) for l in open(f"{d}/babilong/{length}/{task}.jsonl", encoding="utf-8")]
        assert len(rows) == 10 and all(set(r) == {"input", "question", "target"} for r in rows), (task, length)
m = json.load(open(f"{d}/longbench/MANIFEST.json"))
assert m["repo"] == "datasets/THUDM/LongBench" and len(m["files"]) == 2 and m["sources"][0]["path"] == "data.zip"
m = json.load(open(f"{d}/babilong/MANIFEST.json"))
assert len(m["files"]) == 4 and len(m["sources"]) == 4
PY
check "no staging folder left" test ! -e "$D/.partial"
check "listing followed Link pages" grep -q "cursor=2" "$T/hub.log"
check "LFS file fetched through the CDN redirect" grep -q "GET /cdn/datasets/THUDM/LongBench/main/data.zip" "$T/hub.log"
check "data verify passes" bash -c "\"$HKV\" data verify --dest \"$D\" >/dev/null"
"$HKV" data fetch all --dest "$D" "${fetch_args[@]}" >"$T/out2" 2>&1
check "a second fetch is up to date" grep -q "already complete" "$T/out2"
HEADKV_DATA_DIR="$D" "$HKV" doctor --skip-self-test >"$T/doctor" 2>&1 || true
check "doctor reports the fetched data complete" grep -q "$D/longbench: complete" "$T/doctor"
# Sweeps read the fetched data first: 40 multi_news samples exist there, 150 in the shipped slice.
HEADKV_DATA_DIR="$D" "$HKV" eval --model "$T/hub/models/test-org/tiny-llama" --benchmark babilong \
  --datasets qa2 --splits 1k --limit 11 --device cpu --out "$T/eval" >"$T/eval.out" 2>&1 || true
check "a sweep needing more samples than fetched is rejected before running" \
  grep -q "babilong/1k/qa2.jsonl.*holds 10 samples, the sweep needs 11" "$T/eval.out"
check "the rejection names the fetched file" grep -q "$D/babilong/1k/qa2.jsonl" "$T/eval.out"

# 2. An interrupted fetch resumes: the first run loses the connection and keeps the partial file;
#    the second continues with a Range request.
start_hub --drop-after 100000 --drop-count 1
D2="$T/data2"
if "$HKV" data fetch longbench --dest "$D2" --retries 0 --quiet >"$T/out3" 2>&1; then
  bad "an interrupted fetch fails"
else
  ok "an interrupted fetch fails"
fi
check "it says how to resume" grep -q "run the same command again to resume" "$T/out3"
check "the partial download is kept for resuming" test -s "$D2/.partial/longbench/sources/data.zip.part"
check "nothing half-written in the layout" test ! -e "$D2/longbench"
"$HKV" data fetch longbench --dest "$D2" --quiet >"$T/out4" 2>&1 && ok "the re-run succeeds" || { bad "the re-run succeeds"; cat "$T/out4"; }
check "the re-run resumed at the partial size" grep -q "range=bytes=100000-" "$T/hub.log"
check "resumed data equals the source" cmp -s "$D2/longbench/multi_news.jsonl" <(python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile('$T/hub/datasets/THUDM/LongBench/data.zip').read('data/multi_news.jsonl'))")
# Within one run, retries resume by themselves.
start_hub --drop-after 50000 --drop-count 2
"$HKV" data fetch longbench --dest "$T/data2b" --retries 3 --quiet >"$T/out4b" 2>&1 && ok "retries resume within one run" || { bad "retries resume within one run"; cat "$T/out4b"; }

# 3. A checksum mismatch leaves nothing behind.
start_hub --corrupt datasets/RMT-team/babilong/data/qa1/0k.json
D3="$T/data3"
if "$HKV" data fetch babilong --dest "$D3" "${fetch_args[@]}" >"$T/out5" 2>&1; then
  bad "a corrupt download fails"
else
  ok "a corrupt download fails"
fi
check "the error names the checksum mismatch" grep -q "data/qa1/0k.json: checksum mismatch" "$T/out5"
check "no layout folder was created" test ! -e "$D3/babilong"
check "the corrupt download was deleted" test -z "$(find "$D3" -name '0k.json*' 2>/dev/null)"

# 4. An unreachable host.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
if HF_ENDPOINT="$HF_ENDPOINT" "$HKV" data fetch longbench --dest "$T/data4" --retries 0 --quiet >"$T/out6" 2>&1; then
  bad "an unreachable host fails"
else
  ok "an unreachable host fails"
fi
check "it says what to do offline" grep -q "cannot reach http://127.0.0.1.*offline.*HF_ENDPOINT" "$T/out6"

# 5. Models: gated without a token, then with one; only the files headkv reads.
start_hub --gated models/test-org/tiny-llama --token s3cret
M="$T/cache/models/tiny-llama"
if "$HKV" model fetch test-org/tiny-llama --quiet >"$T/out7" 2>&1; then bad "a gated model without a token fails"; else ok "a gated model without a token fails"; fi
check "it says to accept the licence and set HF_TOKEN" grep -q "gated.*HF_TOKEN" "$T/out7"
if HF_TOKEN=s3cret "$HKV" model fetch test-org/tiny-llama --quiet >"$T/out8" 2>&1; then ok "model fetch with HF_TOKEN"; else bad "model fetch with HF_TOKEN"; cat "$T/out8"; fi
check "model files are the sources" cmp -s "$M/model.safetensors" "$T/hub/models/test-org/tiny-llama/model.safetensors"
check "pytorch and original/ files are skipped" test ! -e "$M/pytorch_model.bin" -a ! -e "$M/original"
check "the model has a manifest" test -s "$M/headkv-manifest.json"
check "the fetched model loads" bash -c "\"$HKV\" inspect \"$M\" >/dev/null"
HF_TOKEN=s3cret "$HKV" model fetch test-org/tiny-llama --quiet >"$T/out9" 2>&1
check "a second model fetch is up to date" grep -q "already complete" "$T/out9"
"$HKV" model fetch not-a-repo-id >"$T/out10" 2>&1 || true
check "a bad repo id is explained" grep -q "expected ORG/NAME" "$T/out10"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
