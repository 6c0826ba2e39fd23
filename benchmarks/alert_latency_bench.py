"""From a check failure to its delivered alert, with the real daemon running (target: within one
sensor interval plus the grouping wait, 15 + 30 = 45 s).

Starts `make run`'s script (webserver + daemon, fresh instance and sample data in a temporary
folder, a free port), waits for the alert sensor's first tick, then `--trials` times records a
failing ERROR evaluation of an investor-grade check (`stg_fx_rates.contract`, a different day each
time, so each is its own incident) in the instance, as a run's check would, and waits for its
page in `$DAGSTER_HOME/alerts.jsonl`. Prints, per trial and as the median: evaluation stored ->
line written (`written_at`), which is what the person on call waits for.

Run: .venv/bin/python benchmarks/alert_latency_bench.py [--trials 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
ASSET, CHECK = "stg_fx_rates", "contract"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", json.dumps({"query": query}).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["data"]


def _wait(predicate, timeout: float, what: str, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := predicate():
                return value
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(step)
    sys.exit(f"timed out after {timeout:.0f} s waiting for {what}")


def _ticks(port: int) -> int:
    data = _graphql(port, """{ repositoriesOrError { ... on RepositoryConnection { nodes { sensors {
        name sensorState { ticks(limit: 5) { status } } } } } } }""")
    return sum(len(s["sensorState"]["ticks"]) for r in data["repositoriesOrError"]["nodes"]
               for s in r["sensors"] if s["name"] == "pipeline_ops_alerts")


def _report_failure(home: Path, day: str) -> float:
    """Record the failing evaluation in a separate process (as a run's step would); its timestamp."""
    code = (
        "import dagster as dg, time;"
        "i = dg.DagsterInstance.get();"
        f"i.report_runless_asset_event(dg.AssetCheckEvaluation(asset_key=dg.AssetKey('{ASSET}'),"
        f" check_name='{CHECK}', passed=False, partition='{day}', severity=dg.AssetCheckSeverity.ERROR,"
        " metadata={'summary': 'latency benchmark: injected failure'}));"
        "print(time.time())")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "DAGSTER_HOME": str(home)},
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="alert_latency_"))
    home, port = root / "home", _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PIPELINE_OPS_LANDING": str(root / "landing"),
           "PIPELINE_OPS_LAKE": str(root / "lake"), "PIPELINE_OPS_PORT": str(port),
           "PIPELINE_OPS_SAMPLE_DAYS": "2", "PIPELINE_OPS_SAMPLE_SCALE": "0.01"}
    for secret in ("PIPELINE_OPS_PAGERDUTY_ROUTING_KEY", "PIPELINE_OPS_SLACK_WEBHOOK_URL"):
        env.pop(secret, None)  # the local channel only: nothing leaves the machine
    log = open(root / "run.log", "w")
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    alerts = home / "alerts.jsonl"
    try:
        _wait(lambda: _graphql(port, "{ version }"), 300, "the webserver", 1)
        _wait(lambda: _ticks(port) > 0, 120, "the alert sensor's first tick", 1)
        latencies = []
        for trial in range(args.trials):
            day = (dt.date.today() - dt.timedelta(days=400 + 7 * trial)).isoformat()
            failed_at = _report_failure(home, day)

            def page(day=day):
                lines = [json.loads(x) for x in alerts.read_text().splitlines()] if alerts.exists() else []
                return next((x for x in lines if x["action"] == "trigger" and day in x["title"]), None)

            line = _wait(page, 180, f"the page for {day}")
            written = dt.datetime.fromisoformat(line["written_at"]).timestamp()
            latencies.append(written - failed_at)
            print(f"trial {trial + 1}: check failure {day} -> alert written {latencies[-1]:.1f} s")
        print(f"median {statistics.median(latencies):.1f} s over {len(latencies)} trials "
              f"(target: within the 15 s sensor interval + 30 s grouping wait = 45 s)")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


if __name__ == "__main__":
    main()
