#!/usr/bin/env bash
# Nsight Compute on a GPU host: one decode step's kernels (inside the captured CUDA graph) of the
# random Llama-3-8B-shaped model at 8k context. Usage: scripts/gpu-profile.sh BUNDLE_DIR OUT_DIR
# Writes OUT/ncu_decode.csv and prints duration / DRAM throughput per kernel (bench/NOTES.md).
set -u
B="$(cd "$1" && pwd)"; OUT="$2"
mkdir -p "$OUT"
[[ -f /tmp/r8b/config.json ]] || python3 tools/gpu/compare_transformers.py make-random8b /tmp/r8b
ncu --graph-profiling node --kernel-name regex:"attention_decode_kernel|gemv|splitK|combine_kernel" \
  --launch-skip 300 --launch-count 40 --section SpeedOfLight --csv \
  "$B/bin/headkv" bench --model /tmp/r8b --what decode --runs 1 --new-tokens 16 \
  --out /tmp/hkv-profile.json > "$OUT/ncu_decode.csv" 2> "$OUT/ncu.err"
python3 - "$OUT/ncu_decode.csv" <<'PY'
import collections, csv, sys
rows = list(csv.reader(l for l in open(sys.argv[1]) if l.startswith('"')))
idx = {h: i for i, h in enumerate(rows[0])}
kernels = collections.OrderedDict()
for r in rows[1:]:
    key = (r[idx["ID"]], r[idx["Kernel Name"]][:60])
    kernels.setdefault(key, {})[r[idx["Metric Name"]]] = r[idx["Metric Value"]]
for (i, name), m in kernels.items():
    print(f"{i:>4} {name:60s} {m.get('Duration', '?'):>10} ns  DRAM {m.get('DRAM Throughput', '?')}%")
PY
