#!/usr/bin/env bash
# Runs on a GPU host from an unpacked bundle (scripts/bundle.sh --with-tests): `headkv doctor`, then
# every test binary (the `gpu` tests included), then prints a short table. Needs no build tools.
# Usage: scripts/gpu-check.sh BUNDLE_DIR [OUT_DIR]
set -uo pipefail
bundle="${1:?usage: gpu-check.sh BUNDLE_DIR [OUT_DIR]}"
out="${2:-${OUT:-/tmp/hkv-gpu-check}}"
mkdir -p "$out"
export NCCL_NVLS_ENABLE=0
declare -a rows
"$bundle/bin/headkv" doctor 2>&1 | tee "$out/doctor.txt"
rows+=("doctor|exit ${PIPESTATUS[0]}")
for t in "$bundle"/bin/hkv_*_tests; do
  [[ -x "$t" ]] || continue
  name=$(basename "$t")
  "$t" --gtest_brief=1 >"$out/$name.log" 2>&1
  rc=$?
  passed=$(grep -c '^\[       OK \]' "$out/$name.log" || true)
  summary=$(grep -E '^\[  (PASSED|FAILED|SKIPPED)  \]' "$out/$name.log" | tr '\n' ' ')
  rows+=("$name|exit $rc; $summary")
  [[ $rc -eq 0 ]] || tail -n 40 "$out/$name.log"
done
echo
echo "| check | result |"
echo "|---|---|"
for r in "${rows[@]}"; do echo "| ${r%%|*} | ${r#*|} |"; done
