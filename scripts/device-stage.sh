#!/usr/bin/env bash
# Moves a measurement set onto a GPU host whose transfers are capped (64 MiB a call, the working
# tree included): the SmolLM2 GGUF (98 MB) goes in chunks, one carry each, and is reassembled and
# checked on the host; bundles and baseline binaries are unpacked beside it.
#   here:   scripts/device-stage.sh split GGUF DIR [CHUNK_MB]
#             DIR/gguf.part.NN (CHUNK_MB each, default 48) + DIR/gguf.sha256
#           scripts/device-stage.sh baseline NAME BUILD_DIR DIR
#             DIR/headkv-NAME.gz: BUILD_DIR's headkv, stripped (run with the bundle's lib/)
#   host:   scripts/device-stage.sh unpack DIR HOME_DIR
#             whatever of DIR arrived: headkv.tar.gz -> HOME_DIR/headkv, headkv-NAME.gz ->
#             HOME_DIR/headkv-NAME, chunks kept in HOME_DIR; once every chunk is there, the GGUF
#             goes to ~/.cache/headkv/models and its sha256 is checked. Prints
#             "baselines: NAME=PATH ..." for scripts/gpu-verify.sh's HKV_BASELINES.
set -euo pipefail
mode=${1:?usage: device-stage.sh split|baseline|unpack ...}
case $mode in
  split)
    gguf=${2:?GGUF}; dir=${3:?DIR}; mb=${4:-48}
    mkdir -p "$dir"
    rm -f "$dir"/gguf.part.*
    split -b "${mb}M" -d -a 2 "$gguf" "$dir/gguf.part."
    (cd "$(dirname "$gguf")" && sha256sum "$(basename "$gguf")") > "$dir/gguf.sha256"
    ls -l "$dir"/gguf.part.* "$dir/gguf.sha256"
    ;;
  baseline)
    name=${2:?NAME}; build=${3:?BUILD_DIR}; dir=${4:?DIR}
    mkdir -p "$dir"
    strip -o "$dir/headkv-$name" "$build/cli/headkv"
    gzip -f "$dir/headkv-$name"
    ls -l "$dir/headkv-$name.gz"
    ;;
  unpack)
    dir=${2:?DIR}; home=${3:?HOME_DIR}
    mkdir -p "$home"
    if [[ -f $dir/headkv.tar.gz ]]; then
      rm -rf "$home/headkv"
      tar -C "$home" -xzf "$dir/headkv.tar.gz"
    fi
    for f in "$dir"/headkv-*.gz; do
      [[ -f $f ]] || continue
      out="$home/$(basename "$f" .gz)"
      gunzip -c "$f" > "$out"
      chmod +x "$out"
    done
    for f in "$dir"/gguf.part.* "$dir/gguf.sha256"; do
      [[ -f $f ]] && cp "$f" "$home/"
    done
    if [[ -f $home/gguf.sha256 ]]; then
      name=$(awk '{print $2}' "$home/gguf.sha256")
      models=~/.cache/headkv/models
      if [[ ! -f $models/$name ]]; then
        mkdir -p "$models"
        cat "$home"/gguf.part.* > "$models/$name.tmp"
        if (cd "$models" && sed "s/ $name\$/ $name.tmp/" "$home/gguf.sha256" | sha256sum -c --quiet); then
          mv "$models/$name.tmp" "$models/$name"
          echo "gguf: $models/$name"
        else
          rm -f "$models/$name.tmp"
          echo "gguf: $(ls "$home"/gguf.part.* | wc -l) chunk(s) so far, not complete"
        fi
      fi
    fi
    echo -n "baselines:"
    for b in "$home"/headkv-*; do
      [[ -x $b && -f $b ]] && echo -n " ${b##*/headkv-}=$b"
    done
    echo
    ;;
  *)
    echo "device-stage.sh: unknown mode '$mode' (split | baseline | unpack)" >&2
    exit 2
    ;;
esac
