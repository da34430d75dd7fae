// libFuzzer harness: bytes -> one hkv.v1 request (the first byte picks ReportResult, Heartbeat,
// SubmitSweep or RegisterWorker and a few options) -> from_proto -> the Scheduler call its
// handler makes, against one in-memory SQLite scheduler reused across inputs (rebuilt every
// kResetEvery inputs so its tables stay small). Any Status is fine; a fault or abort is a finding,
// and so is a result the scheduler acknowledged as recorded that its sweep's results() cannot
// read back (HKV_FUZZ_NO_READBACK=1 skips that check, to fuzz past a known instance of it).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// protobuf 3.21 declares SetLogHandler in this header of its own utility folder.
#include <google/protobuf/stubs/logging.h>

#include "coordinator/proto_convert.h"
#include "coordinator/scheduler.h"
#include "fuzz/sweep_grid.h"
#include "fuzz/verbose.h"
#include "jobs/sweep_spec.h"

namespace {

namespace coord = hkv::coordinator;
namespace v1 = hkv::v1;

constexpr int kResetEvery = 4096;
constexpr int kListEvery = 256;
// Submitted sweeps are stored only when small: storing is linear in units x configs.
constexpr int64_t kMaxSubmitted = 64;
constexpr int64_t kClockStepMs = 250;  // a 60 s lease expires after 240 inputs

// First byte: bits 0-1 the request; bit 2 "aim at the leased task" (the harness fills in its
// worker id, task id and attempt so reports reach the result checks); bit 3 expire leases first;
// bit 4 picks the scheduler whose setup sweep holds heads tasks instead of needle tasks (a task's
// kind decides which results a report must carry).
enum Selector : uint8_t { kReport = 0, kHeartbeat = 1, kSubmit = 2, kRegister = 3 };

constexpr uint8_t kAimAtLease = 4;
constexpr uint8_t kExpireFirst = 8;
constexpr uint8_t kHeadsScheduler = 16;

// Two needle tasks decoded with two configs each (FullKV, SnapKV).
constexpr std::string_view kNeedleSetup = R"yaml(name: fuzz-needle
model: /models/fuzz.gguf
benchmarks:
  - benchmark: needle
    lengths: [100]
    depths: 2
methods:
  - method: FullKV
  - method: SnapKV
    budgets: [16]
)yaml";

// Two head-detection tests, each decoded with the one detection config and reporting scores.
constexpr std::string_view kHeadsSetup = R"yaml(name: fuzz-heads
model: /models/fuzz.gguf
benchmarks:
  - benchmark: heads
    datasets: [retrieval]
    lengths: [0]
    depths: 2
    needles: 1
)yaml";

// Scheduler errors are expected; an internal one from a fuzzed request is worth a look, so the
// first few are printed (the run continues). Returns whether the call succeeded.
template <typename T>
bool checked(const hkv::Result<T>& result, const char* call) {
  hkv::fuzz::log_status(call, result.status());
  static int printed = 0;
  if (result.status().code() == hkv::StatusCode::kInternal && printed < 5) {
    ++printed;
    std::fprintf(stderr, "fuzz_proto_handlers: %s returned %s\n", call,
                 result.status().to_string().c_str());
  }
  return result.ok();
}

class Harness {
 public:
  explicit Harness(std::string_view setup_sweep) : setup_sweep_(setup_sweep) { reset(); }

  void run(uint8_t selector, const uint8_t* data, size_t size);

 private:
  void reset();
  // The task the harness's worker holds now (pulling one, submitting the setup sweep if needed).
  const coord::TaskAssignment* lease();
  void report(const uint8_t* data, size_t size, bool aim);
  void heartbeat(const uint8_t* data, size_t size, bool aim);
  void submit(const uint8_t* data, size_t size);
  void register_worker(const uint8_t* data, size_t size, bool aim);
  void list();
  void check_readback(int64_t sweep_id);

  std::string_view setup_sweep_;
  int64_t now_ms_ = 1'700'000'000'000;
  int inputs_ = 0;
  std::unique_ptr<coord::Scheduler> scheduler_;
  std::string worker_id_;
  std::optional<coord::TaskAssignment> current_;
};

