#!/usr/bin/env bash
# M12 checks on a GPU host (run from the repository root there): unpacks the bundle
# (scripts/bundle.sh --with-tests, as .bundle/headkv.tar.gz), puts the SmolLM2 GGUF in place from
# the parts carried earlier (~/hkvm/gguf.part*, checked against .bundle/gguf.sha256), then runs
# every test binary (scripts/gpu-check.sh: the `gpu` tests included) and the head-detection
# reproduction (scripts/gpu-m8.sh: sweep and `heads detect` vs the shipped score files).
# Usage: scripts/gpu-m12.sh OUT_DIR
set -uo pipefail
OUT="${1:?usage: gpu-m12.sh OUT_DIR}"
mkdir -p "$OUT" /tmp/hkv-m12
tar -C /tmp/hkv-m12 -xzf .bundle/headkv.tar.gz
B=/tmp/hkv-m12/headkv
M="$HOME/.cache/headkv/models"
mkdir -p "$M"
cat "$HOME"/hkvm/gguf.part* > "$M/SmolLM2-135M-Instruct.Q4_1.gguf"
echo "gguf sha256 ok: $( [[ $(sha256sum "$M/SmolLM2-135M-Instruct.Q4_1.gguf" | cut -c1-64) == $(cat .bundle/gguf.sha256) ]] && echo yes || echo NO)" | tee "$OUT/m12.log"
bash scripts/gpu-check.sh "$B" "$OUT/check" > "$OUT/check.log" 2>&1
grep -E "^\|" "$OUT/check.log" | tee -a "$OUT/m12.log"
bash scripts/gpu-m8.sh "$B" "$OUT/m8" > /dev/null 2>&1
grep -E "^\||rc=" "$OUT/m8/m8.log" | tee -a "$OUT/m12.log"
