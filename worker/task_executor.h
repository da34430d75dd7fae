// Adapts TaskRunner to the worker loop: v1::Task in, v1::ReportResultRequest out.
#pragma once

#include "worker/task_runner.h"
#include "worker/worker_loop.h"

namespace hkv::worker {

// The executor runs tasks on `runner` (which must outlive it).
TaskExecutor make_task_executor(TaskRunner* runner);
// The batch form: a lease's tasks go through TaskRunner::run_batch (one decode batch on the GPU).
BatchExecutor make_batch_executor(TaskRunner* runner);
// WorkerOptions::prepare_ahead for `runner`: the lease's prompts through TaskRunner::prepare_ahead.
std::function<void(const std::vector<v1::Task>&)> make_batch_preparer(TaskRunner* runner);

// The domain request of a proto task.
// The task's unit and configs; InvalidArgument naming the field for a benchmark or a config name
// this build does not know.
Result<RunRequest> to_run_request(const v1::Task& task);

}  // namespace hkv::worker