void Harness::reset() {
  scheduler_.reset();
  current_.reset();
  coord::SchedulerOptions options;
  auto scheduler = coord::Scheduler::open(":memory:", options, [this] { return now_ms_; });
  HKV_CHECK(scheduler.ok()) << "fuzz setup: " << scheduler.status().to_string();
  scheduler_ = std::move(scheduler).value();
  coord::WorkerInfo info;
  info.hostname = "fuzz-host";
  info.device = "cpu";
  auto id = scheduler_->register_worker(info);
  HKV_CHECK(id.ok()) << "fuzz setup: " << id.status().to_string();
  worker_id_ = *id;
}

const coord::TaskAssignment* Harness::lease() {
  if (current_.has_value()) {
    return &*current_;
  }
  for (int tries = 0; tries < 2; ++tries) {
    auto task = scheduler_->pull_task(worker_id_);
    if (!checked(task, "pull_task")) {
      return nullptr;
    }
    if (task->has_value()) {
      current_ = std::move(**task);
      v1::Task wire;
      coord::to_proto(*current_, &wire);
      return &*current_;
    }
    auto submitted = scheduler_->submit_sweep(setup_sweep_, "fuzz-setup.yaml");
    HKV_CHECK(submitted.ok()) << "fuzz setup: " << submitted.status().to_string();
  }
  return nullptr;
}

void Harness::report(const uint8_t* data, size_t size, bool aim) {
  v1::ReportResultRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) {
    return;
  }
  if (aim) {
    if (const coord::TaskAssignment* task = lease()) {
      req.set_worker_id(worker_id_);
      req.set_task_id(task->task_id);
      req.set_attempt(task->attempt);
    }
  }
  auto outcome = scheduler_->report_result(coord::from_proto(req));
  if (!checked(outcome, "report_result")) {
    return;
  }
  if (hkv::fuzz::verbose()) {
    std::fprintf(stderr, "  outcome %d (0 recorded, 1 duplicate, 2 stale)\n",
                 static_cast<int>(*outcome));
  }
  if (!current_.has_value() || req.task_id() != current_->task_id) {
    return;
  }
  const int64_t sweep_id = current_->sweep_id;
  current_.reset();  // finished, requeued or no longer ours: pull afresh next time
  if (*outcome == coord::ReportOutcome::kRecorded && req.ok()) {
    check_readback(sweep_id);
  }
}

// What the scheduler acknowledged must be readable: GetResults serves results() (in pages) to
// `headkv results`, and one unreadable row fails the whole sweep's listing. The pages, small
// enough to hold one task each, must add up to the unpaged rows.
void Harness::check_readback(int64_t sweep_id) {
  static const bool skip = std::getenv("HKV_FUZZ_NO_READBACK") != nullptr;
  if (skip) {
    return;
  }
  auto rows = scheduler_->results(sweep_id);
  hkv::fuzz::log_status("results", rows.status());
  if (!rows.ok()) {
    std::fprintf(stderr,
                 "fuzz_proto_handlers: a report acknowledged as recorded cannot be read back: "
                 "results(%lld) = %s\n",
                 static_cast<long long>(sweep_id), rows.status().to_string().c_str());
    std::abort();
  }
  size_t paged = 0;
  int64_t after = 0;
  bool complete = false;
  for (int page = 0; page < 64 && !complete; ++page) {
    int64_t next = 0;
    auto rows_page = scheduler_->results_page(sweep_id, after, /*page_bytes=*/1, &next);
    if (!rows_page.ok()) {
      std::fprintf(stderr, "fuzz_proto_handlers: results_page(%lld, %lld) = %s\n",
                   static_cast<long long>(sweep_id), static_cast<long long>(after),
                   rows_page.status().to_string().c_str());
      std::abort();
    }
    paged += rows_page->size();
    complete = next == 0;
    after = next;
  }
  if (complete && paged != rows->size()) {
    std::fprintf(stderr, "fuzz_proto_handlers: results(%lld) has %zu rows, its pages %zu\n",
                 static_cast<long long>(sweep_id), rows->size(), paged);
    std::abort();
  }
}

