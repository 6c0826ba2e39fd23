#!/usr/bin/env bash
# Set up, generate sample data if there is none, and serve Dagster (`dg dev`: webserver + daemon) on
# http://127.0.0.1:3000 (PIPELINE_OPS_PORT) with a persistent instance in .dagster_home/
# (DAGSTER_HOME, from deploy/dagster.yaml). Sample data, at PIPELINE_OPS_SAMPLE_SCALE (0.1): from
# the 1st of last month to yesterday (so last month's investor report can be built), or
# PIPELINE_OPS_SAMPLE_DAYS days ending yesterday, with one fault on yesterday
# (PIPELINE_OPS_SAMPLE_FAULT, default fx_missing_currency; "none" for clean data).
# First start of an instance (PIPELINE_OPS_FIRST_RUN=0 skips it): once the webserver answers, two
# backfills through the daemon, every asset over the clean days, then yesterday (the fault), so the
# UI shows green partitions, check results, one failing check and one incident in
# $DAGSTER_HOME/alerts.jsonl within a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# The project's environment, active: `dg` warns when the active one is not the project's.
export VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH"
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
  FAULT="${PIPELINE_OPS_SAMPLE_FAULT:-fx_missing_currency}"
  FAULT_FLAG=()
  [ "$FAULT" = none ] || FAULT_FLAG=(--fault "$FAULT@$(date -u -d yesterday +%F)")
  .venv/bin/pipeline-ops generate --landing "$LANDING" --start "$start" --days "$SAMPLE_DAYS" \
    --scale "${PIPELINE_OPS_SAMPLE_SCALE:-0.1}" --seed 7 "${FAULT_FLAG[@]}"
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
export PIPELINE_OPS_PORT="$PORT"  # pipeline-ops backfill's default --url
FIRST_RUN_MARK="$DAGSTER_HOME/.first_run_launched"
if [ "${PIPELINE_OPS_FIRST_RUN:-1}" != 0 ] && [ ! -f "$FIRST_RUN_MARK" ]; then
  yesterday=$(date -u -d yesterday +%F)
  (
    for _ in $(seq 1 240); do
      .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/server_info', timeout=2)" \
        2>/dev/null && break
      sleep 1
    done
    if [ "$start" \< "$yesterday" ]; then
      # --wait: yesterday's 28-day and D-1 metrics read these days from the lake
      .venv/bin/pipeline-ops backfill --all --from "$start" --to "$(date -u -d "$yesterday -1 day" +%F)" \
        --title "first run: the sample period" --wait 3600 || true
    fi
    .venv/bin/pipeline-ops backfill --all --from "$yesterday" --title "first run: yesterday (sample fault: ${PIPELINE_OPS_SAMPLE_FAULT:-fx_missing_currency})" \
      && touch "$FIRST_RUN_MARK"
  ) &
fi
echo "run: Dagster UI on http://127.0.0.1:${PORT} (Ctrl-C stops webserver, daemon and Spark server)"
.venv/bin/dg dev -h 127.0.0.1 -p "$PORT" --no-check-yaml  # no component YAML to check
