# Relocatable install: bin/ + lib/, RPATH $ORIGIN/../lib with DT_RPATH (--disable-new-dtags) so
# the bundled libraries win over whatever the host has. CUDA's own lib dir is appended so cudart,
# cuBLAS and NCCL resolve from the GPU host's toolkit (they are never bundled).
include(GNUInstallDirs)
set(CMAKE_INSTALL_LIBDIR lib)
set(CMAKE_INSTALL_RPATH "\$ORIGIN/../lib")
if(HKV_HAVE_CUDA)
  list(APPEND CMAKE_INSTALL_RPATH /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib)
endif()
set(CMAKE_INSTALL_RPATH_USE_LINK_PATH OFF)
set(CMAKE_BUILD_WITH_INSTALL_RPATH OFF)
string(APPEND CMAKE_EXE_LINKER_FLAGS " -Wl,--disable-new-dtags")
string(APPEND CMAKE_SHARED_LINKER_FLAGS " -Wl,--disable-new-dtags")

# The research data headkv ships (data/, data/PROVENANCE.md): found beside the binary as
# share/headkv/data, the last entry of the data search path (common/paths.h).
install(DIRECTORY ${CMAKE_SOURCE_DIR}/data/ DESTINATION share/headkv/data)
