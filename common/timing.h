// Host-clock timing helpers shared by the engines, the worker and the benchmarks.
#pragma once

#include <chrono>
#include <vector>

namespace hkv {

// Milliseconds of the steady clock since `start`.
double ms_since(std::chrono::steady_clock::time_point start);

// The median of `values` (the mean of the middle two for an even count; 0 when empty).
double median(std::vector<double> values);

}  // namespace hkv
