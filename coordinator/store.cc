// SQLite store: RAII, statements and transactions (the schema is in store_schema.cc). All state of
// the coordinator lives here, committed before an RPC answers, so a crash or restart loses nothing
// that was acknowledged.
#include "coordinator/store.h"

#include <algorithm>
#include <sqlite3.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hkv::coordinator {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// The page cache: a 1M-task sweep's indexes stay in memory while it is submitted and leased.
constexpr const char* kCacheSizePragma = "PRAGMA cache_size = -65536";  // KiB: 64 MiB
// A WAL file that grew (a large submit) is cut back to this size when it is reused from its start.
constexpr const char* kWalLimitPragma = "PRAGMA journal_size_limit = 67108864";  // bytes: 64 MiB

// The first line of a statement, trimmed to a readable length, names the operation in errors.
std::string describe_sql(std::string_view sql) {
  size_t begin = sql.find_first_not_of(" \t\r\n");
  sql = begin == sql.npos ? std::string_view() : sql.substr(begin);
  size_t end = std::min(sql.find('\n'), static_cast<size_t>(72));
  return std::string(sql.substr(0, std::min(end, sql.size())));
}

Status sqlite_error(sqlite3* db, const std::string& op) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return errorf(StatusCode::kInternal, "sqlite '%s': %s", op.c_str(), message);
}

}  // namespace

// Idle prepared statements by SQL text. Bounded: at most kMaxTexts texts (the coordinator uses a
// few dozen fixed ones) and kMaxIdlePerText idle statements each; others are finalised on return.
// Used under the Scheduler's lock like the connection itself.
class StatementPool {
 public:
  static constexpr size_t kMaxTexts = 128;
  static constexpr size_t kMaxIdlePerText = 4;

  StatementPool() = default;
  StatementPool(const StatementPool&) = delete;
  StatementPool& operator=(const StatementPool&) = delete;

  ~StatementPool() { close(); }

  // An idle statement for `sql` (or nullptr: prepare one) and, in *key, the pool's stable copy
  // of the text the statement must come back under (nullptr: not pooled).
  sqlite3_stmt* take(std::string_view sql, const std::string** key) {
    *key = nullptr;
    if (closed_) {
      return nullptr;
    }
    auto it = idle_.find(sql);
    if (it == idle_.end()) {
      if (idle_.size() >= kMaxTexts) {
        return nullptr;
      }
      it = idle_.emplace(std::string(sql), std::vector<sqlite3_stmt*>()).first;
    }
    *key = &it->first;
    if (it->second.empty()) {
      return nullptr;
    }
    sqlite3_stmt* stmt = it->second.back();
    it->second.pop_back();
    return stmt;
  }

  // `stmt` was reset by the caller.
  void give_back(const std::string& key, sqlite3_stmt* stmt) {
    auto it = idle_.find(std::string_view(key));
    if (closed_ || it == idle_.end() || it->second.size() >= kMaxIdlePerText) {
      sqlite3_finalize(stmt);
      return;
    }
    it->second.push_back(stmt);
  }

  // Finalises every idle statement; statements returned later are finalised at once.
  void close() {
    closed_ = true;
    for (auto& [sql, stmts] : idle_) {
      for (sqlite3_stmt* stmt : stmts) {
        sqlite3_finalize(stmt);
      }
      stmts.clear();
    }
  }

