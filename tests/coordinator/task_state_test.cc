// The task state machine: every edge, legal or not, and the state names stored in SQLite.
#include "coordinator/task_state.h"

#include <set>
#include <utility>

#include <gtest/gtest.h>

namespace hkv::coordinator {
namespace {

constexpr TaskState kAll[] = {TaskState::kPending,   TaskState::kAssigned, TaskState::kRunning,
                              TaskState::kSucceeded, TaskState::kFailed,   TaskState::kCancelled};

TEST(TaskStateTest, OnlyTheDocumentedEdgesAreLegal) {
  using S = TaskState;
  const std::set<std::pair<S, S>> legal = {
      {S::kPending, S::kAssigned},   {S::kPending, S::kCancelled}, {S::kAssigned, S::kRunning},
      {S::kAssigned, S::kSucceeded}, {S::kAssigned, S::kFailed},   {S::kAssigned, S::kPending},
      {S::kAssigned, S::kCancelled}, {S::kRunning, S::kSucceeded}, {S::kRunning, S::kFailed},
      {S::kRunning, S::kPending},    {S::kRunning, S::kCancelled},
  };
  for (TaskState from : kAll) {
    for (TaskState to : kAll) {
      Status status = transition(from, to);
      bool expected = legal.count({from, to}) > 0;
      EXPECT_EQ(status.ok(), expected) << task_state_name(from) << " -> " << task_state_name(to);
      if (!expected) {
        EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
        EXPECT_NE(status.message().find(std::string(task_state_name(from)) + " -> " +
                                        task_state_name(to)),
                  std::string::npos);
      }
    }
  }
}

TEST(TaskStateTest, NamesRoundTripAndClassify) {
  for (TaskState s : kAll) {
    Result<TaskState> back = parse_task_state(task_state_name(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(parse_task_state("sleeping").ok());
  EXPECT_TRUE(is_terminal(TaskState::kCancelled));
  EXPECT_FALSE(is_terminal(TaskState::kRunning));
  EXPECT_TRUE(is_leased(TaskState::kAssigned));
  EXPECT_FALSE(is_leased(TaskState::kPending));
}

}  // namespace
}  // namespace hkv::coordinator
