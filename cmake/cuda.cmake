# CUDA detection. HKV_ENABLE_CUDA=AUTO builds the CUDA engine when nvcc is found; the build works
# without it (CI, CPU-only machines). Sets HKV_HAVE_CUDA.
include(CheckLanguage)
set(HKV_HAVE_CUDA OFF)
if(NOT HKV_ENABLE_CUDA STREQUAL "OFF")
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Architectures, overridable with -DCMAKE_CUDA_ARCHITECTURES=...:
    #   90: Hopper (H100/H200), the first target.
    #   80: Ampere (A100); pass "80;90" to also build it.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 does not know nvcc 13's CUDA20 dialect flag: teach it, then ask for C++20.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(CMAKE_CUDA_EXTENSIONS OFF)
    set(CMAKE_CUDA_FLAGS "${CMAKE_CUDA_FLAGS} --expt-relaxed-constexpr")
    find_package(CUDAToolkit REQUIRED)
    set(HKV_HAVE_CUDA ON)
  elseif(HKV_ENABLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "HKV_ENABLE_CUDA=ON but no CUDA compiler was found (set CMAKE_CUDA_COMPILER)")
  else()
    message(STATUS "headkv: no CUDA compiler found; building the CPU engine only")
  endif()
endif()