 private:
  struct Hash {
    using is_transparent = void;

    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  std::unordered_map<std::string, std::vector<sqlite3_stmt*>, Hash, std::equal_to<>> idle_;
  bool closed_ = false;
};

Statement::Statement(sqlite3* db,
                     sqlite3_stmt* stmt,
                     std::shared_ptr<StatementPool> pool,
                     const std::string* sql)
    : db_(db), stmt_(stmt), pool_(std::move(pool)), sql_(sql) {}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      pool_(std::move(other.pool_)),
      sql_(std::exchange(other.sql_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    pool_ = std::move(other.pool_);
    sql_ = std::exchange(other.sql_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  release();
}

void Statement::release() {
  if (stmt_ == nullptr) {
    return;
  }
  if (pool_ != nullptr && sql_ != nullptr) {
    // Reset ends the statement's read (an open statement would hold its snapshot and block
    // COMMIT); the bindings are cleared so no large text stays referenced.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    pool_->give_back(*sql_, std::exchange(stmt_, nullptr));
  } else {
    sqlite3_finalize(std::exchange(stmt_, nullptr));
  }
  pool_.reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Status Statement::error(const char* what) const {
  const std::string op = describe_sql(sql_ != nullptr    ? std::string_view(*sql_)
                                      : stmt_ != nullptr ? std::string_view(sqlite3_sql(stmt_))
                                                         : std::string_view());
  return sqlite_error(db_, op).with_context("%s", what);
}

Status Statement::bind(int index, int64_t value) {
  return sqlite3_bind_int64(stmt_, index, value) == SQLITE_OK ? Status() : error("bind");
}

Status Statement::bind(int index, double value) {
  return sqlite3_bind_double(stmt_, index, value) == SQLITE_OK ? Status() : error("bind");
}

Status Statement::bind(int index, std::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return rc == SQLITE_OK ? Status() : error("bind");
}

Status Statement::bind(int index, std::nullptr_t) {
  return sqlite3_bind_null(stmt_, index) == SQLITE_OK ? Status() : error("bind");
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return error("step");
}

Status Statement::run() {
  while (true) {
    HKV_ASSIGN_OR_RETURN(bool row, step());
    if (!row) {
      return Status();
    }
  }
}

int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int bytes = sqlite3_column_bytes(stmt_, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), bytes);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<Store> Store::open(const std::string& path) {
  // Memory statistics take a global mutex on every allocation; the coordinator never reads them.
  // Only possible before SQLite initialises (a later call is refused harmlessly).
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  sqlite3* db = nullptr;
  // NOMUTEX: the Scheduler's lock already serialises every use of the connection.
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Store store(db, path);  // owns db from here, even when the open failed
  if (rc != SQLITE_OK) {
    return errorf(StatusCode::kFailedPrecondition,
                  "cannot open or create the state database '%s' (%s): check that its folder "
                  "exists and is writable",
                  path.c_str(), db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  Status usable = store.check_usable();
  if (!usable.ok()) {
    return usable;
  }
  // FULL sync: a committed report survives power loss, not only a process crash.
  HKV_RETURN_IF_ERROR(store.exec_script("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"));
  HKV_RETURN_IF_ERROR(store.exec_script(kCacheSizePragma));
  HKV_RETURN_IF_ERROR(store.exec_script(kWalLimitPragma));
  HKV_ASSIGN_OR_RETURN(std::string mode, store.journal_mode_wal());
  if (mode != "wal" && path != ":memory:") {
    return errorf(StatusCode::kFailedPrecondition, "%s: cannot enable WAL (journal_mode is '%s')",
                  path.c_str(), mode.c_str());
  }
  HKV_RETURN_IF_ERROR(store.migrate());
  if (path != ":memory:") {
    HKV_ASSIGN_OR_RETURN(store.checkpointer_, Checkpointer::start(path));
    route_checkpoints(db, store.checkpointer_.get());
  }
  return store;
}

Status Store::check_usable() {
  // Not a database at all (random bytes, a text file): the first read says SQLITE_NOTADB.
  Result<Statement> check = prepare("PRAGMA quick_check");
  if (!check.ok()) {
    return errorf(StatusCode::kDataLoss,
                  "'%s' is not a usable SQLite database (%s): move it away or pass another --db",
                  path_.c_str(), sqlite3_errmsg(db_));
  }
  std::string problems;
  int rows = 0;
  while (true) {
    Result<bool> row = check->step();
    if (!row.ok()) {
      return errorf(StatusCode::kDataLoss,
                    "'%s' is not a usable SQLite database (%s): move it away or pass another --db",
                    path_.c_str(), sqlite3_errmsg(db_));
    }
    if (!*row) {
      break;
    }
    std::string line = check->column_text(0);
    if (line != "ok" && ++rows <= 5) {
      problems += (problems.empty() ? "" : "; ") + line;
    }
  }
  if (!problems.empty()) {
    return errorf(StatusCode::kDataLoss,
                  "the state database '%s' is corrupt (PRAGMA quick_check: %s): restore a backup "
                  "or start a new --db; it was not modified",
                  path_.c_str(), problems.c_str());
  }
  if (sqlite3_db_readonly(db_, "main") == 1) {
    return errorf(StatusCode::kFailedPrecondition,
                  "the state database '%s' is read-only: the coordinator must write it",
                  path_.c_str());
  }
  return Status();
}

Store::Store(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)), pool_(std::make_shared<StatementPool>()) {}

Store::Store(Store&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      pool_(std::move(other.pool_)),
      checkpointer_(std::move(other.checkpointer_)) {}

Store& Store::operator=(Store&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    pool_ = std::move(other.pool_);
    checkpointer_ = std::move(other.checkpointer_);
  }
  return *this;
}

Store::~Store() {
  close();
}

void Store::close() {
  if (pool_ != nullptr) {
    pool_->close();
  }
  // The checkpoint connection goes first, so the store's close (the last one) checkpoints the
  // whole WAL and removes it.
  checkpointer_.reset();
  // close_v2 defers the close until outstanding statements are finalised.
  sqlite3_close_v2(std::exchange(db_, nullptr));
}

Result<Statement> Store::prepare(std::string_view sql) {
  const std::string* key = nullptr;
  sqlite3_stmt* stmt = pool_->take(sql, &key);
  if (stmt != nullptr) {
    return Statement(db_, stmt, pool_, key);
  }
  const unsigned flags = key != nullptr ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), flags, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(db_, describe_sql(sql)).with_context("prepare");
  }
  return Statement(db_, stmt, key != nullptr ? pool_ : nullptr, key);
}

Status Store::exec_script(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec needs a NUL-terminated script
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) {
    return Status();
  }
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return errorf(StatusCode::kInternal, "sqlite '%s': %s", describe_sql(sql).c_str(),
                detail.c_str());
}

Status Store::transaction(const std::function<Status()>& body, Durability durability) {
  const bool relaxed = durability == Durability::kRelaxed;
  if (relaxed) {
    HKV_RETURN_IF_ERROR(execute("PRAGMA synchronous = NORMAL"));
  }
  Status status = transaction_body(body);
  if (relaxed) {
    Status restore = execute("PRAGMA synchronous = FULL");
    if (!restore.ok()) {
      return status.ok() ? restore : status;
    }
  }
  return status;
}

Status Store::transaction_body(const std::function<Status()>& body) {
  HKV_RETURN_IF_ERROR(execute("BEGIN IMMEDIATE"));
  Status status = body();
  if (status.ok()) {
    status = execute("COMMIT");
    if (status.ok()) {
      return status;
    }
  }
  // The body's error is the one to report; a failed rollback only adds to it.
  Status rollback = execute("ROLLBACK");
  return rollback.ok() ? status
                       : status.with_context("(rollback failed: %s)", rollback.message().c_str());
}

int64_t Store::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t Store::changes() const {
  return sqlite3_changes64(db_);
}

Result<std::string> Store::journal_mode_wal() {
  // Scoped so the statement is finalised before migrations commit (open statements block COMMIT).
  HKV_ASSIGN_OR_RETURN(Statement stmt, prepare("PRAGMA journal_mode = WAL"));
  HKV_ASSIGN_OR_RETURN(bool row, stmt.step());
  return row ? stmt.column_text(0) : std::string();
}

}  // namespace hkv::coordinator
