"""`pipeline-ops spark-connect`: a long-lived Spark Connect server, so runs attach to a warm JVM.

A classic Spark session starts a JVM in every run's process (about 7 s on this machine, paid by
every run the daemon launches). `make run` starts this server beside the daemon and points
`PIPELINE_OPS_SPARK_MASTER` at it (`sc://127.0.0.1:15002`); each run is then a thin Connect client.
Without a server the resource falls back to `local[*]` in the run's own process.

The server runs in the foreground until SIGINT/SIGTERM and stops its JVM on the way out. Its
static settings (the driver's master, memory, Parquet and commit settings) are the resource's
`spark_config`; runtime SQL settings are applied by each client session.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from pipeline_ops.cli.args import MEMORY, PORT

DEFAULT_PORT = 15002


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("spark-connect", help="serve a warm Spark Connect server on 127.0.0.1 until stopped")
    cmd.add_argument("--port", type=PORT, default=DEFAULT_PORT, help=f"gRPC port on 127.0.0.1 (default {DEFAULT_PORT})")
    cmd.add_argument("--master", default="local[*]", help="the server driver's master (default local[*])")
    cmd.add_argument("--driver-memory", type=MEMORY, default=None,
                     help="spark.driver.memory of the server (default: $PIPELINE_OPS_SPARK_DRIVER_MEMORY or 2g)")
    cmd.add_argument("--work-dir", default=".spark-connect", help="folder for the server's log (default .spark-connect)")
    cmd.set_defaults(func=serve)


def server_conf(master: str, driver_memory: str) -> dict[str, str]:
    """The static settings of the server's session: the same as a classic session's, minus the master."""
    from pipeline_ops.resources.spark import spark_config

    conf = spark_config(master=master, driver_memory=driver_memory, app_name="pipeline_ops Spark Connect server")
    conf.pop("spark.master")
    return conf


def _taken(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def serve(args: argparse.Namespace) -> int:
    import os

    from pipeline_ops.resources.spark import DEFAULT_DRIVER_MEMORY, master_kind
    from pipeline_ops.resources.spark_cluster import Servers, start_connect_server

    try:
        kind = master_kind(args.master)
    except ValueError:
        kind = "unknown"
    if kind not in ("local", "standalone", "yarn", "k8s"):
        print(f"pipeline-ops spark-connect: --master {args.master!r} is not a master the server can run on "
              "(expected local[*], local[N], spark://host:port, yarn or k8s://https://host:port)", file=sys.stderr)
        return 2
    if _taken(args.port):
        print(f"pipeline-ops spark-connect: --port {args.port}: 127.0.0.1:{args.port} is already in use "
              "(a server already running? stop it, or pass another --port)", file=sys.stderr)
        return 2
    memory = args.driver_memory or os.environ.get("PIPELINE_OPS_SPARK_DRIVER_MEMORY") or DEFAULT_DRIVER_MEMORY
    work_dir = Path(args.work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    servers = Servers(work_dir)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        url = start_connect_server(servers, args.port, args.master, server_conf(args.master, memory))
    except RuntimeError as exc:
        servers.stop()
        print(f"pipeline-ops spark-connect: the server did not start: {exc}", file=sys.stderr)
        return 1
    print(f"spark-connect: serving {url} (driver {args.master}, {memory}); log {work_dir / 'connect.log'}", flush=True)
    try:
        while not stop.wait(1.0):
            if servers.procs["connect"][0].poll() is not None:
                print(f"pipeline-ops spark-connect: the server exited\n{servers.log_tails()}", file=sys.stderr)
                return 1
    finally:
        servers.stop()
    return 0
