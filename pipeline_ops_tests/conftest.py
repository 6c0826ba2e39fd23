"""One local Spark session (`local[2]`) shared by every Spark test of the run: the JVM starts once.

Only tests that ask for the `spark` fixture start it; the rest of the suite never loads pyspark.
Likewise `postgres_server` / `postgres_url` (pipeline_ops_tests/postgres.py): one throwaway
PostgreSQL server for the run, started only when a test asks for it.
"""

import os
import time

import pytest

# PySpark turns timestamps into naive Python datetimes in the *process* time zone: make it UTC.
os.environ["TZ"] = "UTC"
time.tzset()

from pipeline_ops.resources.spark import spark_config  # noqa: E402
from pipeline_ops_tests.postgres import postgres_server, postgres_url  # noqa: E402,F401 (fixtures)


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in spark_config(master="local[2]", shuffle_partitions=2, driver_memory="1g",
                                   app_name="pipeline_ops_tests").items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
