// SQLite store: WAL and foreign keys on open, migrations by user_version, transactions that roll
// back, move-only RAII, and errors that name the SQL operation.
#include "coordinator/store.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <type_traits>

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace hkv::coordinator {
namespace {

static_assert(!std::is_copy_constructible_v<Store> && std::is_move_constructible_v<Store>);
static_assert(!std::is_copy_constructible_v<Statement> && std::is_move_constructible_v<Statement>);

Store open_ok(const std::string& path) {
  Result<Store> store = Store::open(path);
  EXPECT_TRUE(store.ok()) << store.status().to_string();
  return std::move(store).value();
}

std::string pragma(Store& store, const char* name) {
  Result<Statement> stmt = store.query(std::string("PRAGMA ") + name);
  EXPECT_TRUE(stmt.ok()) << stmt.status().to_string();
  Result<bool> row = stmt->step();
  EXPECT_TRUE(row.ok() && *row);
  return stmt->column_text(0);
}

int64_t count(Store& store, const char* table) {
  Result<Statement> stmt = store.query(std::string("SELECT COUNT(*) FROM ") + table);
  EXPECT_TRUE(stmt.ok()) << stmt.status().to_string();
  EXPECT_TRUE(stmt->step().ok());
  return stmt->column_int64(0);
}

Status insert_sweep(Store& store, const char* name) {
  return store.execute(
      "INSERT INTO sweeps (name, spec_text, model, dtype, state, priority, created_ms) "
      "VALUES (?, 'spec', 'm', 'fp16', 'running', 0, 1)",
      name);
}

TEST(StoreTest, OpensInWalModeWithForeignKeysAndCurrentSchema) {
  hkv::testing::TempDir dir;
  Store store = open_ok(dir.path() + "/c.db");
  EXPECT_EQ(pragma(store, "journal_mode"), "wal");
  EXPECT_EQ(pragma(store, "foreign_keys"), "1");
  Result<int32_t> version = store.schema_version();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, Store::kSchemaVersion);
  for (const char* table : {"sweeps", "tasks", "task_configs", "attempts", "results", "workers"}) {
    EXPECT_EQ(count(store, table), 0) << table;
  }
}

TEST(StoreTest, ReopeningKeepsDataAndDoesNotMigrateAgain) {
  hkv::testing::TempDir dir;
  std::string path = dir.path() + "/c.db";
  {
    Store store = open_ok(path);
    ASSERT_TRUE(insert_sweep(store, "first").ok());
  }
  Store store = open_ok(path);
  EXPECT_EQ(count(store, "sweeps"), 1);
}

// A version-1 database (before head detection) gains tasks.options and results.head_scores, and
// its rows keep their values with the new columns' defaults.
TEST(StoreTest, MigratesAVersionOneDatabaseKeepingItsRows) {
  hkv::testing::TempDir dir;
  std::string path = dir.path() + "/c.db";
  {
    Store store = open_ok(path);
    ASSERT_TRUE(store
                    .exec_script(R"sql(
        ALTER TABLE tasks DROP COLUMN options;
        ALTER TABLE results DROP COLUMN head_scores;
        DROP INDEX sweeps_by_request_id;
        ALTER TABLE sweeps DROP COLUMN request_id;
        ALTER TABLE workers DROP COLUMN instance_id;
        ALTER TABLE workers DROP COLUMN busy_fraction;
        ALTER TABLE attempts DROP COLUMN references_json;
        ALTER TABLE workers DROP COLUMN memory_used_bytes;
        ALTER TABLE workers DROP COLUMN tp;
        ALTER TABLE sweeps DROP COLUMN needs_memory_bytes;
        ALTER TABLE workers DROP COLUMN gpu_busy_fraction;
        PRAGMA user_version = 1;)sql")
                    .ok());
    ASSERT_TRUE(insert_sweep(store, "old").ok());
    ASSERT_TRUE(store
                    .execute("INSERT INTO tasks (sweep_id, benchmark, dataset, sample_key, state, "
                             "max_attempts) VALUES (1, 'longbench', 'qasper', '0', 'pending', 3)")
                    .ok());
  }
  Store store = open_ok(path);
  EXPECT_EQ(pragma(store, "user_version"), std::to_string(Store::kSchemaVersion));
  Result<Statement> stmt = store.query("SELECT sample_key, options FROM tasks");
  ASSERT_TRUE(stmt.ok()) << stmt.status().to_string();
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_text(0), "0");
  EXPECT_EQ(stmt->column_text(1), "");
  EXPECT_TRUE(store.query("SELECT head_scores FROM results").ok());
  EXPECT_TRUE(store.query("SELECT request_id FROM sweeps").ok());
  EXPECT_TRUE(store.query("SELECT needs_memory_bytes FROM sweeps").ok());
  EXPECT_TRUE(store.query("SELECT tp FROM workers").ok());
}

