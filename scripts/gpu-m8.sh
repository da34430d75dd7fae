#!/usr/bin/env bash
# M8 checks on a GPU host, from the relocatable bundle (scripts/bundle.sh --with-tests):
#   scripts/gpu-m8.sh BUNDLE_DIR OUT_DIR
# Runs examples/smollm2_heads.yaml (head detection as a sweep: embedded coordinator, one GPU worker,
# bf16 from the sweep file) and `headkv heads detect --device cuda:0` on the same grid for both
# kinds, then compares the score files byte for byte (sweep vs detect, sweep vs the shipped
# head_scores/data files) and prints a table. Needs the SmolLM2 GGUF at ~/.cache/headkv/models and
# HEADKV_DATA_DIR with retrieval_haystack/.
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"
H="$B/bin/headkv"
G="$HOME/.cache/headkv/models/SmolLM2-135M-Instruct.Q4_1.gguf"
D=/tmp/hkv-m8
rm -rf "$D"; mkdir -p "$OUT" "$D"
export NCCL_NVLS_ENABLE=0 OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
log() { echo "$@" | tee -a "$OUT/m8.log"; }
nvidia-smi -L | tee -a "$OUT/m8.log"
"$B/bin/hkv_gpu_engine_tests" > "$D/model_gpu.log" 2>&1
log "hkv_gpu_engine_tests rc=$? $(grep -E '^\[  PASSED|^\[  FAILED' "$D/model_gpu.log" | tr '\n' ' ')"

t0=$(date +%s%N)
"$H" run examples/smollm2_heads.yaml --device cuda:0 --out "$D/sweep" > "$D/sweep.log" 2>&1
src=$?
sweep_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
log "sweep rc=$src in ${sweep_s} s"
grep -A5 "Head detection" "$D/sweep.log" | tee -a "$OUT/m8.log"
rows=()
for kind in retrieval retrieval-reasoning; do
  extra=(); [[ $kind == retrieval-reasoning ]] && extra=(--min-score -1)
  t0=$(date +%s%N)
  "$H" heads detect --model "$G" --kind "$kind" --device cuda:0 --dtype bf16 "${extra[@]}" \
    --out "$D/detect_$kind.json" > "$D/detect_$kind.log" 2>&1
  drc=$?
  ds=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  tail -1 "$D/detect_$kind.log" | tee -a "$OUT/m8.log"
  same=$(cmp -s "$D/detect_$kind.json" "$D/sweep/heads_$kind.json" && echo identical || echo DIFFERENT)
  shipped="head_scores/data/SmolLM2-135M-Instruct_${kind//-/_}_heads.json"
  vs=$(cmp -s "$shipped" "$D/sweep/heads_$kind.json" && echo identical || echo different)
  diff=$(python3 - "$shipped" "$D/sweep/heads_$kind.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ma = {k: sum(v) / len(v) for k, v in a.items()}
mb = {k: sum(v) / len(v) for k, v in b.items()}
top = lambda m: sorted(m, key=m.get, reverse=True)[:20]
print("tests %d vs %d, max |mean diff| %.3g, top-20 overlap %d/20" % (
    len(next(iter(a.values()))), len(next(iter(b.values()))),
    max(abs(ma[k] - mb[k]) for k in ma), len(set(top(ma)) & set(top(mb)))))
PY
)
  rows+=("| $kind | detect rc=$drc ${ds} s | sweep vs detect: $same | sweep vs shipped: $vs ($diff) |")
  cp "$D/sweep/heads_$kind.json" "$OUT/sweep_heads_$kind.json"
done
cp "$D/sweep.log" "$OUT/sweep.log"
log ""
log "| kind | heads detect (cuda:0, bf16) | sweep (headkv run, ${sweep_s} s for both kinds) | vs shipped file |"
log "|---|---|---|---|"
for r in "${rows[@]}"; do log "$r"; done
