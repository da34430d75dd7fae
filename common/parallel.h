// parallel_for over a persistent pool of worker threads (one per core by default, or
// $HEADKV_THREADS), for the CPU engine's element-wise and per-row work between BLAS calls. Each
// index is run exactly once, by one thread, so per-index results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>

namespace hkv {

// Runs body(begin, end) over [0, n) in contiguous chunks of `grain` indices (the last may be
// shorter), handed out to the pool's threads as they come free, and returns when all are done.
// Runs inline when there is one chunk or the pool has one thread. A body that calls parallel_for
// itself runs that inner loop inline on its own thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

// The pool size: $HEADKV_THREADS when set (>= 1), else std::thread::hardware_concurrency().
int parallel_threads();

}  // namespace hkv