TEST(StoreTest, RefusesASchemaFromANewerBuild) {
  hkv::testing::TempDir dir;
  std::string path = dir.path() + "/c.db";
  {
    Store store = open_ok(path);
    ASSERT_TRUE(store.exec_script("PRAGMA user_version = 99").ok());
  }
  Result<Store> store = Store::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos);
}

TEST(StoreTest, OpenErrorNamesThePath) {
  Result<Store> store = Store::open("/nonexistent-dir/sub/c.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/nonexistent-dir/sub/c.db"), std::string::npos)
      << store.status().message();
}

TEST(StoreTest, TransactionRollsBackWhenTheBodyFails) {
  hkv::testing::TempDir dir;
  Store store = open_ok(dir.path() + "/c.db");
  Status status = store.transaction([&]() -> Status {
    HKV_RETURN_IF_ERROR(insert_sweep(store, "a"));
    HKV_RETURN_IF_ERROR(insert_sweep(store, "b"));
    return errorf(StatusCode::kInternal, "boom");
  });
  EXPECT_EQ(status.message(), "boom");
  EXPECT_EQ(count(store, "sweeps"), 0);
  ASSERT_TRUE(store.transaction([&] { return insert_sweep(store, "c"); }).ok());
  EXPECT_EQ(count(store, "sweeps"), 1);
}

TEST(StoreTest, ErrorsNameTheOperationAndSqliteMessage) {
  hkv::testing::TempDir dir;
  Store store = open_ok(dir.path() + "/c.db");
  Result<Statement> bad = store.prepare("SELEC nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'SELEC nonsense'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos)
      << bad.status().message();

  // Foreign keys are enforced: a task needs its sweep.
  Status orphan = store.execute(
      "INSERT INTO tasks (sweep_id, benchmark, dataset, sample_key, state, max_attempts) "
      "VALUES (42, 'longbench', 'qasper', '0', 'pending', 3)");
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.message().find("INSERT INTO tasks"), std::string::npos) << orphan.message();
  EXPECT_NE(orphan.message().find("FOREIGN KEY constraint failed"), std::string::npos);

  // The state column only holds machine states.
  ASSERT_TRUE(insert_sweep(store, "s").ok());
  Status state = store.execute(
      "INSERT INTO tasks (sweep_id, benchmark, dataset, sample_key, state, max_attempts) "
      "VALUES (1, 'longbench', 'qasper', '0', 'sleeping', 3)");
  EXPECT_NE(state.message().find("CHECK constraint failed"), std::string::npos) << state.message();
}

TEST(StoreTest, ResultsAreKeyedByTaskAndConfig) {
  hkv::testing::TempDir dir;
  Store store = open_ok(dir.path() + "/c.db");
  ASSERT_TRUE(insert_sweep(store, "s").ok());
  ASSERT_TRUE(store
                  .exec_script(R"sql(
      INSERT INTO workers (id, state, registered_ms, last_heartbeat_ms) VALUES ('w', 'idle', 0, 0);
      INSERT INTO tasks (sweep_id, benchmark, dataset, sample_key, state, max_attempts)
          VALUES (1, 'longbench', 'qasper', '0', 'running', 3);
      INSERT INTO task_configs VALUES (1, 0, '{}');
      INSERT INTO attempts (task_id, attempt, worker_id, started_ms, outcome)
          VALUES (1, 1, 'w', 0, 'running'), (1, 2, 'w', 0, 'running');)sql")
                  .ok());
  const char* insert =
      "INSERT OR IGNORE INTO results (task_id, attempt, config_index, prediction, score, "
      "cache_bytes, cache_entries, decode_ms, new_tokens) VALUES (1, ?, 0, 'p', 1.0, 10, 2, 3.0, "
      "4)";
  ASSERT_TRUE(store.execute(insert, 1).ok());
  ASSERT_TRUE(store.execute(insert, 2).ok());  // a late duplicate from another attempt
  EXPECT_EQ(count(store, "results"), 1);
  Status unique = store.execute(
      "INSERT INTO tasks (sweep_id, benchmark, dataset, sample_key, state, max_attempts) "
      "VALUES (1, 'longbench', 'qasper', '0', 'pending', 3)");
  EXPECT_NE(unique.message().find("UNIQUE constraint failed"), std::string::npos);
}

