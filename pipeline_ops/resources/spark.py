"""The Spark resource: a lazily created SparkSession for the event-scale (engagement) assets.

Settings come from the environment, read when `spark_resource()` is called:

| variable                               | meaning                                   | default     |
|----------------------------------------|-------------------------------------------|-------------|
| PIPELINE_OPS_SPARK_MASTER              | Spark master URL (`spark://host:7077` ...) | `local[*]`  |
| PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS  | `spark.sql.shuffle.partitions`            | `8`         |
| PIPELINE_OPS_SPARK_DRIVER_MEMORY       | `spark.driver.memory`                     | `2g`        |
| PIPELINE_OPS_SPARK_UI                  | `true` to serve the Spark UI (port 4040)  | `false`     |

Fixed settings: session time zone UTC (every day boundary in the pipeline is a UTC day), adaptive
query execution on (coalesces the small shuffles of a daily run, splits skewed joins), Parquet
timestamps written as TIMESTAMP_MICROS (pandas and DuckDB read them as UTC instants; Spark's INT96
default is legacy), no `_SUCCESS` markers (the lake's staging/commit protocol is the marker).

Nothing here imports pyspark or dagster_pyspark at module level and nothing starts a JVM: the
session starts when an asset first reads `.spark_session` (via dagster_pyspark's
`LazyPySparkResource`). In one process the session is shared: `getOrCreate` returns the running
session (static settings such as the master then come from whoever started it, e.g. a test).
The session is never stopped by the resource; it ends with the run's process.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

DEFAULT_MASTER = "local[*]"
DEFAULT_SHUFFLE_PARTITIONS = 8
DEFAULT_DRIVER_MEMORY = "2g"


def spark_config(
    master: str = DEFAULT_MASTER,
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
    driver_memory: str = DEFAULT_DRIVER_MEMORY,
    ui_enabled: bool = False,
    app_name: str = "pipeline_ops",
) -> dict[str, str]:
    """The Spark settings every session of pipeline_ops uses (tests included)."""
    return {
        "spark.master": master,
        "spark.app.name": app_name,
        "spark.driver.memory": driver_memory,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.adaptive.skewJoin.enabled": "true",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
        "spark.ui.enabled": "true" if ui_enabled else "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    }


class SparkResource(dg.ConfigurableResource):
    """A lazily started SparkSession (wraps dagster_pyspark's `LazyPySparkResource`).

    Resource config (editable in the launchpad) overrides the environment defaults;
    `extra_config` adds or overrides any `spark.*` key.
    """

    master: str = DEFAULT_MASTER
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS
    driver_memory: str = DEFAULT_DRIVER_MEMORY
    ui_enabled: bool = False
    extra_config: dict[str, str] = {}

    _lazy: Any = PrivateAttr(default=None)

    def config_dict(self) -> dict[str, str]:
        conf = spark_config(self.master, self.shuffle_partitions, self.driver_memory, self.ui_enabled)
        conf.update(self.extra_config)
        return conf

    @property
    def spark_session(self) -> Any:
        """The SparkSession (starts the JVM on first use in this process)."""
        if self._lazy is None:
            from dagster_pyspark import LazyPySparkResource  # imports pyspark: keep out of module load

            self._lazy = LazyPySparkResource(spark_config=self.config_dict())
        session = self._lazy.spark_session
        # Runtime SQL settings are (re)applied even when an existing session was returned.
        for key in ("spark.sql.session.timeZone", "spark.sql.parquet.outputTimestampType"):
            session.conf.set(key, self.config_dict()[key])
        return session


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def spark_resource() -> SparkResource:
    """The configured Spark resource (environment read now; the JVM is not started)."""
    return SparkResource(
        master=os.environ.get("PIPELINE_OPS_SPARK_MASTER") or DEFAULT_MASTER,
        shuffle_partitions=int(os.environ.get("PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS") or DEFAULT_SHUFFLE_PARTITIONS),
        driver_memory=os.environ.get("PIPELINE_OPS_SPARK_DRIVER_MEMORY") or DEFAULT_DRIVER_MEMORY,
        ui_enabled=_env_bool("PIPELINE_OPS_SPARK_UI", False),
    )
