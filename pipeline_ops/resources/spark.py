"""The Spark resource: a lazily created SparkSession for the event-scale (engagement) assets.

One engine configuration from a laptop to a real cluster. Settings come from the environment, read
when `spark_resource()` is called:

| variable                              | meaning                                                   | default    |
|---------------------------------------|-----------------------------------------------------------|------------|
| PIPELINE_OPS_SPARK_MASTER             | where Spark runs (forms below)                            | `local[*]` |
| PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS | `spark.sql.shuffle.partitions`                            | `8`        |
| PIPELINE_OPS_SPARK_DRIVER_MEMORY      | `spark.driver.memory` (not for `sc://`)                   | `2g`       |
| PIPELINE_OPS_SPARK_UI                 | `true` to serve the Spark UI, port 4040 (not for `sc://`) | `false`    |

| master                            | session                                                       |
|-----------------------------------|---------------------------------------------------------------|
| `local`, `local[*]`, `local[N]`   | JVM in this process, N cores (`*` = all)                      |
| `spark://host:7077`               | this process is the driver, executors on a standalone cluster |
| `yarn`, `k8s://https://host:port` | this process is the driver, executors on YARN / Kubernetes    |
| `sc://host:15002`                 | Spark Connect client: no JVM here, the server is the driver   |

Any other value fails with ValueError naming PIPELINE_OPS_SPARK_MASTER (checked when the resource
is built from the environment, and again before a session starts).

Fixed settings: session time zone UTC (every day boundary in the pipeline is a UTC day), adaptive
query execution on (coalesces the small shuffles of a daily run, splits skewed joins), Parquet
timestamps written as TIMESTAMP_MICROS (pandas and DuckDB read them as UTC instants; Spark's INT96
default is legacy), no `_SUCCESS` markers (the lake's staging/commit protocol is the marker). A
Spark Connect client can only set runtime SQL settings (`spark.sql.*`): the JVM settings (driver
memory, `extraJavaOptions`, UI, app name) belong to whoever started the server.

Nothing here imports pyspark or dagster_pyspark at module level and nothing starts a JVM: the
session starts when an asset first reads `.spark_session` (classic masters via dagster_pyspark's
`LazyPySparkResource`, `sc://` via `SparkSession.builder.remote`). In one process the session is
shared: `getOrCreate` returns the running session (static settings such as the master then come
from whoever started it, e.g. a test), and a process holds either a classic or a Connect session,
not both. The session is never stopped by the resource; it ends with the run's process.
"""

from __future__ import annotations

import os
import re
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

MASTER_ENV = "PIPELINE_OPS_SPARK_MASTER"
DEFAULT_MASTER = "local[*]"
DEFAULT_SHUFFLE_PARTITIONS = 8
DEFAULT_DRIVER_MEMORY = "2g"
_MASTERS = (
    ("local", re.compile(r"local(\[[1-9]\d*(,\s*[1-9]\d*)?\]|\[\*(,\s*[1-9]\d*)?\])?")),
    ("standalone", re.compile(r"spark://[^/\s]+")),
    ("connect", re.compile(r"sc://[^/\s]+(/.*)?")),
    ("yarn", re.compile(r"yarn")),
    ("k8s", re.compile(r"k8s://\S+")),
)


def master_kind(master: str) -> str:
    """'local', 'standalone', 'connect', 'yarn' or 'k8s'; ValueError for any other master URL."""
    for kind, pattern in _MASTERS:
        if pattern.fullmatch(master):
            return kind
    raise ValueError(
        f"{MASTER_ENV} (the spark resource's master) is {master!r}: not a Spark master pipeline_ops can use. "
        "Expected local[...] (local, local[*], local[4]), spark://host:port (standalone cluster), "
        "sc://host:port (Spark Connect), yarn, or k8s://https://host:port"
    )


