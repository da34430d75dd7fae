# Third-party dependencies, all from Debian packages (scripts/install-deps.sh). Nothing is fetched
# at configure time.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
# cpp-httplib (the coordinator's dashboard and /metrics): Debian ships a pkg-config file with the
# compiled library's feature macros (OpenSSL, zlib, brotli), which every includer must share.
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# Protobuf through FindProtobuf (Debian ships no protobuf CMake config); gRPC through its config,
# which needs protobuf-compiler-grpc installed.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_program(HKV_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_path(HKV_CBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas-pthread openblas REQUIRED)

if(HKV_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(HKV_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
