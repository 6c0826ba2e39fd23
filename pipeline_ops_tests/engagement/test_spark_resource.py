"""The Spark resource is configured from the environment and never loads Spark at import (no JVM here)."""

import json
import subprocess
import sys

import pytest

from pipeline_ops.resources.spark import SparkResource, spark_resource
from pipeline_ops.resources.spark_cluster import connect_server, loopback_env
from pipeline_ops.settings import PROJECT_DIR

PROBE = """
import sys
import pipeline_ops.engagement, pipeline_ops.resources.spark, pipeline_ops.lake.spark_publish
r = pipeline_ops.resources.spark.spark_resource()
print("pyspark" in sys.modules, "dagster_pyspark" in sys.modules)
"""


def test_importing_engagement_and_resource_does_not_import_pyspark():
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-W", "ignore::UserWarning", "-c", PROBE],
                         cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"]


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PIPELINE_OPS_SPARK_MASTER", "spark://127.0.0.1:7077")
    monkeypatch.setenv("PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS", "64")
    monkeypatch.setenv("PIPELINE_OPS_SPARK_DRIVER_MEMORY", "6g")
    conf = spark_resource().config_dict()
    assert conf["spark.master"] == "spark://127.0.0.1:7077" and conf["spark.sql.shuffle.partitions"] == "64"
    assert conf["spark.driver.memory"] == "6g" and conf["spark.ui.enabled"] == "false"
    assert conf["spark.sql.session.timeZone"] == "UTC" and conf["spark.sql.adaptive.enabled"] == "true"
    monkeypatch.delenv("PIPELINE_OPS_SPARK_MASTER")
    assert spark_resource().config_dict()["spark.master"] == "local[*]"


def test_connect_url_builds_a_connect_client_config_without_jvm_settings(monkeypatch):
    monkeypatch.setenv("PIPELINE_OPS_SPARK_MASTER", "sc://127.0.0.1:15002")
    monkeypatch.setenv("PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS", "12")
    monkeypatch.setenv("PIPELINE_OPS_SPARK_DRIVER_MEMORY", "6g")  # a server setting: must not reach the client
    resource = spark_resource()
    assert resource.is_connect
    assert resource.config_dict() == {
        "spark.remote": "sc://127.0.0.1:15002",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "12",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.adaptive.skewJoin.enabled": "true",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.compression.codec": "zstd",
    }


@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]", "local[4,3]", "spark://10.0.0.5:7077",
                                    "spark://h1:7077,h2:7077", "yarn", "k8s://https://k8s.example:6443"])
def test_classic_masters_are_accepted_and_passed_as_spark_master(master):
    resource = SparkResource(master=master)
    assert not resource.is_connect
    conf = resource.config_dict()
    assert conf["spark.master"] == master and "spark.remote" not in conf
    assert conf["spark.driver.extraJavaOptions"] == "-Duser.timezone=UTC"


@pytest.mark.parametrize("master", ["mesos://zk:2181", "local[0]", "localhost", "spark:/127.0.0.1:7077", "sc://",
                                    "http://127.0.0.1:15002", "127.0.0.1:7077", "YARN"])
def test_an_unknown_master_fails_naming_the_variable_and_the_accepted_forms(monkeypatch, master):
    monkeypatch.setenv("PIPELINE_OPS_SPARK_MASTER", master)
    with pytest.raises(ValueError) as from_env:
        spark_resource()
    with pytest.raises(ValueError) as from_config:
        SparkResource(master=master).config_dict()
    for error in (from_env, from_config):
        text = str(error.value)
        assert "PIPELINE_OPS_SPARK_MASTER" in text and repr(master) in text
        for form in ("local[", "spark://", "sc://", "yarn", "k8s://"):
            assert form in text, form


def test_an_empty_variable_means_the_default_master(monkeypatch):
    monkeypatch.setenv("PIPELINE_OPS_SPARK_MASTER", "")
    assert spark_resource().config_dict()["spark.master"] == "local[*]"


CONNECT_PROBE = """
import json
from pipeline_ops.resources.spark import spark_resource
session = spark_resource().spark_session  # PIPELINE_OPS_SPARK_MASTER=sc://...
frame = session.createDataFrame([(1740958200,), (1740961800,), (1741041000,)], "epoch long")
days = frame.selectExpr("to_date(timestamp_seconds(epoch)) as day").groupBy("day").count().orderBy("day").collect()
print(json.dumps({"module": type(session).__module__, "days": [[r["day"].isoformat(), r["count"]] for r in days],
                  "tz": session.conf.get("spark.sql.session.timeZone"),
                  "shuffle": session.conf.get("spark.sql.shuffle.partitions")}))
"""


@pytest.mark.spark
def test_a_real_spark_connect_server_answers_through_the_resource(tmp_path):
    """A Connect server on 127.0.0.1 whose own default zone is Europe/Berlin: UTC days must come from the
    resource's client settings, and the query must run on the server (the probe has no JVM)."""
    server_tz = {"spark.driver.extraJavaOptions": "-Duser.timezone=Europe/Berlin",
                 "spark.sql.session.timeZone": "Europe/Berlin"}
    with connect_server(tmp_path / "connect", master="local[1]", conf=server_tz) as url:
        env = loopback_env(PIPELINE_OPS_SPARK_MASTER=url, PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS="3")
        out = subprocess.run([sys.executable, "-c", CONNECT_PROBE], cwd=PROJECT_DIR, env=env, capture_output=True,
                             text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["module"] == "pyspark.sql.connect.session"
    assert got["tz"] == "UTC" and got["shuffle"] == "3"
    # 2025-03-02T23:30Z, 2025-03-03T00:30Z, 2025-03-03T22:30Z: in UTC one row on 03-02 and two on 03-03
    # (in Berlin all three would fall on 03-03).
    assert got["days"] == [["2025-03-02", 1], ["2025-03-03", 2]]
