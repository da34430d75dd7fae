// Task state names and the legal edges of the task state machine.
#include "coordinator/task_state.h"

namespace hkv::coordinator {

const char* task_state_name(TaskState state) {
  switch (state) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kAssigned:
      return "assigned";
    case TaskState::kRunning:
      return "running";
    case TaskState::kSucceeded:
      return "succeeded";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kCancelled:
      return "cancelled";
  }
  return "?";
}

Result<TaskState> parse_task_state(std::string_view name) {
  for (TaskState s : {TaskState::kPending, TaskState::kAssigned, TaskState::kRunning,
                      TaskState::kSucceeded, TaskState::kFailed, TaskState::kCancelled}) {
    if (name == task_state_name(s)) {
      return s;
    }
  }
  return errorf(StatusCode::kDataLoss, "unknown task state '%.*s' in the store",
                static_cast<int>(name.size()), name.data());
}

bool is_terminal(TaskState state) {
  return state == TaskState::kSucceeded || state == TaskState::kFailed ||
         state == TaskState::kCancelled;
}

bool is_leased(TaskState state) {
  return state == TaskState::kAssigned || state == TaskState::kRunning;
}

Status transition(TaskState from, TaskState to) {
  bool legal = false;
  switch (from) {
    case TaskState::kPending:
      legal = to == TaskState::kAssigned || to == TaskState::kCancelled;
      break;
    case TaskState::kAssigned:
      // A worker may report before its first heartbeat, hence assigned -> succeeded | failed.
      legal = to != TaskState::kAssigned;
      break;
    case TaskState::kRunning:
      legal = to != TaskState::kAssigned && to != TaskState::kRunning;
      break;
    case TaskState::kSucceeded:
    case TaskState::kFailed:
    case TaskState::kCancelled:
      legal = false;
      break;
  }
  if (!legal) {
    return errorf(StatusCode::kFailedPrecondition, "illegal task transition %s -> %s",
                  task_state_name(from), task_state_name(to));
  }
  return Status();
}

}  // namespace hkv::coordinator
