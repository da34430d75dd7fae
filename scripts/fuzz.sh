#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, -DHKV_FUZZ=ON: clang, ASan + UBSan, CPU only, no tests)
# into ${HKV_FUZZ_BUILD_DIR:-build-fuzz} and runs each target for SECONDS (default 30) on a copy of
# its seed corpus (fuzz/corpus/<target>/ is never modified), then prints one table row per target.
# Exit status 1 when any target found a crash, leak, timeout or OOM (artifacts kept, also from
# earlier runs, next to the run's log under <build>/fuzz-out/<target>/); 2 for a usage or build
# error.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   scripts/fuzz.sh                    # every target, 30 s each (a smoke run: ~4 min + the build)
#   scripts/fuzz.sh 60 fuzz_gguf       # one target for a minute
#
# A long campaign: `HKV_FUZZ_KEEP_CORPUS=1 scripts/fuzz.sh 600` (10 min per target), repeated as
# often as wanted. With HKV_FUZZ_KEEP_CORPUS=1 each target continues from the corpus its previous
# runs grew in <build>/fuzz-out/<target>/corpus instead of starting again from the seeds. Fold
# the finds back into the committed seeds, minimised, with
#   build-fuzz/fuzz/fuzz_gguf -merge=1 fuzz/corpus/fuzz_gguf build-fuzz/fuzz-out/fuzz_gguf/corpus
# and reproduce a finding with `build-fuzz/fuzz/<target> <artifact>` (prints the stack).
# HKV_FUZZ_ARGS adds libFuzzer flags to every run (e.g. "-jobs=2 -workers=2", "-only_ascii=1").
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-30}"
[[ $# -gt 0 ]] && shift
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [[ "$SECONDS_PER_TARGET" -lt 1 ]]; then
  echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer, got '$SECONDS_PER_TARGET'" >&2
  exit 2
fi
ALL_TARGETS=(fuzz_gguf fuzz_safetensors fuzz_tokenizer_json fuzz_sweep_yaml fuzz_jsonl
             fuzz_proto_handlers)
TARGETS=("$@")
[[ ${#TARGETS[@]} -eq 0 ]] && TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  if [[ " ${ALL_TARGETS[*]} " != *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2
    exit 2
  fi
done
BUILD_DIR="${HKV_FUZZ_BUILD_DIR:-build-fuzz}"

# --- install: the project's packages, then clang and its libFuzzer/sanitizer runtimes ----------
# Debian 12: clang (clang-14) and libclang-rt-14-dev, which ships libclang_rt.fuzzer*.a.
FUZZ_PACKAGES=(clang clang-14 libclang-rt-14-dev llvm-14)
./scripts/install-deps.sh
probe_fuzzer() {
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' |
    clang++ -x c++ - -fsanitize=fuzzer,address,undefined -o /dev/null >/dev/null 2>&1
}
if ! command -v clang++ >/dev/null 2>&1 || ! probe_fuzzer; then
  echo "fuzz.sh: installing ${FUZZ_PACKAGES[*]}"
  SUDO=
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "fuzz.sh: need root or sudo to install clang" >&2; exit 2; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${FUZZ_PACKAGES[@]}"
  probe_fuzzer || { echo "fuzz.sh: clang++ cannot link -fsanitize=fuzzer" >&2; exit 2; }
fi

# --- build: the whole project instrumented (-O1, debug info, DCHECKs on), only harnesses built --
# fuzzer-no-link instruments the libraries for coverage without libFuzzer's main(); the harness
# executables add -fsanitize=fuzzer (fuzz/CMakeLists.txt). UB aborts instead of recovering.
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link"
FLAGS="-O1 -fno-omit-frame-pointer $SAN"
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug \
  -DHKV_FUZZ=ON -DHKV_ENABLE_CUDA=OFF -DHKV_BUILD_TESTS=OFF -DHKV_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_CXX_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null ||
  { echo "fuzz.sh: cmake configure failed" >&2; exit 2; }
cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${TARGETS[@]}" ||
  { echo "fuzz.sh: build failed" >&2; exit 2; }

# --- run ------------------------------------------------------------------------------------------
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
OUT_ROOT="$BUILD_DIR/fuzz-out"
# Binary seeds (GGUF, safetensors) and the repro inputs are generated, never committed: the
# committed text seeds are copied and fuzz/make_seeds.py writes the rest beside them.
SEEDS="$BUILD_DIR/seeds"
rm -rf "$SEEDS"
mkdir -p "$SEEDS"
cp -r fuzz/corpus "$SEEDS/corpus"
python3 fuzz/make_seeds.py "$SEEDS/corpus" >/dev/null
rows=()
failed=0
for t in "${TARGETS[@]}"; do
  out="$OUT_ROOT/$t"
  # Artifacts of earlier runs stay; this run's findings are the files newer than its marker.
  mkdir -p "$out/artifacts"
  touch "$out/.run-start"
  if [[ "${HKV_FUZZ_KEEP_CORPUS:-0}" != "1" ]]; then
    rm -rf "$out/corpus"
  fi
  mkdir -p "$out/corpus"
  if [[ -d "$SEEDS/corpus/$t" ]]; then
    cp -n "$SEEDS/corpus/$t"/* "$out/corpus/" 2>/dev/null || true
  fi
  echo "fuzz.sh: $t for ${SECONDS_PER_TARGET}s (log: $out/fuzz.log)"
  rc=0
  # shellcheck disable=SC2086  # HKV_FUZZ_ARGS is a list of flags
  "$BUILD_DIR/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/" ${HKV_FUZZ_ARGS:-} \
    "$out/corpus" >"$out/fuzz.log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/fuzz.log" | tail -1 | grep -o '[0-9]*$' || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$out/fuzz.log" | tail -1 | grep -o '[0-9]*$' || true)
  cov=$(grep -oE '(INITED|DONE|pulse|NEW|REDUCE) +cov: [0-9]+' "$out/fuzz.log" | tail -1 | grep -oE '[0-9]+$' || true)
  corpus=$(find "$out/corpus" -type f | wc -l)
  findings=$(find "$out/artifacts" -type f -newer "$out/.run-start" \( -name 'crash-*' -o \
    -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [[ $rc -ne 0 || $findings -gt 0 ]]; then
    failed=1
    [[ $findings -eq 0 ]] && findings="rc=$rc"
  fi
  rows+=("$(printf '%-22s %12s %8s %6s %7s  %s' "$t" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$corpus" "$findings")")
done

echo
printf '%-22s %12s %8s %6s %7s  %s\n' target runs exec/s cov corpus findings
for row in "${rows[@]}"; do
  echo "$row"
done
if [[ $failed -ne 0 ]]; then
  echo
  echo "fuzz.sh: findings (artifacts and logs under $OUT_ROOT/<target>/):"
  for t in "${TARGETS[@]}"; do
    find "$OUT_ROOT/$t/artifacts" -type f -newer "$OUT_ROOT/$t/.run-start" \( -name 'crash-*' -o \
      -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -print | sed 's/^/  /'
  done
  exit 1
fi
