// Background WAL checkpoints for the coordinator's store. A checkpoint copies the WAL's pages into
// the database file and syncs it: done by the writing connection (SQLite's default), that work
// would run inside whichever transaction crossed the threshold, with the scheduler's lock held,
// and show as a latency spike on a lease or report. Instead the store's connection never
// checkpoints; this thread, with its own connection to the same file, runs a PASSIVE checkpoint
// (it never waits for or blocks a writer) whenever the WAL has grown past kCheckpointPages.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

struct sqlite3;

namespace hkv::coordinator {

class Checkpointer {
 public:
  // SQLite's own default threshold (pages of the WAL, 4 KiB each).
  static constexpr int kCheckpointPages = 1000;
  // The bound: a writer that never pauses starves the background checkpoint (RESTART needs a
  // moment between two transactions); past this size the writer checkpoints itself, as SQLite
  // does by default, and the WAL is reused from its start after that.
  static constexpr int kWriterCheckpointPages = 8 * kCheckpointPages;

  // Opens a second connection to `path` (an existing WAL database) and starts the thread.
  static Result<std::unique_ptr<Checkpointer>> start(const std::string& path);

  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  // Stops the thread and closes its connection (the store's last close checkpoints the rest).
  ~Checkpointer();

  // Called after each commit with the WAL's size in pages (sqlite3_wal_hook, on the writer's
  // thread): wakes the checkpointer once the WAL holds kCheckpointPages or more.
  void wal_grew(int pages);

  // Checkpoints run so far (tests and diagnostics).
  int64_t checkpoints() const { return checkpoints_.load(); }

 private:
  explicit Checkpointer(sqlite3* db);
  void run();

  sqlite3* db_ = nullptr;  // used by the thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::atomic<int64_t> checkpoints_{0};
  std::thread thread_;  // last: starts once the rest exists
};

// Installs the WAL hook on `db`, the store's writing connection: it stops SQLite's automatic
// checkpoints there and hands the WAL size to `checkpointer` instead.
void route_checkpoints(sqlite3* db, Checkpointer* checkpointer);

}  // namespace hkv::coordinator
