#!/usr/bin/env bash
# The README's main command: install deps, fetch the default model and haystack, build, then run
# the main job. Until the sweep lands (issue M5) the main job is `headkv doctor` plus a needle
# question over a ~2k-token Paul Graham haystack, answered by FullKV, SnapKV and Ada-SnapKV from
# one shared prefill.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/fetch-assets.sh
./scripts/build.sh
BUILD_DIR="${HKV_BUILD_DIR:-build}"
HKV="$BUILD_DIR/cli/headkv"
CACHE="${HEADKV_CACHE:-${HOME:-/tmp}/.cache/headkv}"
MODEL="$CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"

"$HKV" --version
"$HKV" doctor

# The haystack: the essays in name order, cut to 8000 characters; the needle goes in after the
# first sentence end past the middle.
prompt=$(mktemp)
trap 'rm -f "$prompt"' EXIT
hay=$(cat $(ls "$CACHE"/haystack/PaulGrahamEssays/*.txt | sort) | head -c 8000 || true)  # SIGPIPE to cat is expected
half=$(( ${#hay} / 2 ))
rest=${hay:$half}
after=${rest#*. }
cut=$(( half + ${#rest} - ${#after} ))
needle="The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day. "
{
  printf '<book>\n%s%s%s\n</book>\n' "${hay:0:$cut}" "$needle" "${hay:$cut}"
  printf 'Based on the content of the book, what is the best thing to do in San Francisco?'
} > "$prompt"
"$HKV" generate --model "$MODEL" --prompt-file "$prompt" --chat \
  --method FullKV,SnapKV,Ada-SnapKV --budget 128 --max-new-tokens 40
