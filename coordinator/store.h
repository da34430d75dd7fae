// The coordinator's SQLite store: move-only RAII over the connection and prepared statements, the
// schema with user_version migrations, and one-transaction helpers. Every error is a Status that
// names the SQL operation and carries sqlite3_errmsg. Not thread-safe: the Scheduler serialises.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "coordinator/checkpointer.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hkv::coordinator {

// The store's prepared statements kept for reuse, keyed by SQL text (store.cc): parsing and
// planning a statement costs more than running it on the coordinator's hot paths.
class StatementPool;

// One prepared statement. Parameters are bound 1-based in order by bind_all(); columns are read
// 0-based after step() returned true. When it goes out of scope it is reset and goes back to its
// store's pool (finalised if the pool is full or gone); a statement in use is never handed out
// twice, so nested queries with the same text each get their own.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Resets the statement and binds `args` to ?1..?N. Accepts integers, double, strings,
  // nullptr (NULL) and std::optional of those.
  template <typename... Args>
  Status bind_all(const Args&... args) {
    reset();
    int index = 0;
    Status status;
    [[maybe_unused]] auto bind_one = [&](const auto& arg) {
      if (status.ok()) {
        status = bind(++index, arg);
      }
    };
    (bind_one(args), ...);
    return status;
  }

  // True when a row is available, false when the statement is done.
  Result<bool> step();
  // Steps to completion, discarding rows (INSERT/UPDATE/DELETE).
  Status run();

  int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  bool column_is_null(int column) const;

 private:
  friend class Store;
  Statement(sqlite3* db,
            sqlite3_stmt* stmt,
            std::shared_ptr<StatementPool> pool,
            const std::string* sql);

  void reset();
  void release();
  Status bind(int index, int64_t value);

  Status bind(int index, int32_t value) { return bind(index, static_cast<int64_t>(value)); }

  Status bind(int index, double value);
  Status bind(int index, std::string_view value);

  Status bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }

  Status bind(int index, const char* value) { return bind(index, std::string_view(value)); }

  Status bind(int index, std::nullptr_t);

  template <typename T>
  Status bind(int index, const std::optional<T>& value) {
    return value.has_value() ? bind(index, *value) : bind(index, nullptr);
  }

  Status error(const char* what) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::shared_ptr<StatementPool> pool_;  // where it returns; null: finalised at the end
  const std::string* sql_ = nullptr;     // the pool's copy of the SQL text (key and messages)
};

class Store {
 public:
  // The schema version this build writes (PRAGMA user_version).
  static constexpr int32_t kSchemaVersion = 8;

  // Opens or creates `path` in WAL mode with foreign keys on and a busy timeout, then applies the
  // pending migrations, each in its own transaction. A database from a newer build is refused.
  // WAL checkpoints run on a background connection (checkpointer.h), never in a transaction.
  static Result<Store> open(const std::string& path);

  Store(Store&& other) noexcept;
  Store& operator=(Store&& other) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // A statement for `sql`: a pooled one when the same text ran before, else newly prepared.
  Result<Statement> prepare(std::string_view sql);

  // PRAGMA quick_check and a writability check: DataLoss naming the file for a corrupt database
  // or a file that is no database, FailedPrecondition for a read-only one.
  Status check_usable();

  // prepare + bind_all: the statement is ready to step().
  template <typename... Args>
  Result<Statement> query(std::string_view sql, const Args&... args) {
    HKV_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
    HKV_RETURN_IF_ERROR(stmt.bind_all(args...));
    return stmt;
  }

  // prepare + bind_all + run.
  template <typename... Args>
  Status execute(std::string_view sql, const Args&... args) {
    HKV_ASSIGN_OR_RETURN(Statement stmt, query(sql, args...));
    return stmt.run();
  }

  // Runs a script of statements without parameters (schema, pragmas).
  Status exec_script(std::string_view sql);

  // Runs `body` between BEGIN IMMEDIATE and COMMIT, rolling back if it fails, so a multi-row change
  // is all-or-nothing. IMMEDIATE takes the write lock up front: no upgrade deadlock under WAL.
  // kSynced commits reach the disk (fsync) before returning: reports, submits, cancels. kRelaxed
  // commits survive a process crash but may be lost with the machine (PRAGMA synchronous =
  // NORMAL for that transaction): leases, heartbeats and registrations, which the lease timeout
  // recovers anyway. A later synced commit makes them durable too (one WAL).
  enum class Durability { kSynced, kRelaxed };
  Status transaction(const std::function<Status()>& body,
                     Durability durability = Durability::kSynced);

  int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const;
  Result<int32_t> schema_version();

  const std::string& path() const { return path_; }

  // Background WAL checkpoints completed so far (0 for ":memory:").
  int64_t checkpoints() const { return checkpointer_ ? checkpointer_->checkpoints() : 0; }

 private:
  Store(sqlite3* db, std::string path);
  void close();

  // Switches to WAL and returns the resulting journal mode.
  Result<std::string> journal_mode_wal();
  Status transaction_body(const std::function<Status()>& body);
  Status migrate();

  sqlite3* db_ = nullptr;
  std::string path_;
  std::shared_ptr<StatementPool> pool_;
  std::unique_ptr<Checkpointer> checkpointer_;  // null for ":memory:"
};

}  // namespace hkv::coordinator
