#!/usr/bin/env bash
# A sweep through a real single-node Slurm (ctest label `e2e`): munged and slurmctld + slurmd from
# Debian's munge and slurm-wlm packages, started here on 127.0.0.1 with a temporary config, then
# examples/slurm/headkv-slurm.sh submits a coordinator job and an array of 2 CPU worker jobs with
# sbatch. The sweep's tables must equal `headkv run` on the same sweep, and the token must never
# appear on a command line Slurm records.
# Usage: slurm_e2e.sh HEADKV_BINARY   (exits 77 = skipped without the default model, Slurm or munge)
set -uo pipefail
HKV="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
MODEL="${HEADKV_CACHE:-$HOME/.cache/headkv}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -f "$MODEL" ]]; then echo "SKIP: $MODEL missing (scripts/fetch-assets.sh)"; exit 77; fi
for tool in slurmctld slurmd sbatch squeue munged mungekey; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool missing (scripts/install-deps.sh)"; exit 77; }
done
unset HEADKV_DATA_DIR HEADKV_TOKEN
T=$(mktemp -d)
export SLURM_CONF="$T/slurm.conf"
cleanup() {
  [[ -f "$T/slurmd.pid" ]] && kill "$(cat "$T/slurmd.pid")" 2>/dev/null
  [[ -f "$T/slurmctld.pid" ]] && kill "$(cat "$T/slurmctld.pid")" 2>/dev/null
  [[ -f "$T/munge/munged.pid" ]] && kill "$(cat "$T/munge/munged.pid")" 2>/dev/null
  sleep 1
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 15 "$T"/*.log "$T"/run/*.log 2>/dev/null; exit 1; }

# --- munge and a one-node Slurm on 127.0.0.1 -------------------------------------------------------
mkdir -p "$T/munge" "$T/state" "$T/spool" && chmod 700 "$T/munge"
mungekey --create --keyfile="$T/munge/munge.key" || fail "mungekey"
munged -f --socket="$T/munge/munge.sock" --key-file="$T/munge/munge.key" \
  --log-file="$T/munge/munged.log" --pid-file="$T/munge/munged.pid" \
  --seed-file="$T/munge/munged.seed" || fail "munged"
PORT=$((30000 + RANDOM % 20000))
NODE=$(hostname -s)
ME=$(id -un)
CPUS=$(nproc)
cat > "$SLURM_CONF" <<CONF
ClusterName=hkvtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$ME
SlurmdUser=$ME
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=hkv Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
slurmctld -f "$SLURM_CONF" || fail "slurmctld"
slurmd -f "$SLURM_CONF" || fail "slurmd"
for _ in $(seq 30); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o %t | grep -q idle || fail "the Slurm node did not come up: $(sinfo 2>&1)"
echo "slurm: $(sinfo -h -o '%P %a %D %t %N')"

# --- the sweep through Slurm and through headkv run -------------------------------------------------
cat > "$T/sweep.yaml" <<YAML
name: slurm
model: $MODEL
benchmarks:
  - {benchmark: babilong, datasets: [qa1, qa2], splits: [0k], limit: 2}
methods:
  - method: FullKV
  - {method: SnapKV, budgets: [64]}
  - {method: HeadKV-R, budgets: [64], betas: [1.01]}
YAML
"$REPO/examples/slurm/headkv-slurm.sh" "$T/sweep.yaml" --workers 2 --gpus-per-worker 0 \
  --headkv "$HKV" --dir "$T/run" --port $((PORT + 2)) --wait > "$T/slurm-run.log" 2>&1 \
  || fail "headkv-slurm.sh: $(cat "$T/slurm-run.log")"
cat "$T/slurm-run.log"
grep -q "4/4 done, 0 running, 0 failed" "$T/slurm-run.log" || fail "the sweep did not finish"
n_logs=$(ls "$T"/run/worker-*.log | wc -l)
[[ "$n_logs" == 2 ]] || fail "expected 2 worker jobs, got $n_logs logs"
grep -h "done in" "$T"/run/worker-*.log | head -n 4
"$HKV" run "$T/sweep.yaml" --device cpu --out "$T/local" > "$T/local.log" 2>&1 || fail "headkv run"
cmp "$T/run/results/tables.csv" "$T/local/tables.csv" \
  || fail "Slurm and headkv run tables differ: $(diff "$T/run/results/tables.csv" "$T/local/tables.csv")"
echo "tables.csv: Slurm sweep == headkv run ($(wc -l < "$T/local/tables.csv") lines)"
TOKEN=$(cat "$T/run/token")
[[ $(stat -c %a "$T/run/token") == 600 ]] || fail "the token file is not 0600"
if grep -rqF "$TOKEN" "$T"/run/*.sbatch "$T"/run/*.log "$T/slurm-run.log" "$T"/*.log; then
  fail "the token appears in a job script or log"
fi
echo "PASS slurm_e2e (token only in the 0600 file)"
