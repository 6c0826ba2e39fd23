"""The code location as a whole: loads cleanly and cheaply, and every asset is fully described."""

import subprocess
import sys

import dagster as dg
import pytest

from pipeline_ops.config import load_config
from pipeline_ops.settings import PROJECT_DIR

FIXED_KEYS = {
    "profit_unit_level", "profit_aggregate", "growth_daily", "growth_aggregate", "engagement_aggregate",
    "investor_monthly_report", "stg_fx_rates", "stg_experiment_assignments", "stg_account_daily",
    "stg_revenue_usd", "stg_revenue_recognised", "stg_costs_usd", "stg_subscription_events_usd", "stg_click_events", "stg_sessions",
    "stg_user_activity_daily",
}
NO_SPARK_PROBE = """
import sys
import pipeline_ops.definitions as d
d.defs.get_repository_def()
import psutil
children = [p.name() for p in psutil.Process().children(recursive=True)]
active = False
if "pyspark" in sys.modules:
    from pyspark import SparkContext
    active = SparkContext._active_spark_context is not None
print("java" in " ".join(children), active)
"""


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from pipeline_ops.definitions import defs

    return defs


def test_loads_with_deprecations_as_errors_and_starts_no_spark():
    out = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", NO_SPARK_PROBE],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["False", "False"], "loading definitions started a JVM or a SparkContext"


def test_fixed_asset_keys_and_landing_sources_exist(defs):
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert FIXED_KEYS <= keys
    assert {f"landing/{s}" for s in ("accounts", "click_events", "fx_rates", "revenue")} <= keys


def test_every_asset_has_owners_kinds_tags_runbook_and_description(defs):
    cfg = load_config()
    emails = {m.email for m in cfg.team.members}
    for spec in defs.resolve_all_asset_specs():
        name = spec.key.to_user_string()
        assert spec.owners and set(spec.owners) <= emails, name
        assert spec.kinds, name
        assert {"pipeline", "domain", "audience"} <= set(spec.tags), name
        assert spec.tags["pipeline"] in cfg.pipeline_keys, name
        assert spec.description and len(spec.description) > 40, name
        assert "runbook" in spec.metadata, name
        assert spec.group_name in {"landing", "profit", "growth", "engagement", "reporting"}, name


def test_each_pipeline_output_has_freshness_policy_job_and_schedule(defs):
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    for pipeline in load_config().pipelines:
        assert specs[pipeline.key].freshness_policy is not None, pipeline.key
        assert defs.resolve_job_def(f"{pipeline.key}_job") is not None
        assert defs.resolve_schedule_def(f"{pipeline.key}_schedule").execution_timezone == pipeline.sla.timezone


NON_SPARK_RUN_PROBE = """
import sys
import dagster as dg
from pipeline_ops.cli.main import main
from pipeline_ops.definitions import defs
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.resources.spark import spark_resource
import psutil

root = sys.argv[1]
assert main(["generate", "--landing", f"{root}/landing", "--start", "2025-01-01", "--days", "2", "--scale", "0.01",
             "--sources", "accounts,subscription_events,revenue,fx_rates,expenses,salaries,experiment_assignments"]) == 0
job = defs.resolve_job_def("profit_aggregate_job")
resources = {"landing": LandingResource(url=f"{root}/landing"), "lake": LakeResource(url=f"{root}/lake"),
             "spark": spark_resource()}
result = job.execute_in_process(partition_key="2025-01-02", resources=resources, instance=dg.DagsterInstance.ephemeral())
children = [p.name() for p in psutil.Process().children(recursive=True)]
print(result.success, "pyspark" in sys.modules, "java" in " ".join(children))
"""


def test_running_non_spark_assets_never_loads_spark(tmp_path):
    # The profit job with the real Spark resource bound: it must not import pyspark or start a JVM.
    out = subprocess.run([sys.executable, "-c", NON_SPARK_RUN_PROBE, str(tmp_path)], cwd=PROJECT_DIR,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[-3:] == ["True", "False", "False"], out.stdout[-2000:]
