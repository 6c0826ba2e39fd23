"""End to end: the real `dagster dev` (webserver + daemon) on 127.0.0.1 serves the asset graph,
and a backfill launched through its GraphQL API is executed by the daemon into the lake.

This is what `make run` starts, on generated sample data in temporary folders, with the channel
secrets set (PagerDuty and Slack pointed at receivers on 127.0.0.1 by a config copy), so the last
test can look for them everywhere a person could see them.
"""

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest

from pipeline_ops.lake.storage import Lake
from pipeline_ops.settings import DEFAULT_CONFIG, PROJECT_DIR
from pipeline_ops_tests.alerting.receivers import HttpReceiver, Reply, pd_accepted, slack_ok

pytestmark = pytest.mark.e2e

FIXED_OUTPUTS = {"profit_unit_level", "profit_aggregate", "growth_daily", "growth_aggregate",
                 "engagement_aggregate", "investor_monthly_report"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        payload = json.load(resp)
    assert "errors" not in payload, payload
    return payload["data"]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # server not up yet
            last_error = exc
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


SECRETS = {"PIPELINE_OPS_PAGERDUTY_ROUTING_KEY": "e2eRoutingKey0b5c7d9e1f3a5b7c",
           "PIPELINE_OPS_PAGERDUTY_API_TOKEN": "e2eRestToken-u+Zq8Wm4Xv2Ty6"}
SLACK_SECRET = "e2eSlackPath9Hk3Lp5Nr7Qs"  # the secret part of a Slack webhook URL


def _config_with_receivers(folder: Path, events: HttpReceiver, rest: HttpReceiver) -> Path:
    """The default config, its PagerDuty channel sending to and reading from 127.0.0.1."""
    text = DEFAULT_CONFIG.read_text()
    marker = "api_token_env: PIPELINE_OPS_PAGERDUTY_API_TOKEN}"
    assert marker in text
    path = folder / "config.yaml"
    path.write_text(text.replace(marker, f"api_token_env: PIPELINE_OPS_PAGERDUTY_API_TOKEN, "
                                         f"url: {events.url('/v2/enqueue')}, api_url: {rest.url('')}}}"))
    return path


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    """`make run`'s script itself, pointed at temporary folders and a free port."""
    root = tmp_path_factory.mktemp("e2e")
    home, landing, lake = root / "home", root / "landing", root / "lake"
    port = free_port()
    with ExitStack() as stack:
        events = stack.enter_context(HttpReceiver(pd_accepted("k")))
        rest = stack.enter_context(HttpReceiver(Reply(200, json.dumps({"incidents": [], "more": False}))))
        slack = stack.enter_context(HttpReceiver(slack_ok()))
        # No PIPELINE_OPS_SPARK_MASTER: the script starts its warm Spark Connect server, as `make run` does.
        env = {**{k: v for k, v in os.environ.items() if k != "PIPELINE_OPS_SPARK_MASTER"}, "DAGSTER_HOME": str(home), "PIPELINE_OPS_LANDING": str(landing),
               "PIPELINE_OPS_LAKE": str(lake), "PIPELINE_OPS_PORT": str(port), "PIPELINE_OPS_SAMPLE_DAYS": "4",
               "PIPELINE_OPS_SAMPLE_SCALE": "0.01", "PIPELINE_OPS_FIRST_RUN": "0", "PIPELINE_OPS_SPARK_CONNECT_PORT": str(free_port()),
               "PIPELINE_OPS_CONFIG": str(_config_with_receivers(root, events, rest)), **SECRETS,
               "PIPELINE_OPS_SLACK_WEBHOOK_URL": slack.url(f"/services/T0E2E/B0E2E/{SLACK_SECRET}")}
        log = open(root / "run.log", "w")
        proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=PROJECT_DIR, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(lambda: graphql(port, "{ version }")["version"], 240, "the webserver")
            yesterday = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
            days = [(yesterday - dt.timedelta(days=n)).isoformat() for n in (2, 1)]
            yield {"port": port, "lake": Lake(str(lake)), "log": root / "run.log", "days": days, "home": home,
                   "events": events, "rest": rest}
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


def test_run_script_generated_sample_data_and_instance(dagster_dev):
    assert (dagster_dev["home"] / "dagster.yaml").exists()
    landing = Path(os.path.dirname(dagster_dev["log"])) / "landing"
    assert {p.name for p in landing.iterdir()} >= {"accounts", "click_events", "fx_rates", "revenue"}


ASSET_NODES = "{ assetNodes { assetKey { path } groupName isMaterializable dependencyKeys { path } } }"


def test_ui_serves_the_whole_asset_graph(dagster_dev):
    nodes = graphql(dagster_dev["port"], ASSET_NODES)["assetNodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert FIXED_OUTPUTS <= keys
    assert {"landing/click_events", "landing/fx_rates"} <= keys
    groups = {n["groupName"] for n in nodes}
    assert {"profit", "growth", "engagement", "reporting", "landing"} <= groups


@pytest.fixture(scope="module")
def backfill(dagster_dev):
    """One backfill of the profit and growth outputs over the sample days, launched through the API."""
    port = dagster_dev["port"]
    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(port, ASSET_NODES)["assetNodes"]}
    # The profit and growth outputs and everything materializable upstream of them (engagement's
    # Spark path is covered by its own tests; here it would only add minutes).
    selection, todo = set(), list(CHECKED_OUTPUTS)
    while todo:
        key = todo.pop()
        if key in selection or not nodes[key]["isMaterializable"]:
            continue
        selection.add(key)
        todo += ["/".join(d["path"]) for d in nodes[key]["dependencyKeys"]]
    launched = graphql(port, """
        mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
          __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"params": {"assetSelection": [{"path": k.split("/")} for k in sorted(selection)],
                    "partitionNames": dagster_dev["days"]}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    def finished():
        status = graphql(port, """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
            ... on PartitionBackfill { status } } }""", {"id": launched["backfillId"]})
        value = status["partitionBackfillOrError"]["status"]
        return value if value in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED") else None

    return wait_for(finished, 300, "the backfill to finish")


def test_daemon_runs_a_backfill_launched_from_the_api(dagster_dev, backfill):
    assert backfill in ("COMPLETED", "COMPLETED_SUCCESS"), Path(dagster_dev["log"]).read_text()[-4000:]
    lake = dagster_dev["lake"]
    assert lake.partitions("profit_aggregate") == dagster_dev["days"]
    assert len(lake.read("profit_aggregate", dagster_dev["days"])) == 2  # one row per day


CHECKED_OUTPUTS = ["profit_aggregate", "profit_unit_level", "growth_aggregate", "growth_daily"]
CHECKS = """query($path: [String!]!) { assetNodes(assetKeys: [{path: $path}]) {
    assetChecksOrError { ... on AssetChecks { checks { name } } } } }"""
EXECUTIONS = """query($path: [String!]!, $name: String!, $partition: String) {
    assetCheckExecutions(assetKey: {path: $path}, checkName: $name, partition: $partition, limit: 1) {
      status partition evaluation { partition success severity description } } }"""


def test_a_spark_run_launched_by_the_daemon_attaches_to_the_warm_connect_server(dagster_dev, backfill):
    """`make run` starts a Spark Connect server beside the daemon; a Spark asset's run uses it instead
    of starting a JVM of its own (the run's log says which it got)."""
    port, day = dagster_dev["port"], dagster_dev["days"][-1]
    assert "run: Spark Connect server on sc://127.0.0.1:" in Path(dagster_dev["log"]).read_text()
    launched = graphql(port, """
        mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
          __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"params": {"assetSelection": [{"path": ["stg_click_events"]}], "partitionNames": [day]}})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    def done():
        runs = graphql(port, """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
            ... on PartitionBackfill { status runs(limit: 5) { runId status } } } }""", {"id": launched["backfillId"]})
        b = runs["partitionBackfillOrError"]
        return b if b["status"] in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED") else None

    result = wait_for(done, 300, "the Spark backfill to finish")
    assert result["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), Path(dagster_dev["log"]).read_text()[-4000:]
    assert dagster_dev["lake"].partitions("stg_click_events") == [day]
    [run] = result["runs"]
    logs = graphql(port, """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
        events { __typename ... on MessageEvent { message } } } } }""", {"id": run["runId"]})["logsForRun"]["events"]
    said = [e["message"] for e in logs if e.get("message", "").startswith("Spark:")]
    assert said and all("attached to the Spark Connect server sc://127.0.0.1:" in m for m in said), said


def test_every_output_lists_its_checks_with_a_result_per_partition(dagster_dev, backfill):
    """The Checks tab's data: each checked output's checks, each with a latest result per partition."""
    from pipeline_ops.quality.registry import quality_of

    assert backfill in ("COMPLETED", "COMPLETED_SUCCESS")
    port = dagster_dev["port"]
    for asset in CHECKED_OUTPUTS:
        node = graphql(port, CHECKS, {"path": [asset]})["assetNodes"][0]
        listed = {c["name"] for c in node["assetChecksOrError"]["checks"]}
        assert listed == {c.name for c in quality_of(asset).checks}, asset
        lagged = {c.name for c in quality_of(asset).checks if c.lag_days}
        # A later recomputation (accuracy_drift) judges days published before a run, never the days
        # the backfill builds itself; tests/quality/test_accuracy.py covers it.
        for name in sorted(listed - lagged):
            for day in dagster_dev["days"]:
                runs = graphql(port, EXECUTIONS, {"path": [asset], "name": name, "partition": day})
                latest = runs["assetCheckExecutions"]
                assert latest and latest[0]["evaluation"]["partition"] == day, (asset, name, day, latest)
                assert latest[0]["status"] in ("SUCCEEDED", "FAILED"), latest


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_real_browser_renders_the_asset_catalog(dagster_dev, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: scripts/test.sh installs it"

    def rendered_dom() -> str:
        out = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000",
             # The catalog renders only the rows in view: a tall window brings every asset into view.
             "--window-size=1400,6000", "--dump-dom", f"http://127.0.0.1:{dagster_dev['port']}/assets"],
            capture_output=True, text=True, timeout=120,
        )
        return out.stdout

    dom = wait_for(lambda: (d := rendered_dom()) and "profit_aggregate" in d and d, 180, "the catalog to render")
    for key in ("engagement_aggregate", "growth_aggregate", "growth_daily", "profit_unit_level",
                "investor_monthly_report", "stg_click_events"):
        assert key in dom


# UI paths the runbooks tell a person to open, e.g. `/assets/profit_aggregate?view=checks`.
UI_PATH = re.compile(r"`(/(?:assets|automation|runs|jobs|overview|deployment|locations|asset-groups)\b[^`\s]*)`")
ASSET_VIEWS = {"checks", "partitions", "events", "lineage", "definition", "automation", "overview", "plots"}


def runbook_ui_paths() -> list[str]:
    return sorted({m.group(1) for path in (PROJECT_DIR / "runbooks").glob("*.md")
                   for m in UI_PATH.finditer(path.read_text(encoding="utf-8"))})


def test_every_ui_path_a_runbook_names_exists_in_the_running_ui(dagster_dev, tmp_path):
    """Each asset a runbook path names is in the served graph with a view the UI has; one page of each
    kind, rendered by chromium, shows what the runbook says to look at there."""
    paths = runbook_ui_paths()
    assert len(paths) >= 20, paths
    keys = {"/".join(n["assetKey"]["path"]) for n in graphql(dagster_dev["port"], ASSET_NODES)["assetNodes"]}
    kinds: dict[str, str] = {}
    for path in paths:
        route, _, query = path.partition("?")
        if route.startswith("/assets/"):
            assert route.removeprefix("/assets/") in keys, f"runbook path {path}: no such asset in the UI"
            view = query.removeprefix("view=") if query else ""
            assert not query or (query.startswith("view=") and view in ASSET_VIEWS), f"runbook path {path}: unknown view"
            kinds.setdefault(view, path)
        else:
            kinds.setdefault(route, path)
    expected = {"/automation": ["pipeline_ops_alerts", "profit_aggregate_schedule"], "partitions": ["Partitions"],
                "": ["Materialize"], "checks": None}  # checks: the asset's own check names
    assert set(kinds) <= set(expected), f"say what a person sees on {sorted(set(kinds) - set(expected))}"
    for kind, path in kinds.items():
        markers = expected[kind]
        if markers is None:
            asset = path.partition("?")[0].removeprefix("/assets/")
            node = graphql(dagster_dev["port"], CHECKS, {"path": asset.split("/")})["assetNodes"][0]
            markers = sorted(c["name"] for c in node["assetChecksOrError"]["checks"])
        dom = wait_for(lambda: (d := _render(dagster_dev["port"], path, tmp_path)) and all(m in d for m in markers)
                       and d, 120, f"{path} to show {markers}")
        assert "Page not found" not in dom, path


def _render(port: int, path: str, tmp_path: Path) -> str:
    out = subprocess.run(
        [shutil.which("chromium"), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=15000", "--window-size=1400,3000", "--dump-dom", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, timeout=120)
    return out.stdout


def _cli_backfill(dagster_dev, *flags: str) -> tuple[str, str]:
    """`pipeline-ops backfill` against the running webserver; returns (backfill id, its final status)."""
    done = subprocess.run([str(PROJECT_DIR / ".venv/bin/pipeline-ops"), "backfill", *flags,
                           "--url", f"http://127.0.0.1:{dagster_dev['port']}"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "DAGSTER_HOME": str(dagster_dev["home"])})
    assert done.returncode == 0, done.stderr
    backfill_id = re.search(r"launched backfill (\w+)", done.stdout).group(1)

    def finished():
        status = graphql(dagster_dev["port"], """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
            ... on PartitionBackfill { status } } }""", {"id": backfill_id})["partitionBackfillOrError"]["status"]
        return status if status not in ("REQUESTED",) else None

    return backfill_id, wait_for(finished, 300, f"backfill {backfill_id}")


def _backfill_runs(port: int, backfill_id: str) -> list[dict]:
    return graphql(port, """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
        ... on PartitionBackfill { runs(limit: 10) { runId status tags { key value } } } } }""",
                   {"id": backfill_id})["partitionBackfillOrError"]["runs"]


def test_an_investor_backfill_without_approval_is_refused_and_with_it_runs(dagster_dev, backfill):
    """The published profit day is rebuilt only with `--approved-by` and `--reason` (both through the
    CLI, the webserver and the daemon): without them its run fails before any step and is tagged refused."""
    port, day = dagster_dev["port"], dagster_dev["days"][-1]
    published = dagster_dev["lake"].read("profit_aggregate", [day])
    refused_id, _ = _cli_backfill(dagster_dev, "profit_aggregate", "--from", day)
    [run] = _backfill_runs(port, refused_id)
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert run["status"] == "FAILURE" and tags.get("pipeline_ops/refused") == "needs approval", run
    logs = graphql(port, """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
        events { __typename ... on MessageEvent { message }
                 ... on ErrorEvent { error { message cause { message cause { message } } } } } } } }""",
                   {"id": run["runId"]})["logsForRun"]["events"]
    assert not [e for e in logs if e["__typename"] == "StepStartEvent"]  # nothing computed
    assert "pipeline-ops backfill profit_aggregate --from" in json.dumps(logs)  # says how to approve

    approved_id, status = _cli_backfill(dagster_dev, "profit_aggregate", "--from", day, "--approved-by", "eng_a",
                                        "--reason", "e2e: FX restated")
    [run] = _backfill_runs(port, approved_id)
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert run["status"] == "SUCCESS" and tags["pipeline_ops/approved_by"] == "eng_a", run
    assert tags["pipeline_ops/approval_reason"] == "e2e: FX restated"
    rebuilt = dagster_dev["lake"].read("profit_aggregate", [day])
    volatile = [c for c in ("run_id",) if c in published.columns]  # differs on every build by design
    assert len(rebuilt) == 1 and rebuilt.drop(columns=volatile).round(9).equals(published.drop(columns=volatile).round(9))


def test_a_failed_run_reaches_the_local_alert_log_through_the_running_daemon(dagster_dev, backfill):
    """The alert sensor ships running: a day whose FX file is missing fails its landing contract, and
    the page lands in $DAGSTER_HOME/alerts.jsonl within a sensor interval plus the grouping wait."""
    port = dagster_dev["port"]
    repos = graphql(port, """{ repositoriesOrError { ... on RepositoryConnection {
        nodes { sensors { name sensorState { status } } } } } }""")["repositoriesOrError"]["nodes"]
    states = {s["name"]: s["sensorState"]["status"] for r in repos for s in r["sensors"]}
    assert states.get("pipeline_ops_alerts") == "RUNNING", states
    day = (dt.date.fromisoformat(dagster_dev["days"][0]) - dt.timedelta(days=1)).isoformat()
    landing = Path(os.path.dirname(dagster_dev["log"])) / "landing"
    shutil.rmtree(landing / "fx_rates" / f"date={day}")
    failed_at = time.monotonic()
    launched = graphql(port, """
        mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
          __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"params": {"assetSelection": [{"path": ["stg_fx_rates"]}], "partitionNames": [day]}})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    alerts = dagster_dev["home"] / "alerts.jsonl"

    def paged():
        lines = [json.loads(x) for x in alerts.read_text().splitlines()] if alerts.exists() else []
        return [x for x in lines if x["action"] == "trigger" and "stg_fx_rates" in x["title"] and day in x["title"]]

    [alert] = wait_for(paged, 240, "the alert in alerts.jsonl")
    print(f"\nfailure launched -> alert delivered: {time.monotonic() - failed_at:.0f} s (run included)")
    # stg_fx_rates feeds the investor outputs: an ERROR upstream of them is Sev-2 (at risk), which pages
    assert alert["severity"] == "error" and alert["title"].startswith("[Sev-2]") and alert["fields"]["level"] == "sev2"
    assert "runbook" in alert["text"] and "why you:" in alert["text"] and "acknowledge within 30 min" in alert["text"]