def spark_config(
    master: str = DEFAULT_MASTER,
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
    driver_memory: str = DEFAULT_DRIVER_MEMORY,
    ui_enabled: bool = False,
    app_name: str = "pipeline_ops",
) -> dict[str, str]:
    """The Spark settings every classic (JVM in this process) session of pipeline_ops uses, tests included."""
    return {
        "spark.master": master,
        "spark.app.name": app_name,
        "spark.driver.memory": driver_memory,
        **runtime_sql_config(shuffle_partitions),
        "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
        "spark.ui.enabled": "true" if ui_enabled else "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    }


def runtime_sql_config(shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS) -> dict[str, str]:
    """The settings a running session accepts (`spark.conf.set`): all a Spark Connect client may set."""
    return {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.adaptive.skewJoin.enabled": "true",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.parquet.compression.codec": "zstd",
    }


def connect_config(url: str, shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS) -> dict[str, str]:
    """The settings of a Spark Connect session: the server URL (`spark.remote`) and runtime SQL settings."""
    return {"spark.remote": url, **runtime_sql_config(shuffle_partitions)}


class SparkResource(dg.ConfigurableResource):
    """A lazily started SparkSession: classic (wraps dagster_pyspark's `LazyPySparkResource`) or,
    for an `sc://` master, a Spark Connect client session.

    Resource config (editable in the launchpad) overrides the environment defaults;
    `extra_config` adds or overrides any `spark.*` key (for `sc://`, only runtime settings apply).
    """

    master: str = DEFAULT_MASTER
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS
    driver_memory: str = DEFAULT_DRIVER_MEMORY
    ui_enabled: bool = False
    extra_config: dict[str, str] = {}

    _lazy: Any = PrivateAttr(default=None)

    @property
    def is_connect(self) -> bool:
        """True when the master is a Spark Connect URL (ValueError for an unknown master)."""
        return master_kind(self.master) == "connect"

    def config_dict(self) -> dict[str, str]:
        """Every setting the session is built with (ValueError for an unknown master)."""
        if self.is_connect:
            conf = connect_config(self.master, self.shuffle_partitions)
        else:
            conf = spark_config(self.master, self.shuffle_partitions, self.driver_memory, self.ui_enabled)
        conf.update(self.extra_config)
        return conf

    @property
    def spark_session(self) -> Any:
        """The SparkSession (starts the JVM, or connects to the Connect server, on first use in this process)."""
        conf = self.config_dict()
        if self.is_connect:
            from pyspark.sql import SparkSession  # imports pyspark: keep out of module load

            url = conf.pop("spark.remote")
            session = SparkSession.builder.remote(url).config(map=conf).getOrCreate()
            # Said in the run's log, so a slow run shows whether it had a warm server or its own JVM.
            dg.get_dagster_logger().info(f"Spark: attached to the Spark Connect server {url} (no JVM in this process)")
        else:
            if self._lazy is None:
                from dagster_pyspark import LazyPySparkResource  # imports pyspark: keep out of module load

                self._lazy = LazyPySparkResource(spark_config=conf)
                dg.get_dagster_logger().info(f"Spark: starting a session with its own JVM, master {conf['spark.master']}")
            session = self._lazy.spark_session
        # Runtime SQL settings are (re)applied even when an existing session was returned.
        for key in ("spark.sql.session.timeZone", "spark.sql.parquet.outputTimestampType"):
            session.conf.set(key, conf[key])
        return session


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def spark_resource() -> SparkResource:
    """The configured Spark resource (environment read and the master checked now; nothing is started)."""
    master = (os.environ.get(MASTER_ENV) or DEFAULT_MASTER).strip()
    master_kind(master)
    return SparkResource(
        master=master,
        shuffle_partitions=int(os.environ.get("PIPELINE_OPS_SPARK_SHUFFLE_PARTITIONS") or DEFAULT_SHUFFLE_PARTITIONS),
        driver_memory=os.environ.get("PIPELINE_OPS_SPARK_DRIVER_MEMORY") or DEFAULT_DRIVER_MEMORY,
        ui_enabled=_env_bool("PIPELINE_OPS_SPARK_UI", False),
    )
