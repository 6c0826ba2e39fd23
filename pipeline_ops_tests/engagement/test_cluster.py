"""The engagement path on a real standalone Spark cluster (master + worker on 127.0.0.1) gives the same lake.

One day of generated click events (scale 0.05, about 10k deliveries) goes through stg_experiment_assignments
and the four engagement assets twice: on the cluster (a subprocess whose driver is spark://127.0.0.1:<port>:
a SparkSession is per process and this one already runs local[2]) and in this process on the shared
local[2] session. The published tables must be equal row for row, every column included, exactly: sums of
durations are exact decimals, so no figure depends on how many cores or partitions added it up.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipeline_ops.engagement import ASSETS
from pipeline_ops.generate import generate_landing
from pipeline_ops.lake.storage import Lake
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.resources.spark import SparkResource
from pipeline_ops.resources.spark_cluster import StandaloneCluster, loopback_env, standalone_cluster
from pipeline_ops.settings import PROJECT_DIR
from pipeline_ops.staging.assets import stg_experiment_assignments

pytestmark = [pytest.mark.spark, pytest.mark.cluster, pytest.mark.timeout(900)]

DAY = "2025-01-01"  # partitions_start: the assignments snapshot of the day before is not required
TABLES = ["stg_click_events", "stg_sessions", "stg_user_activity_daily", "engagement_aggregate"]

# Run in a subprocess with PIPELINE_OPS_SPARK_MASTER set: the resource comes from the environment, as in prod.
DRIVER = """
import json, sys
import dagster as dg
from pipeline_ops.engagement import ASSETS
from pipeline_ops.resources.lake import LakeResource, LandingResource
from pipeline_ops.resources.spark import spark_resource
from pipeline_ops.staging.assets import stg_experiment_assignments

landing, lake, day = sys.argv[1:4]
spark = spark_resource()
resources = {"landing": LandingResource(url=landing), "lake": LakeResource(url=lake), "spark": spark}
result = dg.materialize([stg_experiment_assignments, *ASSETS], partition_key=day, resources=resources,
                        instance=dg.DagsterInstance.ephemeral())
sc = spark.spark_session.sparkContext
executors = [e.host() + ":" + str(e.port()) for e in sc._jsc.sc().statusTracker().getExecutorInfos()]
print(json.dumps({"success": result.success, "master": sc.master, "app_id": sc.applicationId, "executors": executors}))
spark.spark_session.stop()
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[StandaloneCluster]:
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster"), cores=1, memory="1g") as running:
        yield running


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cluster-landing")
    generate_landing(str(root), dt.date.fromisoformat(DAY), 1, scale=0.05, seed=7,
                     sources=["click_events", "experiment_assignments"])
    return root


def _completed_apps(cluster: StandaloneCluster, app_id: str, timeout: float = 20.0) -> dict[str, dict]:
    """The master's completed applications, polled briefly: it records a stopped app asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        finished = {app["id"]: app for app in cluster.status()["completedapps"]}
        if app_id in finished or time.monotonic() > deadline:
            return finished
        time.sleep(0.5)


def _tables(lake: Path) -> dict[str, pd.DataFrame]:
    store = Lake(str(lake))
    out = {}
    for table in TABLES:
        frame = store.read(table, [DAY])
        out[table] = frame.sort_values(sorted(frame.columns)).reset_index(drop=True)
    return out


def test_cluster_run_publishes_the_same_tables_as_local(cluster, landing, spark, tmp_path):
    """`spark` (the shared local[2] session) is what SparkResource(master="local[2]") gets in this process."""
    env = loopback_env(PIPELINE_OPS_SPARK_MASTER=cluster.master_url)
    on_cluster = subprocess.Popen([sys.executable, "-c", DRIVER, str(landing), str(tmp_path / "cluster-lake"), DAY],
                                  cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Meanwhile, the same day on this process's local[2] session (different shuffle partitions on purpose).
        resources = {"landing": LandingResource(url=str(landing)),
                     "lake": LakeResource(url=str(tmp_path / "local-lake")),
                     "spark": SparkResource(master="local[2]", shuffle_partitions=2)}
        local = dg.materialize([stg_experiment_assignments, *ASSETS], partition_key=DAY, resources=resources,
                               instance=dg.DagsterInstance.ephemeral())
        assert local.success
        stdout, stderr = on_cluster.communicate(timeout=600)
    finally:
        if on_cluster.poll() is None:
            on_cluster.kill()
            on_cluster.communicate()
    assert on_cluster.returncode == 0, stderr[-4000:]
    run = json.loads(stdout.strip().splitlines()[-1])
    assert run["success"]

    # It really ran on the cluster: the driver's master, an executor besides the driver, and the master's record.
    assert run["master"] == cluster.master_url
    assert len(run["executors"]) >= 2, run["executors"]
    finished = _completed_apps(cluster, run["app_id"])
    assert run["app_id"] in finished and finished[run["app_id"]]["state"] == "FINISHED", finished

    on_cluster_tables, local_tables = _tables(tmp_path / "cluster-lake"), _tables(tmp_path / "local-lake")
    assert len(local_tables["stg_click_events"]) > 5000  # a real day, not an empty one
    assert len(local_tables["engagement_aggregate"]) == 1 and local_tables["engagement_aggregate"]["dau"].iloc[0] > 100
    for table in TABLES:
        assert local_tables[table]["definition_version"].str.startswith("engagement/").all(), table
        pd.testing.assert_frame_equal(on_cluster_tables[table], local_tables[table], check_exact=True, obj=table)
