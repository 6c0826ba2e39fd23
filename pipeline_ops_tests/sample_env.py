"""A throwaway copy of what a paged engineer has: landing zone, lake, Dagster instance, incidents.

Built once for the runbook-command test, in a temporary folder laid out like the project so
runbook commands run verbatim: `work/.venv` (a link to the project's), `work/.dagster_home`
(an absolute DAGSTER_HOME with the project's dagster.yaml), and beside them `landing/` and `lake/`.

- Landing: generated, scale 0.02 (at 0.01 a blocking check fails on so few rows), from 2025-02-01
  to 2025-03-07: every date the runbooks quote (the example day 2025-03-02, the week before it,
  February for the monthly report, whose last day's late click events arrive by 2025-03-02).
- Lake and instance: every daily asset over those days as one single-run backfill, then the
  February report, recorded in the instance like a real run.
- Incidents: the real alert service, channels from the default config (the local channel writes
  `$DAGSTER_HOME/alerts.jsonl`; PagerDuty and Slack have no secrets here, so their notifications
  wait as "channel not configured" and become dead letters after 24 hours), fed one failed check
  of `stg_fx_rates` on the example day, then ticked past the grouping wait and past 24 hours.
- `tables`: the checksums of every lake table right after the build (table_checksums.py), which
  a test compares with the ones recorded before the speed work.
  The signal is made by hand (the fault matrix proves checks catch faults; this is about the
  commands that come after).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline_ops.settings import PROJECT_DIR
from pipeline_ops_tests.table_checksums import lake_checksums

FIRST, LAST, SCALE, SEED = dt.date(2025, 2, 1), dt.date(2025, 3, 7), 0.02, 7
EXAMPLE_DAY = "2025-03-02"


@dataclass(frozen=True)
class SampleEnv:
    root: Path
    work: Path  # the working folder commands run in (has .venv and .dagster_home)
    landing: Path
    lake: Path
    home: Path
    incident_id: str
    dead_letter: str
    silence_id: str
    tables: dict[str, dict[str, str]]  # the lake's checksums as built, before any command ran (table_checksums.py)

    def env(self) -> dict[str, str]:
        """The shell of someone working on this deployment: its paths exported, .venv/bin on PATH."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINE_OPS_", "DAGSTER_"))}
        env.update(PIPELINE_OPS_LANDING=str(self.landing), PIPELINE_OPS_LAKE=str(self.lake),
                   DAGSTER_HOME=str(self.home), PATH=f"{self.work / '.venv' / 'bin'}:{env.get('PATH', '')}",
                   PIPELINE_OPS_SPARK_MASTER="local[2]", PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS="2",
                   PIPELINE_OPS_SPARK_DRIVER_MEMORY="1g")
        return env


def build(root: Path) -> SampleEnv:
    from pipeline_ops.generate import generate_landing

    work, landing, lake = root / "work", root / "landing", root / "lake"
    home = work / ".dagster_home"
    home.mkdir(parents=True)
    (work / ".venv").symlink_to(PROJECT_DIR / ".venv")
    shutil.copy(PROJECT_DIR / "workspace.yaml", work / "workspace.yaml")
    shutil.copy(PROJECT_DIR / "deploy" / "dagster.yaml", home / "dagster.yaml")
    generate_landing(str(landing), FIRST, (LAST - FIRST).days + 1, scale=SCALE, seed=SEED)
    _materialize(landing, lake, home)
    tables = lake_checksums(lake)
    incident_id, dead_letter = _incident(home)
    return SampleEnv(root, work, landing, lake, home, incident_id, dead_letter, _silence(home), tables)


def _materialize(landing: Path, lake: Path, home: Path) -> None:
    import dagster as dg

    from pipeline_ops.definitions import defs
    from pipeline_ops.resources.lake import LakeResource, LandingResource
    from pipeline_ops.resources.spark import SparkResource

    resources = {"landing": LandingResource(url=str(landing)), "lake": LakeResource(url=str(lake)),
                 "spark": SparkResource(master="local[2]", shuffle_partitions=2, driver_memory="1g")}
    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.partitions_def is not None]
    daily = [a for a in assets if isinstance(a.partitions_def, dg.DailyPartitionsDefinition)]
    monthly = [a for a in assets if a not in daily]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        days = dg.materialize(daily, resources=resources, instance=instance, tags={
            "dagster/asset_partition_range_start": FIRST.isoformat(),
            "dagster/asset_partition_range_end": LAST.isoformat()}, raise_on_error=False)
        assert days.success, "sample: the daily backfill failed"
        month = dg.materialize(monthly, resources=resources, instance=instance, partition_key="2025-02",
                               selection=monthly, raise_on_error=False)
        assert month.success, "sample: the February report failed"


def _incident(home: Path) -> tuple[str, str]:
    """One incident through the real service; returns its id and a dead letter's key."""
    from pipeline_ops.alerting import db
    from pipeline_ops.alerting.channels import build_channels
    from pipeline_ops.alerting.lineage import from_asset_graph
    from pipeline_ops.alerting.service import AlertService
    from pipeline_ops.alerting.signals import Signal
    from pipeline_ops.config import current_config
    from pipeline_ops.definitions import defs
    from pipeline_ops.oncall.load import engine_for

    t0 = dt.datetime(2025, 9, 3, 0, 30, tzinfo=dt.timezone.utc)  # in the default rota (it starts 2025-08-25)
    clock = [t0]
    cfg = current_config()
    # no secrets: PagerDuty and Slack are "not configured"; local writes $DAGSTER_HOME/alerts.jsonl
    built = build_channels(cfg.alerting.channels, env={}, default_local_path=home / "alerts.jsonl")
    service = AlertService(db.connect(f"sqlite:///{home / 'pipeline_ops_alerts.db'}"), engine_for(),
                           from_asset_graph(defs.resolve_asset_graph()), cfg.alerting, built.channels,
                           lambda: clock[0])
    service.tick([Signal("check", "stg_fx_rates", "fx_rates_complete", True, t0, EXAMPLE_DAY, "ERROR",
                         "stg_fx_rates.fx_rates_complete failed: 2 of 12 currencies missing")])
    for later in (dt.timedelta(seconds=31), dt.timedelta(hours=25)):
        clock[0] = t0 + later
        service.tick([])
    [incident] = service.store.open_incidents()
    dead = [item.key for item in service.outbox.dead_letters() if item.key.endswith("|pagerduty")]
    assert dead, "sample: expected the unconfigured PagerDuty trigger to be a dead letter after 24 hours"
    return incident.id, dead[0]


def _silence(home: Path) -> str:
    import contextlib
    import io

    from pipeline_ops.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["silence", "--db", f"sqlite:///{home / 'pipeline_ops_alerts.db'}", "add", "--asset",
                     "stg_costs_usd", "--duration", "1d", "--reason", "sample", "--by", "eng_a"])
    assert code == 0, out.getvalue()
    return out.getvalue().split(":")[0].strip()