def test_no_channel_secret_shows_in_the_ui_logs_or_stored_state(dagster_dev, backfill):
    """After the alert above: the secrets were used (PagerDuty got the page with its routing key and
    was asked with its token), yet none appears in what the UI serves (sensor ticks and their logs,
    runs' event logs, check metadata, the console log) or in any file of the instance (event log,
    compute logs, the alert database, alerts.jsonl)."""
    port, secrets = dagster_dev["port"], [*SECRETS.values(), SLACK_SECRET]
    wait_for(lambda: dagster_dev["events"].requests, 120, "the page at the PagerDuty receiver")
    assert dagster_dev["events"].requests[0].json["routing_key"] == SECRETS["PIPELINE_OPS_PAGERDUTY_ROUTING_KEY"]
    asked = wait_for(lambda: dagster_dev["rest"].requests, 120, "a read-back from the PagerDuty REST receiver")
    assert asked[0].headers["authorization"] == f"Token token={SECRETS['PIPELINE_OPS_PAGERDUTY_API_TOKEN']}"
    served = [graphql(port, """{ repositoriesOrError { ... on RepositoryConnection { nodes { sensors {
        name sensorState { ticks(limit: 50) { status skipReason cursor error { message }
        logEvents { events { message } } } } } } } } }""")]
    runs = graphql(port, "{ runsOrError { ... on Runs { results { runId tags { key value } } } } }")
    served.append(runs)
    for run in runs["runsOrError"]["results"][:20]:
        served.append(graphql(port, """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
            events { __typename ... on MessageEvent { message } ... on AssetCheckEvaluationEvent { evaluation {
            description metadataEntries { label ... on TextMetadataEntry { text } ... on JsonMetadataEntry {
            jsonString } ... on UrlMetadataEntry { url } } } } } } } }""", {"id": run["runId"]}))
    for page in ("/", "/assets", "/overview/automation", "/runs"):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=30) as resp:
            served.append(resp.read().decode("utf-8", "replace"))
    text = json.dumps(served) + Path(dagster_dev["log"]).read_text(errors="replace")
    assert "stg_fx_rates" in text  # the scan sees the failure's own records
    leaks = [s for s in secrets if s in text]
    assert leaks == [], f"served or logged: {leaks}"
    stored = [(path, s) for path in Path(dagster_dev["home"]).rglob("*") if path.is_file()
              for s in secrets if s.encode() in path.read_bytes()]
    assert stored == [], f"stored: {stored}"
