"""The Spark resource is configured from the environment and never loads Spark at import (no JVM here)."""

import subprocess
import sys

from pipeline_ops.resources.spark import spark_resource
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
