#!/usr/bin/env bash
# M6 checks on a GPU host, from the relocatable bundle (scripts/bundle.sh --with-tests):
#   scripts/gpu-m6.sh BUNDLE_DIR OUT_DIR [smol|r8b|all]
# smol: GPU tests; SmolLM2 vs transformers (bf16, f16); kept-position overlap with the CPU engine;
#       a sweep through separate coordinator + worker processes.
# r8b:  a random Llama-3-8B-shaped model built with transformers, logits/greedy vs transformers.
# Needs: the SmolLM2 GGUF at ~/.cache/headkv/models, the PG essays at ~/.cache/headkv/haystack,
# HEADKV_DATA_DIR with longbench/ and babilong/, python3 with torch + transformers (+ gguf for the
# GGUF comparison), and .gpu/ids/*.json (prompt ids written by the caller). Writes OUT/m6.log and
# a few JSON summaries (the dumps go to /tmp/hkv-m6).
set -uo pipefail
B="$(cd "$1" && pwd)"; OUT="$2"; WHAT="${3:-all}"
H="$B/bin/headkv"
G="$HOME/.cache/headkv/models/SmolLM2-135M-Instruct.Q4_1.gguf"
D=/tmp/hkv-m6
mkdir -p "$OUT" "$D"
export NCCL_NVLS_ENABLE=0 OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
log() { echo "$@" | tee -a "$OUT/m6.log"; }
run() { log "\$ $*"; "$@" 2>&1 | tee -a "$OUT/m6.log"; return "${PIPESTATUS[0]}"; }
summary=()

if [[ "$WHAT" == smol || "$WHAT" == all ]]; then
  run nvidia-smi -L
  run "$H" doctor | tail -4
  for t in hkv_kernels_gpu_tests hkv_gpu_engine_tests; do
    "$B/bin/$t" > "$D/$t.log" 2>&1; rc=$?
    log "$t: rc=$rc $(grep -E '^\[  PASSED|^\[  FAILED|tests ran' "$D/$t.log" | tr '\n' ' ')"
    grep -E '^\[  FAILED' "$D/$t.log" | tee -a "$OUT/m6.log"
    summary+=("$t rc=$rc")
  done
  for dt in bf16 f16; do
    run "$H" gpu-compare --model "$G" --prompt-ids .gpu/ids/smol_p1.json --dtype "$dt" \
      --method FullKV --max-new-tokens 32 --out "$D/smol_$dt"
    run python3 tools/gpu/compare_transformers.py compare "$G" "$D/smol_$dt"
    cp "$D/smol_$dt/compare.json" "$OUT/compare_smol_$dt.json" 2>/dev/null
  done
  for dt in f16 bf16; do
    for layout in reference gqa; do
      run "$H" gpu-compare --model "$G" --prompt-ids .gpu/ids/smol_p2.json --dtype "$dt" \
        --layout "$layout" --method SnapKV,PyramidKV,Ada-SnapKV,HeadKV-R --cpu-overlap \
        --max-new-tokens 16 --out "$D/overlap_${dt}_$layout"
    done
  done
  # Head detection on the GPU (bf16, as the reference), both kinds; R2 keeps every test (the
  # SmolLM2 deviation of head_scores/data/PROVENANCE.md).
  for kind in retrieval retrieval-reasoning; do
    extra=(); [[ $kind == retrieval-reasoning ]] && extra=(--min-score -1)
    run "$H" heads detect --model "$G" --kind "$kind" --device cuda:0 "${extra[@]}" \
      --out "$D/smol_$kind.json" 2>&1 | tail -2
  done
  tar -C "$D" -cf "$OUT/detect.tar" smol_retrieval.json smol_retrieval-reasoning.json
  # A sweep through separate coordinator and worker processes (one worker per GPU).
  rm -f "$D/sweep.db"*
  "$H" coordinator --db "$D/sweep.db" --port 50071 --token m6 > "$D/coordinator.log" 2>&1 &
  cpid=$!
  sleep 2
  "$H" worker --coordinator 127.0.0.1:50071 --token m6 --device all --exit-when-idle \
    > "$D/worker.log" 2>&1 &
  wpid=$!
  t0=$(date +%s)
  run "$H" submit --coordinator 127.0.0.1:50071 --token m6 examples/default_sweep.yaml
  wait $wpid; wrc=$?
  log "worker exit $wrc after $(( $(date +%s) - t0 )) s"
  run "$H" status --coordinator 127.0.0.1:50071 --token m6 | head -3
  run "$H" results 1 --coordinator 127.0.0.1:50071 --token m6 --out "$D/sweep_tables"
  kill "$cpid"; wait "$cpid" 2>/dev/null
  tail -5 "$D/worker.log" | tee -a "$OUT/m6.log"
fi

if [[ "$WHAT" == r8b || "$WHAT" == all ]]; then
  t0=$(date +%s)
  [[ -f /tmp/r8b/config.json ]] || run python3 tools/gpu/compare_transformers.py make-random8b /tmp/r8b
  log "random 8B model ready after $(( $(date +%s) - t0 )) s"
  for dt in bf16 f16; do
    run "$H" gpu-compare --model /tmp/r8b --prompt-ids .gpu/ids/r8b.json --dtype "$dt" \
      --method FullKV,SnapKV,HeadKV-R2 --head-scores "${R8B_SCORES:-$HEADKV_DATA_DIR/head_scores/Meta-Llama-3-8B-Instruct_retrieval_reasoning_heads.json}" \
      --max-new-tokens 32 --out "$D/r8b_$dt"
    run python3 tools/gpu/compare_transformers.py compare /tmp/r8b "$D/r8b_$dt"
    cp "$D/r8b_$dt/compare.json" "$OUT/compare_r8b_$dt.json" 2>/dev/null
  done
fi
log "== summary: ${summary[*]:-}"