TEST(StoreTest, StatementsBindAllTypesAndReuse) {
  hkv::testing::TempDir dir;
  Store store = open_ok(dir.path() + "/c.db");
  Result<Statement> stmt = store.prepare("SELECT ?, ?, ?, ?, ?");
  ASSERT_TRUE(stmt.ok());
  Statement moved = std::move(stmt).value();
  for (int round = 0; round < 2; ++round) {
    std::optional<int64_t> none;
    ASSERT_TRUE(moved.bind_all(int64_t{7} + round, 2.5, std::string("text"), nullptr, none).ok());
    Result<bool> row = moved.step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(moved.column_int64(0), 7 + round);
    EXPECT_EQ(moved.column_double(1), 2.5);
    EXPECT_EQ(moved.column_text(2), "text");
    EXPECT_TRUE(moved.column_is_null(3));
    EXPECT_TRUE(moved.column_is_null(4));
  }
}

}  // namespace

TEST(StoreTest, PooledStatementsOfTheSameTextNestAndStartAfresh) {
  hkv::testing::TempDir dir;
  Store store = open_ok(dir.path() + "/c.db");
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(insert_sweep(store, name).ok());
  }
  const char* sql = "SELECT name FROM sweeps ORDER BY id";
  auto names = [&](Statement& stmt) {
    std::string out;
    while (*stmt.step()) {
      out += stmt.column_text(0);
    }
    return out;
  };
  {
    Result<Statement> outer = store.query(sql);
    ASSERT_TRUE(outer.ok());
    ASSERT_TRUE(*outer->step());
    EXPECT_EQ(outer->column_text(0), "a");
    {
      // The same text while the first is mid-way: its own statement, from the first row.
      Result<Statement> inner = store.query(sql);
      ASSERT_TRUE(inner.ok());
      EXPECT_EQ(names(*inner), "abc");
    }
    EXPECT_EQ(names(*outer), "bc");  // undisturbed
  }
  // Both went back to the pool reset: a new use starts at the first row, old bindings gone.
  Result<Statement> again = store.query(sql);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(names(*again), "abc");
  Result<Statement> bound = store.query("SELECT ?1 IS NULL");
  ASSERT_TRUE(bound.ok());
  ASSERT_TRUE(bound->bind_all(int64_t{7}).ok());
  bound = store.prepare("SELECT ?1 IS NULL");
  ASSERT_TRUE(bound.ok() && *bound->step());
  EXPECT_EQ(bound->column_int64(0), 1);
  // More distinct texts than the pool keeps still run (the rest are prepared each time).
  for (int i = 0; i < 300; ++i) {
    Result<Statement> stmt = store.query("SELECT " + std::to_string(i));
    ASSERT_TRUE(stmt.ok() && *stmt->step());
    EXPECT_EQ(stmt->column_int64(0), i);
  }
}

// A writer that never pauses: the background checkpoints run, and the writer's own fallback
// bounds the WAL (Checkpointer::kWriterCheckpointPages).
TEST(StoreTest, CheckpointsKeepTheWalBounded) {
  hkv::testing::TempDir dir;
  const std::string path = dir.path() + "/c.db";
  Store store = open_ok(path);
  const std::string spec(8192, 'x');  // about 3 WAL pages per commit
  constexpr int kCommits = 6000;      // about 50 MB through the WAL
  for (int i = 0; i < kCommits; ++i) {
    ASSERT_TRUE(store
                    .execute("INSERT INTO sweeps (name, spec_text, model, dtype, state, "
                             "priority, created_ms) VALUES ('s', ?, 'm', 'fp16', 'running', 0, 1)",
                             spec)
                    .ok());
  }
  for (int i = 0; i < 100 && store.checkpoints() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(store.checkpoints(), 0);
  const auto wal_bytes = std::filesystem::file_size(path + "-wal");
  EXPECT_LT(wal_bytes, 3 * Checkpointer::kWriterCheckpointPages * uintmax_t{4096})
      << "the WAL was not reused from its start after checkpoints";
  EXPECT_EQ(count(store, "sweeps"), kCommits);
}

}  // namespace hkv::coordinator
