// The task state machine: every state change of a task goes through transition(), which rejects
// the illegal edges, so the store never holds a task that skipped a step.
#pragma once

#include <string_view>

#include "common/status.h"

namespace hkv::coordinator {

enum class TaskState {
  kPending,    // waiting for a worker; new, or put back after a retryable failure or lost lease
  kAssigned,   // handed to a worker by pull_task; its lease runs, no heartbeat has named it yet
  kRunning,    // the worker confirmed it by a heartbeat; the lease is extended by heartbeats
  kSucceeded,  // a result for every config is stored (terminal)
  kFailed,     // a non-retryable error, or attempts exhausted; last_error says why (terminal)
  kCancelled,  // its sweep was cancelled before it finished (terminal)
};

// "pending", "assigned", ... as stored in the tasks table.
const char* task_state_name(TaskState state);
Result<TaskState> parse_task_state(std::string_view name);
bool is_terminal(TaskState state);
// True for assigned and running: a worker holds the task under a lease.
bool is_leased(TaskState state);

// OK when `from -> to` is an edge of the machine:
//   pending  -> assigned | cancelled
//   assigned -> running | succeeded | failed | pending | cancelled
//   running  -> succeeded | failed | pending | cancelled
// Terminal states have no outgoing edges; FailedPrecondition otherwise.
Status transition(TaskState from, TaskState to);

}  // namespace hkv::coordinator
