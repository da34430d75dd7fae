#!/usr/bin/env bash
# Poor man's layering check (STYLE.md §2): every project #include "dir/..." must come from a folder
# the including folder may depend on, and CUDA headers stay out of host-only layers.
# Usage: scripts/check-layering.sh [ROOT]   (exit 1 on any violation)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

declare -A allow=(
  [common]="common"
  [comm]="common comm"
  [compression]="common compression"
  [kernels]="common kernels"
  [formats]="common formats"
  [tokenizer]="common formats tokenizer"
  [cpu_engine]="common comm compression formats cpu_engine"
  [gpu_engine]="common comm compression formats kernels cpu_engine gpu_engine"
  [model]="common comm compression formats tokenizer kernels cpu_engine gpu_engine model"
  [head_scores]="common head_scores"
  [gpu_trace]="gpu_trace"
  [metrics]="common metrics"
  [benchmarks]="common metrics benchmarks"
  [jobs]="common compression benchmarks jobs"
  [fetch]="common fetch"
  [results]="common compression metrics benchmarks jobs head_scores results"
  [proto]="common compression jobs proto hkv"
  [coordinator]="common compression metrics benchmarks jobs head_scores results proto hkv coordinator"
  [worker]="common comm compression kernels formats tokenizer cpu_engine gpu_engine model head_scores metrics benchmarks jobs proto hkv worker"
  [cli]="common comm compression kernels formats tokenizer cpu_engine gpu_engine model head_scores metrics benchmarks jobs proto hkv coordinator worker fetch results cli"
  [fuzz]="common compression formats tokenizer model head_scores benchmarks jobs proto hkv coordinator fuzz"
)
# "hkv/v1/*.pb.h" is the generated proto code (target hkv_proto_gen).
# Layers that must build on a machine without CUDA.
no_cuda="common comm compression formats tokenizer cpu_engine head_scores metrics benchmarks jobs results fetch proto coordinator"

violations=0
report() { echo "layering: $*" >&2; violations=$((violations + 1)); }

check_file() {
  local file=$1 layer=$2 allowed=$3
  while IFS= read -r line; do
    local lineno=${line%%:*}
    local target=${line#*:}
    target=${target#*\"}
    target=${target%%\"*}
    local dir=${target%%/*}
    [[ "$target" == */* ]] || continue
    if [[ " $allowed " != *" $dir "* ]]; then
      report "$file:$lineno includes \"$target\" but $layer may only include from: $allowed"
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
  if [[ " $no_cuda " == *" $layer "* ]] && grep -nE '#[[:space:]]*include[[:space:]]*<(cuda|cublas|nccl)' "$file" >/dev/null; then
    report "$file includes a CUDA header but $layer must build without CUDA"
  fi
}

# Every top-level folder with C++/CUDA sources needs an entry above.
for dir in */; do
  layer=${dir%/}
  [[ "$layer" == tests || "$layer" == build* || -n "${allow[$layer]:-}" ]] && continue
  if find "$layer" \( -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' \) -print -quit |
    grep -q .; then
    report "$layer/ holds sources but has no entry in the allow-list"
  fi
done

for layer in "${!allow[@]}"; do
  [[ -d "$layer" ]] || continue
  while IFS= read -r -d '' f; do
    check_file "$f" "$layer" "${allow[$layer]}"
  done < <(find "$layer" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' \) -print0)
done
# tests/<layer>/ may include what <layer> may, plus tests/.
for dir in tests/*/; do
  layer=$(basename "$dir")
  [[ "$layer" == testing || "$layer" == golden || "$layer" == e2e ]] && continue
  allowed="${allow[$layer]:-}"
  [[ -n "$allowed" ]] || { report "tests/$layer has no matching source folder"; continue; }
  while IFS= read -r -d '' f; do
    check_file "$f" "tests/$layer" "$allowed tests"
  done < <(find "$dir" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cu' \) -print0)
done

if [[ $violations -gt 0 ]]; then
  echo "layering: $violations violation(s)" >&2
  exit 1
fi
echo "layering: ok"
