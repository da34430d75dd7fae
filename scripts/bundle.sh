#!/usr/bin/env bash
# Builds a relocatable install (bin/ + lib/, RPATH $ORIGIN/../lib) and packs it as
# dist/headkv-<version>-linux-x86_64.tar.gz. Bundles every shared library the binaries need except
# glibc/libstdc++/libgcc and the CUDA libraries (cudart, cuBLAS, NCCL, driver) that GPU hosts have.
# Usage: scripts/bundle.sh [--with-tests]   (--with-tests also installs the GoogleTest binaries,
# for running the `gpu` tests on a GPU host: see scripts/gpu-check.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${HKV_BUNDLE_BUILD_DIR:-build-release}"
PREFIX="${HKV_BUNDLE_PREFIX:-dist/headkv}"
tests=(-DHKV_BUILD_TESTS=OFF -DHKV_INSTALL_TESTS=OFF)
if [[ "${1:-}" == "--with-tests" ]]; then
  tests=(-DHKV_BUILD_TESTS=ON -DHKV_INSTALL_TESTS=ON)
fi
HKV_BUILD_DIR="$BUILD_DIR" HKV_BUILD_TYPE=Release ./scripts/build.sh "${tests[@]}"
rm -rf "$PREFIX"
cmake --install "$BUILD_DIR" --prefix "$PREFIX" --strip
mkdir -p "$PREFIX/lib"

# System libraries the GPU host provides itself (never bundled).
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libmvec\.so|libdl\.so|librt\.so|libpthread\.so|libstdc\+\+|libgcc_s|libcuda\.so|libcudart|libcublas|libcublasLt|libnccl|libnvidia)'
copy_deps() {
  ldd "$1" | awk '/=> \//{print $1, $3}' | while read -r name path; do
    if [[ "$name" =~ $skip ]]; then continue; fi
    if [[ ! -f "$PREFIX/lib/$name" ]]; then
      cp -L "$path" "$PREFIX/lib/$name"
      strip --strip-unneeded "$PREFIX/lib/$name" 2>/dev/null || true
    fi
  done
}
for bin in "$PREFIX"/bin/*; do copy_deps "$bin"; done
# Libraries of libraries (OpenBLAS -> gfortran, gRPC -> abseil, ...).
for lib in "$PREFIX"/lib/*.so*; do copy_deps "$lib"; done
for lib in "$PREFIX"/lib/*.so*; do patchelf --set-rpath '$ORIGIN' --force-rpath "$lib"; done

version=$("$PREFIX/bin/headkv" --version | awk '{print $2}')
tarball="dist/headkv-${version}-linux-x86_64.tar.gz"
tar -C "$(dirname "$PREFIX")" -czf "$tarball" "$(basename "$PREFIX")"
echo "bundle: $PREFIX ($(du -sh "$PREFIX" | cut -f1)), $tarball ($(du -h "$tarball" | cut -f1))"
echo "bundle: rpath $(readelf -d "$PREFIX/bin/headkv" | grep -E 'RPATH|RUNPATH')"
