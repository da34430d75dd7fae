#!/usr/bin/env bash
# Runs a sweep on a Slurm cluster: one coordinator job, an array of worker jobs (one GPU each), the
# sweep submitted from here. The shared token lives in a 0600 file on the shared filesystem and is
# never on a command line or in a job's environment. See examples/slurm/README.md.
#
# Usage: headkv-slurm.sh SWEEP.yaml [options]
#   --workers N          worker jobs in the array (default 1)
#   --gpus-per-worker G  1 (default): each worker job asks for --gres=gpu:1 and runs cuda:0 (the GPU
#                        Slurm gave it); 0: CPU workers (--device cpu)
#   --partition P        Slurm partition for every job (default: the cluster's default)
#   --dir DIR            shared folder for the state DB, token, logs and results
#                        (default: ./headkv-slurm-<time>)
#   --headkv PATH        the headkv binary as the compute nodes see it (default: `command -v headkv`)
#   --port N             the coordinator's gRPC port on its node (default 50051)
#   --sbatch-args "..."  extra sbatch arguments for every job (account, time limit, ...)
#   --skip-data-check    submit without checking data and model here (they live on the nodes)
#   --wait               wait for the workers, write DIR/results (tables, tidy rows, predictions),
#                        then stop the coordinator; exit 1 when any task failed
set -euo pipefail
die() { echo "headkv-slurm: $*" >&2; exit 2; }
[[ $# -ge 1 ]] || die "usage: headkv-slurm.sh SWEEP.yaml [--workers N] [--gpus-per-worker G] ..."
SWEEP="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift
[[ -f "$SWEEP" ]] || die "no sweep file $SWEEP"
WORKERS=1 GPUS=1 PARTITION="" DIR="" HKV="" PORT=50051 EXTRA="" SKIP="" WAIT=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) WORKERS="$2"; shift 2 ;;
    --gpus-per-worker) GPUS="$2"; shift 2 ;;
    --partition) PARTITION="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --headkv) HKV="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --sbatch-args) EXTRA="$2"; shift 2 ;;
    --skip-data-check) SKIP="--skip-data-check"; shift ;;
    --wait) WAIT=1; shift ;;
    *) die "unknown option $1" ;;
  esac
done
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "--workers must be a positive integer, got '$WORKERS'"
[[ "$GPUS" == 0 || "$GPUS" == 1 ]] || die "--gpus-per-worker must be 0 or 1, got '$GPUS'"
HKV="${HKV:-$(command -v headkv || true)}"
[[ -x "$HKV" ]] || die "no headkv binary (put it on PATH or pass --headkv PATH)"
command -v sbatch > /dev/null || die "sbatch not found: is this a Slurm login node?"
DIR="${DIR:-$PWD/headkv-slurm-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
umask 077
# The token: 256 random bits, readable by this user only.
[[ -s "$DIR/token" ]] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/token"
chmod 600 "$DIR/token"
rm -f "$DIR/coordinator.addr"
common=(--parsable -D "$DIR")
[[ -n "$PARTITION" ]] && common+=(--partition "$PARTITION")
# shellcheck disable=SC2206
[[ -n "$EXTRA" ]] && common+=($EXTRA)

cat > "$DIR/coordinator.sbatch" <<JOB
#!/usr/bin/env bash
# The coordinator: publishes host:port for the workers, then serves until cancelled.
echo "\$(hostname):$PORT" > "$DIR/coordinator.addr.tmp" && mv "$DIR/coordinator.addr.tmp" "$DIR/coordinator.addr"
exec "$HKV" coordinator --db "$DIR/state.db" --host 0.0.0.0 --port $PORT --token-file "$DIR/token"
JOB
COORD=$(sbatch "${common[@]}" -J headkv-coordinator -o "$DIR/coordinator.log" --cpus-per-task=1 \
  "$DIR/coordinator.sbatch")
echo "coordinator: job $COORD"
for _ in $(seq 600); do [[ -s "$DIR/coordinator.addr" ]] && break; sleep 1; done
[[ -s "$DIR/coordinator.addr" ]] || { scancel "$COORD"; die "the coordinator job did not start in 10 min"; }
ADDR=$(cat "$DIR/coordinator.addr")
for _ in $(seq 60); do grep -q "listening" "$DIR/coordinator.log" 2>/dev/null && break; sleep 1; done
echo "coordinator at $ADDR"
"$HKV" submit "$SWEEP" --coordinator "$ADDR" --token-file "$DIR/token" $SKIP | tee "$DIR/submit.txt"
SWEEP_ID=$(sed -n 's/^sweep \([0-9]*\):.*/\1/p' "$DIR/submit.txt")

device=cpu; gres=()
if [[ "$GPUS" == 1 ]]; then device=cuda:0; gres=(--gres=gpu:1); fi
cat > "$DIR/worker.sbatch" <<JOB
#!/usr/bin/env bash
# One worker per array task on the GPU Slurm allocated to it (CUDA_VISIBLE_DEVICES: cuda:0).
exec "$HKV" worker --coordinator "\$(cat "$DIR/coordinator.addr")" --token-file "$DIR/token" \\
  --device $device --exit-when-idle --spool-dir "$DIR/spool-\$SLURM_ARRAY_TASK_ID"
JOB
WORK=$(sbatch "${common[@]}" -J headkv-worker -o "$DIR/worker-%a.log" --array=0-$((WORKERS - 1)) \
  "${gres[@]}" "$DIR/worker.sbatch")
echo "workers: job array $WORK ($WORKERS x $device)"
echo "watch:   $HKV status $SWEEP_ID --coordinator $ADDR --token-file $DIR/token --watch"
[[ "$WAIT" == 1 ]] || exit 0

# Wait for the array, collect the results, stop the coordinator.
while squeue -h -j "$WORK" 2>/dev/null | grep -q .; do sleep 2; done
rc=0
mkdir -p "$DIR/results"
"$HKV" results "$SWEEP_ID" --coordinator "$ADDR" --token-file "$DIR/token" --out "$DIR/results" \
  > "$DIR/results/tables.md.txt" 2> "$DIR/results.log" || rc=1
"$HKV" status "$SWEEP_ID" --coordinator "$ADDR" --token-file "$DIR/token" | head -n 1
scancel "$COORD"
echo "results: $DIR/results (tables.md, tables.csv, tidy.csv, results.jsonl)"
exit $rc
