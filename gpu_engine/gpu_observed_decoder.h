// The GPU engine's ObservedDecoder (cpu_engine/observed_decoder.h): the same softmax rows and
// greedy tokens as the CPU one, for head detection on a GPU.
#pragma once

#include <memory>

#include "cpu_engine/observed_decoder.h"

namespace hkv::model {

class GpuModel;

// The model must outlive the decoder.
std::unique_ptr<ObservedDecoder> make_gpu_decoder(GpuModel& model);

}  // namespace hkv::model
