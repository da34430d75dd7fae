// A CUDA injection library (CUDA_INJECTION64_PATH=.../libhkv_gpu_trace.so) that records, through
// CUPTI's activity API, every kernel, copy and set on the device and every CUDA runtime call on
// the host, and at exit writes where the GPU's time went (trace_summary.h) to $HKV_TRACE_OUT (or
// stderr). A profiler for hosts without Nsight Systems: it needs only the driver and libcupti.
//   HKV_TRACE_OUT     the report's path
//   HKV_TRACE_TOP     rows per table (default 15)
// Kernels launched by CUDA graphs are recorded node by node.
#include <cstdio>
#include <cstdlib>
#include <cupti.h>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gpu_trace/trace_summary.h"

namespace {

using hkv::trace::ApiSpan;
using hkv::trace::DeviceSpan;

constexpr size_t kBufferBytes = size_t{8} << 20;

struct State {
  std::mutex mu;
  hkv::trace::Trace trace;
  std::unordered_map<const void*, int32_t> kernel_names;  // CUPTI's name pointer -> names index
  std::unordered_map<uint32_t, int32_t> api_names;        // runtime callback id -> names index
  int64_t dropped = 0;
};

State& state() {
  static State* s = new State();  // never destroyed: CUPTI may deliver buffers during teardown
  return *s;
}

void report(const char* what, CUptiResult r) {
  const char* msg = nullptr;
  cuptiGetResultString(r, &msg);
  std::fprintf(stderr, "hkv_gpu_trace: %s failed: %s\n", what, msg != nullptr ? msg : "?");
}

void at_exit() {
  if (CUptiResult r = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED); r != CUPTI_SUCCESS) {
    report("cuptiActivityFlushAll", r);
  }
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const char* top_env = std::getenv("HKV_TRACE_TOP");
  const size_t top = top_env != nullptr ? std::strtoul(top_env, nullptr, 10) : 15;
  const size_t spans = s.trace.device.size(), calls = s.trace.api.size();
  const hkv::trace::Summary summary = hkv::trace::summarize(s.trace, top == 0 ? 15 : top);
  std::string text = "hkv_gpu_trace: " + std::to_string(spans) + " device spans, " +
                     std::to_string(calls) + " runtime calls, " + std::to_string(s.dropped) +
                     " records dropped by CUPTI\n" + hkv::trace::format_summary(summary);
  const char* path = std::getenv("HKV_TRACE_OUT");
  FILE* f = path != nullptr ? std::fopen(path, "w") : nullptr;
  std::fputs(text.c_str(), f != nullptr ? f : stderr);
  if (f != nullptr) {
    std::fclose(f);
  }
}

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  // Registered here, after the CUDA runtime has initialised (the first activity needs a context):
  // handlers run in reverse order, so the trace is flushed before the runtime tears down.
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(at_exit); });
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = *buffer != nullptr ? kBufferBytes : 0;
  *max_records = 0;
}

const char* copy_kind(uint8_t kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD:
      return "[copy host->device]";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH:
      return "[copy device->host]";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD:
      return "[copy device->device]";
    case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP:
      return "[copy peer->peer]";
    default:
      return "[copy other]";
  }
}

void record(State& s, CUpti_Activity* rec) {
  hkv::trace::Trace& t = s.trace;
  switch (rec->kind) {
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
    case CUPTI_ACTIVITY_KIND_KERNEL: {
      const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(rec);
      auto [it, fresh] = s.kernel_names.try_emplace(k->name, 0);
      if (fresh) {
        it->second = t.intern(k->name != nullptr ? k->name : "?");
      }
      t.device.push_back(DeviceSpan{k->start, k->end, it->second});
      break;
    }
    case CUPTI_ACTIVITY_KIND_MEMCPY: {
      const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(rec);
      t.device.push_back(DeviceSpan{m->start, m->end, t.intern(copy_kind(m->copyKind))});
      break;
    }
    case CUPTI_ACTIVITY_KIND_MEMSET: {
      const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(rec);
      t.device.push_back(DeviceSpan{m->start, m->end, t.intern("[memset]")});
      break;
    }
    case CUPTI_ACTIVITY_KIND_RUNTIME: {
      const auto* a = reinterpret_cast<const CUpti_ActivityAPI*>(rec);
      auto [it, fresh] = s.api_names.try_emplace(a->cbid, 0);
      if (fresh) {
        const char* name = nullptr;
        cuptiGetCallbackName(CUPTI_CB_DOMAIN_RUNTIME_API, a->cbid, &name);
        it->second = t.intern(name != nullptr ? name : "runtime call " + std::to_string(a->cbid));
      }
      t.api.push_back(ApiSpan{a->start, a->end, it->second, a->threadId});
      break;
    }
    default:
      break;
  }
}

void CUPTIAPI buffer_completed(
    CUcontext /*ctx*/, uint32_t stream_id, uint8_t* buffer, size_t /*size*/, size_t valid) {
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    CUpti_Activity* rec = nullptr;
    while (cuptiActivityGetNextRecord(buffer, valid, &rec) == CUPTI_SUCCESS) {
      record(s, rec);
    }
    size_t dropped = 0;
    if (cuptiActivityGetNumDroppedRecords(nullptr, stream_id, &dropped) == CUPTI_SUCCESS) {
      s.dropped += static_cast<int64_t>(dropped);
    }
  }
  std::free(buffer);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int InitializeInjection() {
  if (CUptiResult r = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
      r != CUPTI_SUCCESS) {
    report("cuptiActivityRegisterCallbacks", r);
    return 0;
  }
  for (CUpti_ActivityKind kind : {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY,
                                  CUPTI_ACTIVITY_KIND_MEMSET, CUPTI_ACTIVITY_KIND_RUNTIME}) {
    if (CUptiResult r = cuptiActivityEnable(kind); r != CUPTI_SUCCESS) {
      report("cuptiActivityEnable", r);
      return 0;
    }
  }
  return 1;
}
