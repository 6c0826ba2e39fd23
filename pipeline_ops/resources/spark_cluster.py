"""Throwaway Spark servers on 127.0.0.1, started from the pip-installed pyspark (tests, benchmarks).

`standalone_cluster()` starts a standalone master and one worker (`bin/spark-class
org.apache.spark.deploy.master.Master` / `...deploy.worker.Worker`), waits until the master's web
UI (`/json`) lists the worker as ALIVE and yields a `StandaloneCluster` (`master_url` for
PIPELINE_OPS_SPARK_MASTER). `connect_server()` starts a Spark Connect server (`bin/spark-submit
--class org.apache.spark.sql.connect.service.SparkConnectServer`) and yields its `sc://` URL.

Why here and not in a test: the cluster test and `benchmarks/engagement_bench.py` must start and
stop these servers the same way. Every server runs in its own process group (executors launched
by a worker join the worker's group) and is killed at exit of the `with` block, failure or not:
SIGTERM to the group, SIGKILL after a grace period. Logs go to `<work_dir>/*.log`; a server that
exits or does not become ready in time raises `RuntimeError` with the tail of its log.

Nothing here imports pyspark (the package is located with `importlib.util.find_spec`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

STARTUP_TIMEOUT_S = 120.0


def spark_home() -> Path:
    """The pip-installed pyspark directory, which ships `bin/spark-class`, `bin/spark-submit` and the jars."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyspark is not installed in this environment")
    return Path(list(spec.submodule_search_locations)[0])


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_env(**extra: str) -> dict[str, str]:
    """This environment plus what a Spark process on loopback needs: SPARK_HOME, SPARK_LOCAL_IP and
    PYSPARK_PYTHON (executors run this interpreter), UTC as the JVMs' and Python's time zone."""
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable, "TZ": "UTC"}
    env.update(extra)
    return env


@dataclass
class Servers:
    """Processes started in their own process groups, with their log files."""

    work_dir: Path
    procs: dict[str, tuple[subprocess.Popen, Path]] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = self.work_dir / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.work_dir,
                                    start_new_session=True)
        self.procs[name] = (proc, log)
        return proc

    def wait_for(self, what: str, ready: Callable[[], bool], timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Poll `ready()` until true; raise (with log tails) if a server exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [n for n, (p, _) in self.procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{what}: {', '.join(dead)} exited early\n{self.log_tails()}")
            with contextlib.suppress(OSError, ValueError, KeyError):
                if ready():
                    return
            time.sleep(0.5)
        raise RuntimeError(f"{what}: not ready after {timeout:.0f} s\n{self.log_tails()}")

    def log_tails(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {log}:\n{log.read_text(errors='replace')[-chars:]}" for _, log in self.procs.values()
                         if log.exists())

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every process group, SIGKILL what is left after `grace` seconds, reap everything."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc, _ in self.procs.values():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, sig)  # the group outlives its leader: signal it even if the leader is gone
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and any(p.poll() is None for p, _ in self.procs.values()):
                time.sleep(0.2)
        for proc, _ in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


@dataclass(frozen=True)
class StandaloneCluster:
    """A running standalone master + worker: `master_url` (spark://...), `web_url` (master web UI)."""

    master_url: str
    web_url: str
    servers: Servers

    def status(self) -> dict:
        """The master web UI's JSON: workers, aliveworkers, activeapps, completedapps, ..."""
        with urllib.request.urlopen(f"{self.web_url}/json/", timeout=5) as response:
            return json.load(response)

    def pids(self) -> list[int]:
        """Process ids of the master and worker (executors are children of the worker)."""
        return [p.pid for p, _ in self.servers.procs.values()]


@contextlib.contextmanager
def standalone_cluster(work_dir: Path, cores: int = 1, memory: str = "1g",
                       timeout: float = STARTUP_TIMEOUT_S) -> Iterator[StandaloneCluster]:
    """A standalone master and one worker (`cores`, `memory`) on 127.0.0.1; both killed on exit."""
    work_dir.mkdir(parents=True, exist_ok=True)
    spark_class = str(spark_home() / "bin" / "spark-class")
    port, web_port, worker_web_port = free_port(), free_port(), free_port()
    master_url, web_url = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{web_port}"
    servers = Servers(work_dir)
    env = loopback_env(SPARK_WORKER_DIR=str(work_dir / "worker"))
    cluster = StandaloneCluster(master_url, web_url, servers)
    try:
        servers.start("master", [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                 "--port", str(port), "--webui-port", str(web_port)], env)
        servers.wait_for("spark master", lambda: cluster.status()["status"] == "ALIVE", timeout)
        servers.start("worker", [spark_class, "org.apache.spark.deploy.worker.Worker", master_url,
                                 "--host", "127.0.0.1", "--cores", str(cores), "--memory", memory,
                                 "--webui-port", str(worker_web_port), "--work-dir", str(work_dir / "worker")], env)
        servers.wait_for("spark worker", lambda: cluster.status()["aliveworkers"] >= 1, timeout)
        yield cluster
    finally:
        servers.stop()


def connect_settings(port: int, conf: dict[str, str] | None = None) -> dict[str, str]:
    """The server's JVM settings: gRPC on 127.0.0.1:`port`, UTC JVMs, no UI, plus `conf`."""
    return {"spark.connect.grpc.binding.address": "127.0.0.1", "spark.connect.grpc.binding.port": str(port),
            "spark.ui.enabled": "false", "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.executor.extraJavaOptions": "-Duser.timezone=UTC", **(conf or {})}


def start_connect_server(servers: Servers, port: int, master: str = "local[2]", conf: dict[str, str] | None = None,
                         timeout: float = STARTUP_TIMEOUT_S) -> str:
    """Start a Spark Connect server (its driver runs `master`) in `servers`, wait until it listens on
    127.0.0.1:`port`, and return its `sc://` URL. RuntimeError (with the log tail) if it does not come up."""
    cmd = [str(spark_home() / "bin" / "spark-submit"), "--class",
           "org.apache.spark.sql.connect.service.SparkConnectServer", "--name", "pipeline_ops Spark Connect server",
           "--master", master]
    for key, value in connect_settings(port, conf).items():
        cmd += ["--conf", f"{key}={value}"]
    servers.start("connect", [*cmd, "spark-internal"], loopback_env())

    def listening() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    servers.wait_for(f"spark connect server on 127.0.0.1:{port}", listening, timeout)
    return f"sc://127.0.0.1:{port}"


@contextlib.contextmanager
def connect_server(work_dir: Path, master: str = "local[2]", conf: dict[str, str] | None = None,
                   timeout: float = STARTUP_TIMEOUT_S) -> Iterator[str]:
    """A Spark Connect server on a free 127.0.0.1 port for the `with` block; yields `sc://127.0.0.1:<port>`."""
    work_dir.mkdir(parents=True, exist_ok=True)
    servers = Servers(work_dir)
    try:
        yield start_connect_server(servers, free_port(), master, conf, timeout)
    finally:
        servers.stop()
