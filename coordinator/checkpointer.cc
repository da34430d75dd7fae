// The checkpoint thread: waits for wal_grew() past the threshold, then runs one PASSIVE
// checkpoint on its own connection. Errors (SQLITE_BUSY while another checkpoint runs, a full
// disk) are logged and retried at the next wake-up: the WAL only grows meanwhile, nothing is lost.
#include "coordinator/checkpointer.h"

#include <sqlite3.h>

#include "common/logging.h"

namespace hkv::coordinator {
namespace {

int on_wal_commit(void* checkpointer, sqlite3* db, const char* schema, int pages) {
  if (pages >= Checkpointer::kWriterCheckpointPages) {
    // Errors are SQLite's business here as in its own auto-checkpoint: the commit stands.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  static_cast<Checkpointer*>(checkpointer)->wal_grew(pages);
  return SQLITE_OK;
}

}  // namespace

Result<std::unique_ptr<Checkpointer>> Checkpointer::start(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return errorf(StatusCode::kFailedPrecondition,
                  "cannot open a checkpoint connection to the state database '%s': %s",
                  path.c_str(), message.c_str());
  }
  // RESTART waits this long for the writer's transaction to end (transactions take milliseconds).
  sqlite3_busy_timeout(db, 2000);
  // A connection learns that the file is in WAL mode on its first read; until then a checkpoint
  // is a no-op.
  char* error = nullptr;
  rc = sqlite3_exec(db, "PRAGMA journal_mode", nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    sqlite3_close_v2(db);
    return errorf(StatusCode::kFailedPrecondition,
                  "cannot read the state database '%s' from the checkpoint connection: %s",
                  path.c_str(), message.c_str());
  }
  return std::unique_ptr<Checkpointer>(new Checkpointer(db));
}

Checkpointer::Checkpointer(sqlite3* db) : db_(db), thread_([this] { run(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  sqlite3_close_v2(db_);
}

void Checkpointer::wal_grew(int pages) {
  if (pages < kCheckpointPages) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    wanted_ = true;
  }
  cv_.notify_one();
}

void Checkpointer::run() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) {
        return;
      }
      wanted_ = false;
    }
    int wal_pages = 0;
    int copied = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
    if (rc == SQLITE_OK) {
      ++checkpoints_;
    } else if (rc != SQLITE_BUSY) {
      HKV_LOG(kWarning, "store", "WAL checkpoint failed (%s); retried when the WAL grows",
              sqlite3_errmsg(db_));
    }
  }
}

void route_checkpoints(sqlite3* db, Checkpointer* checkpointer) {
  // Replaces the hook sqlite3_wal_autocheckpoint installs: no checkpoint on the writer's thread.
  sqlite3_wal_hook(db, on_wal_commit, checkpointer);
}

}  // namespace hkv::coordinator
