#!/usr/bin/env bash
# clang-format --dry-run -Werror over every tracked C++/CUDA source (the CI format gate).
# Usage: scripts/check-format.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.cc' '*.cu' '*.cuh' 2>/dev/null || true)
if [[ ${#files[@]} -eq 0 ]]; then
  mapfile -t files < <(find common kernels model head_scores jobs proto coordinator worker cli tests bench \
    -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cu' -o -name '*.cuh' \) 2>/dev/null)
fi
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  echo "format: fixed ${#files[@]} files"
  exit 0
fi
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files ok"
