// A quick end-to-end check that this binary's device code runs on a device: upload, convert
// f32 -> bf16 and f16 with launch_convert, download, compare bit-exactly with the host reference.
#pragma once

#include "common/status.h"

namespace hkv::kernels {

[[nodiscard]] Status run_device_self_test(int ordinal);

}  // namespace hkv::kernels
