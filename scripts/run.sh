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
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"

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

PORT="${PIPELINE_OPS_PORT:-3000}"
echo "run: Dagster UI on http://127.0.0.1:${PORT} (Ctrl-C stops webserver and daemon)"
exec .venv/bin/dagster dev -h 127.0.0.1 -p "$PORT" -w workspace.yaml
