// The coordinator store's schema: its migrations, applied in order at open (Store::migrate) and
// recorded in SQLite's user_version.
#include <iterator>
#include <string>

#include "coordinator/store.h"

namespace hkv::coordinator {
namespace {

// Migration N brings user_version from N-1 to N. Append only: never edit a shipped migration.
constexpr const char* kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  spec_text TEXT NOT NULL,
  model TEXT NOT NULL,
  dtype TEXT NOT NULL,
  max_new_tokens INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
  priority INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  device_name TEXT NOT NULL DEFAULT '',
  memory_bytes INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('idle', 'busy', 'draining')),
  registered_ms INTEGER NOT NULL,
  last_heartbeat_ms INTEGER NOT NULL,
  current_task_id INTEGER,
  tokens_per_second REAL NOT NULL DEFAULT 0,
  prefills INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  benchmark TEXT NOT NULL,
  dataset TEXT NOT NULL,
  sample_key TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'assigned', 'running', 'succeeded', 'failed',
                                       'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  last_error TEXT,
  worker_id TEXT REFERENCES workers(id),
  lease_deadline_ms INTEGER,
  UNIQUE (sweep_id, benchmark, dataset, sample_key)
);
CREATE INDEX tasks_by_sweep_state ON tasks(sweep_id, state, id);
CREATE INDEX tasks_by_state_lease ON tasks(state, lease_deadline_ms);
CREATE TABLE task_configs (
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  config_index INTEGER NOT NULL,
  config_json TEXT NOT NULL,
  PRIMARY KEY (task_id, config_index)
) WITHOUT ROWID;
CREATE TABLE attempts (
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  worker_id TEXT NOT NULL REFERENCES workers(id),
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  outcome TEXT NOT NULL,
  error TEXT,
  prompt_tokens INTEGER,
  prefill_ms REAL,
  PRIMARY KEY (task_id, attempt)
) WITHOUT ROWID;
CREATE TABLE results (
  task_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  config_index INTEGER NOT NULL,
  prediction TEXT NOT NULL,
  score REAL NOT NULL,
  cache_bytes INTEGER NOT NULL,
  cache_entries INTEGER NOT NULL,
  decode_ms REAL NOT NULL,
  new_tokens INTEGER NOT NULL,
  PRIMARY KEY (task_id, config_index),
  FOREIGN KEY (task_id, config_index) REFERENCES task_configs(task_id, config_index)
      ON DELETE CASCADE,
  FOREIGN KEY (task_id, attempt) REFERENCES attempts(task_id, attempt) ON DELETE CASCADE
) WITHOUT ROWID;
)sql",
    // 2: head detection as sweep work: a task's detection settings (jobs/heads_spec.h, JSON; ''
    // for other benchmarks) and a result's per-head scores (JSON; NULL for other benchmarks).
    R"sql(
ALTER TABLE tasks ADD COLUMN options TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN head_scores TEXT;
)sql",
    // 3: idempotent submits (the client's request id of the submit that created a sweep), and
    // worker instances (a live worker's id cannot be taken by another process).
    R"sql(
ALTER TABLE sweeps ADD COLUMN request_id TEXT;
CREATE UNIQUE INDEX sweeps_by_request_id ON sweeps(request_id) WHERE request_id IS NOT NULL;
ALTER TABLE workers ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
)sql",
    // 4: each worker's busy share as of its last heartbeat.
    R"sql(
ALTER TABLE workers ADD COLUMN busy_fraction REAL NOT NULL DEFAULT 0;
)sql",
    // 5: the sample's reference answers, kept with the attempt that succeeded (error analysis:
    // `headkv results --out` writes them beside each prediction).
    R"sql(
ALTER TABLE attempts ADD COLUMN references_json TEXT;
)sql",
    // 6: each worker's device memory in use as of its last heartbeat.
    R"sql(
ALTER TABLE workers ADD COLUMN memory_used_bytes INTEGER NOT NULL DEFAULT 0;
)sql",
    // 7: capacity matching (M11): a worker's tensor-parallel ranks, and the memory a sweep needs.
    R"sql(
ALTER TABLE workers ADD COLUMN tp INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sweeps ADD COLUMN needs_memory_bytes INTEGER NOT NULL DEFAULT 0;
)sql",
    // 8: the GPU's own busy share (NVML) as of a worker's last heartbeat; NULL when not measured.
    R"sql(
ALTER TABLE workers ADD COLUMN gpu_busy_fraction REAL;
)sql",
};

}  // namespace

static_assert(std::size(kMigrations) == Store::kSchemaVersion,
              "kSchemaVersion must equal the number of migrations");

Result<int32_t> Store::schema_version() {
  HKV_ASSIGN_OR_RETURN(Statement stmt, prepare("PRAGMA user_version"));
  HKV_ASSIGN_OR_RETURN(bool row, stmt.step());
  return row ? static_cast<int32_t>(stmt.column_int64(0)) : 0;
}

Status Store::migrate() {
  HKV_ASSIGN_OR_RETURN(int32_t version, schema_version());
  if (version > kSchemaVersion) {
    return errorf(StatusCode::kFailedPrecondition,
                  "%s: schema version %d is newer than this coordinator's (%d)", path_.c_str(),
                  version, kSchemaVersion);
  }
  for (int32_t next = version + 1; next <= kSchemaVersion; ++next) {
    Status status = transaction([&]() -> Status {
      HKV_RETURN_IF_ERROR(exec_script(kMigrations[next - 1]));
      return exec_script("PRAGMA user_version = " + std::to_string(next));
    });
    if (!status.ok()) {
      return status.with_context("%s: migrating schema to version %d", path_.c_str(), next);
    }
  }
  return Status();
}

}  // namespace hkv::coordinator
