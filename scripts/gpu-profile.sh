#!/usr/bin/env bash
# Nsight Compute on a GPU host: every kernel of the decode steps (inside the captured CUDA graphs)
# of the random Llama-3-8B shape (headkv's own random weights) at 8k context, and the prefill
# attention kernel's sections. Usage: scripts/gpu-profile.sh BUNDLE_DIR OUT_DIR [SKIP] [all|decode]
# SKIP: kernels launched before the first decode step (ceilings, weight conversion, the 8k
# prefill); the summary groups whatever decode steps follow. Writes OUT/ncu_decode.csv,
# OUT/ncu_attn_decode.csv (stall reasons) and OUT/ncu_prefill.csv (WHAT=all; WHAT=decode stops
# after the step summary) and prints, per kernel of one decode step, the summed time (bench/NOTES.md).
# ncu runs the GPU at base clocks, so its times are ~30% above the bench's.
set -u
B="$(cd "$1" && pwd)"; OUT="$2"; SKIP="${3:-1090}"; WHAT="${4:-all}"
mkdir -p "$OUT"
M=(--model bench/models/llama3-8b-shape --random-weights)
timeout 200 ncu --graph-profiling node --launch-skip "$SKIP" --launch-count 1100 \
  --metrics gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed --csv \
  "$B/bin/headkv" bench "${M[@]}" --what decode --runs 1 --new-tokens 3 --tokens 8192 \
  --out /tmp/hkv-profile.json > "$OUT/ncu_decode.csv" 2> "$OUT/ncu_decode.err"
echo "decode profile rc=$?"
python3 - "$OUT/ncu_decode.csv" <<'PY'
import collections, csv, re, sys
rows = list(csv.reader(l for l in open(sys.argv[1]) if l.startswith('"')))
if not rows:
    sys.exit("no ncu rows")
idx = {h: i for i, h in enumerate(rows[0])}
ks = collections.OrderedDict()
for r in rows[1:]:
    d = ks.setdefault(r[idx["ID"]], {"name": r[idx["Kernel Name"]], "grid": r[idx["Grid Size"]]})
    d[r[idx["Metric Name"]]] = float(r[idx["Metric Value"]].replace(",", ""))
ks = list(ks.values())
# One decode step: from an embedding kernel with a (1,1,1)-row grid through the next argmax, with
# exactly 32 attention_decode launches in between (the last complete one wins).
steps, cur = [], None
for k in ks:
    if "embedding" in k["name"]:
        cur = [k]
    elif cur is not None:
        cur.append(k)
        if "argmax" in k["name"]:
            if sum("attention_decode_kernel" in x["name"] for x in cur) > 0:
                steps.append(cur)
            cur = None
if not steps:
    sys.exit("no complete decode step in the profile (raise SKIP's window)")
step = steps[-1]
agg = collections.OrderedDict()
for k in step:
    name = re.sub(r"\(.*", "", k["name"])[:60] + " " + k["grid"]
    a = agg.setdefault(name, [0, 0.0, 0.0])
    a[0] += 1
    a[1] += k["gpu__time_duration.sum"]
    a[2] += k["gpu__time_duration.sum"] * k.get("dram__throughput.avg.pct_of_peak_sustained_elapsed", 0)
total = sum(a[1] for a in agg.values())
print(f"one decode step: {len(step)} kernels, {total / 1e6:.3f} ms of kernel time (ncu clocks)")
for n, (c, t, w) in sorted(agg.items(), key=lambda x: -x[1][1]):
    print(f"{c:4d} x {t / 1e3 / c:8.1f} us = {t / 1e6:6.3f} ms  DRAM {w / t:5.1f}%  {n}")
PY
[[ $WHAT == decode ]] && exit 0
# The decode attention kernel's stall reasons (one launch of a decode step at 8k).
timeout 120 ncu --graph-profiling node --kernel-name regex:attention_decode_kernel --launch-skip 40 \
  --launch-count 1 --section SpeedOfLight --section Occupancy --section LaunchStats \
  --section WarpStateStats --csv \
  "$B/bin/headkv" bench "${M[@]}" --what decode --runs 1 --new-tokens 3 --tokens 8192 \
  --out /tmp/hkv-profile3.json > "$OUT/ncu_attn_decode.csv" 2> "$OUT/ncu_attn_decode.err"
echo "decode attention profile rc=$?"
grep -E '"(Duration|DRAM Throughput|Registers Per Thread|Achieved Occupancy|Stall [A-Za-z ]+|Warp Cycles Per Issued Instruction)"' \
  "$OUT/ncu_attn_decode.csv" | awk -F'","' '{print $(NF-2), $NF}' | head -30
timeout 120 ncu --kernel-name regex:attention_prefill --launch-count 2 --section SpeedOfLight \
  --section Occupancy --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --csv \
  "$B/bin/headkv" bench "${M[@]}" --what prefill --runs 1 --tokens 8192 \
  --out /tmp/hkv-profile2.json > "$OUT/ncu_prefill.csv" 2> "$OUT/ncu_prefill.err"
echo "prefill profile rc=$?"
grep -E '"(Duration|Compute \(SM\) Throughput|Achieved Occupancy|Issue Slots Busy)"' \
  "$OUT/ncu_prefill.csv" | awk -F'","' '{print $(NF-2), $NF}' | head -8
