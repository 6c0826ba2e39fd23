#!/usr/bin/env bash
# Set up, generate sample data if there is none, and serve Dagster (webserver + daemon) on
# http://127.0.0.1:3000 (PIPELINE_OPS_PORT) with a persistent instance in .dagster_home/
# (DAGSTER_HOME). Sample data, at PIPELINE_OPS_SAMPLE_SCALE (0.1): from the 1st of last month to
# yesterday (so last month's investor report can be built), or PIPELINE_OPS_SAMPLE_DAYS days
# ending yesterday.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"

LANDING="${PIPELINE_OPS_LANDING:-$PWD/data/landing}"
if [ -n "${PIPELINE_OPS_SAMPLE_DAYS:-}" ]; then
  start=$(date -u -d "-${PIPELINE_OPS_SAMPLE_DAYS} days" +%F)
  SAMPLE_DAYS=$PIPELINE_OPS_SAMPLE_DAYS
else
  start=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%F)
  SAMPLE_DAYS=$(( ($(date -u -d "$(date -u +%F)" +%s) - $(date -u -d "$start" +%s)) / 86400 ))
fi
if [ ! -d "$LANDING" ] || [ -z "$(ls -A "$LANDING" 2>/dev/null)" ]; then
  echo "run: generating ${SAMPLE_DAYS} days of sample data from ${start} into ${LANDING}"
  .venv/bin/pipeline-ops generate --landing "$LANDING" --start "$start" --days "$SAMPLE_DAYS" \
    --scale "${PIPELINE_OPS_SAMPLE_SCALE:-0.1}" --seed 7
fi

# A warm Spark Connect server beside the daemon: every run the daemon launches attaches to it
# instead of starting its own JVM (about 7 s, plus a cold JIT, per run). Skipped when
# PIPELINE_OPS_SPARK_MASTER is set (a cluster, or local[*] in each run's process) or
# PIPELINE_OPS_SPARK_CONNECT=0.
if [ -z "${PIPELINE_OPS_SPARK_MASTER:-}" ] && [ "${PIPELINE_OPS_SPARK_CONNECT:-1}" != 0 ]; then
  CONNECT_PORT="${PIPELINE_OPS_SPARK_CONNECT_PORT:-15002}"
  CONNECT_LOG="$DAGSTER_HOME/spark-connect/server.out"
  mkdir -p "$DAGSTER_HOME/spark-connect"
  .venv/bin/pipeline-ops spark-connect --port "$CONNECT_PORT" --work-dir "$DAGSTER_HOME/spark-connect" \
    >"$CONNECT_LOG" 2>&1 &
  CONNECT_PID=$!
  trap 'kill "$CONNECT_PID" 2>/dev/null || true; wait "$CONNECT_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 240); do
    grep -q "^spark-connect: serving" "$CONNECT_LOG" 2>/dev/null && break
    if ! kill -0 "$CONNECT_PID" 2>/dev/null; then
      echo "run: the Spark Connect server did not start (runs will start their own Spark):" >&2
      tail -5 "$CONNECT_LOG" >&2
      break
    fi
    sleep 0.5
  done
  if grep -q "^spark-connect: serving" "$CONNECT_LOG" 2>/dev/null; then
    export PIPELINE_OPS_SPARK_MASTER="sc://127.0.0.1:${CONNECT_PORT}"
    echo "run: Spark Connect server on ${PIPELINE_OPS_SPARK_MASTER} (log: ${CONNECT_LOG})"
  fi
fi

PORT="${PIPELINE_OPS_PORT:-3000}"
echo "run: Dagster UI on http://127.0.0.1:${PORT} (Ctrl-C stops webserver, daemon and Spark server)"
.venv/bin/dagster dev -h 127.0.0.1 -p "$PORT" -w workspace.yaml
