#!/usr/bin/env bash
# Writes DIR (default /tmp/r8b-random): the Llama-3-8B shape's config.json and the Llama-3 tokenizer
# (bench/models/llama3-8b-shape, data/tokenizers/llama3), and DIR/sweep.yaml, bench/sweeps/r8b_200.yaml
# on headkv's own random weights of that shape (`model: random:DIR`: the 8B model's shapes and
# time with no weight files). Prints the sweep's path. Run from the repository root.
# Usage: scripts/r8b-random-sweep.sh [DIR]
set -euo pipefail
R="${1:-/tmp/r8b-random}"
mkdir -p "$R"
cp bench/models/llama3-8b-shape/config.json "$R/"
zcat data/tokenizers/llama3/tokenizer.json.gz > "$R/tokenizer.json"
cp data/tokenizers/llama3/tokenizer_config.json "$R/"
sed "s|^model: .*|model: random:$R|" bench/sweeps/r8b_200.yaml > "$R/sweep.yaml"
echo "$R/sweep.yaml"
