#!/usr/bin/env bash
# Install everything pipeline_ops needs on a fresh machine: uv, the locked virtual environment
# (.venv), and a Java runtime for Spark. Safe to run again: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv"
  "$PYTHON" -m pip install --quiet "uv==0.13.8"
fi

if ! command -v java >/dev/null 2>&1; then
  echo "setup: installing a Java runtime for Spark"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

echo "setup: syncing .venv from uv.lock"
uv sync --frozen --extra test --python "$PYTHON" --quiet --compile-bytecode