void Harness::heartbeat(const uint8_t* data, size_t size, bool aim) {
  v1::HeartbeatRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) {
    return;
  }
  if (aim) {
    req.set_worker_id(worker_id_);
    if (const coord::TaskAssignment* task = lease()) {
      req.set_task_id(task->task_id);
      req.set_attempt(task->attempt);
    }
  }
  auto reply = scheduler_->heartbeat(coord::from_proto(req));
  if (!checked(reply, "heartbeat")) {
    return;
  }
  if (reply->cancel_current_task && current_.has_value() && req.task_id() == current_->task_id) {
    current_.reset();
  }
}

void Harness::submit(const uint8_t* data, size_t size) {
  v1::SubmitSweepRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) {
    return;
  }
  const std::string& text = req.spec().spec_text();
  auto spec = hkv::jobs::parse_sweep_spec(text, req.spec().source());
  if (spec.ok()) {
    hkv::fuzz::SweepGrid grid = hkv::fuzz::sweep_grid(*spec, kMaxSubmitted);
    if (grid.units > kMaxSubmitted || grid.configs > kMaxSubmitted) {
      return;
    }
  }
  // Invalid specs go in too: the scheduler must reject them without storing anything.
  (void)checked(scheduler_->submit_sweep(text, req.spec().source(), req.request_id()),
                "submit_sweep");
}

void Harness::register_worker(const uint8_t* data, size_t size, bool aim) {
  v1::RegisterWorkerRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) {
    return;
  }
  auto id = scheduler_->register_worker(coord::from_proto(req.worker()));
  if (!checked(id, "register_worker")) {
    return;
  }
  if (aim && *id != worker_id_) {
    // The new worker takes a task; its lease is left to expire (or to a later report).
    auto task = scheduler_->pull_task(*id);
    if (checked(task, "pull_task") && task->has_value()) {
      v1::Task wire;
      coord::to_proto(**task, &wire);
    }
  }
}

// The read side the listing RPCs serve, over whatever the fuzzed requests stored.
void Harness::list() {
  auto sweeps = scheduler_->list_sweeps();
  if (checked(sweeps, "list_sweeps")) {
    for (const coord::SweepProgress& p : *sweeps) {
      v1::SweepProgress wire;
      coord::to_proto(p, &wire);
    }
  }
  auto workers = scheduler_->list_workers();
  if (checked(workers, "list_workers")) {
    for (const coord::WorkerStatus& w : *workers) {
      v1::WorkerStatus wire;
      coord::to_proto(w, &wire);
    }
  }
}

void Harness::run(uint8_t selector, const uint8_t* data, size_t size) {
  if (++inputs_ % kResetEvery == 0) {
    reset();
  }
  now_ms_ += kClockStepMs;
  if (selector & kExpireFirst) {
    (void)checked(scheduler_->expire_leases(), "expire_leases");
  }
  const bool aim = (selector & kAimAtLease) != 0;
  switch (selector & 3) {
    case kReport:
      report(data, size, aim);
      break;
    case kHeartbeat:
      heartbeat(data, size, aim);
      break;
    case kSubmit:
      submit(data, size);
      break;
    case kRegister:
      register_worker(data, size, aim);
      break;
  }
  if (inputs_ % kListEvery == 0) {
    list();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  [[maybe_unused]] static const bool quiet = hkv::fuzz::quiet_logs();
  // libprotobuf logs every string field with invalid UTF-8 it parses; the parse result is enough.
  [[maybe_unused]] static const auto proto_logs = google::protobuf::SetLogHandler(nullptr);
  if (size == 0) {
    return 0;
  }
  static Harness needle(kNeedleSetup);
  static Harness heads(kHeadsSetup);
  (data[0] & kHeadsScheduler ? heads : needle).run(data[0], data + 1, size - 1);
  return 0;
}
