"""A throwaway PostgreSQL server for the tests: `initdb` in a temporary folder, `pg_ctl start` on a
free port of 127.0.0.1 (trust auth, a socket in the same folder, no durability), one per test run
(`postgres_server`, session scope, started only when a test asks for it), `pg_ctl stop -m fast` and
the folder removed at the end. Tests that need a clean database take one from
`postgres_server.create_database()` (about 50 ms each); `postgres_url` is the `alerts` database.

The server runs in a non-UTC time zone on purpose, as many production servers do: timestamps then
come back from PostgreSQL with that zone's offset, and code that assumes UTC shows it.

PostgreSQL refuses to run as root: as root the commands run as the `postgres` OS user (`runuser`),
otherwise as the current user. The binaries are looked up on PATH, then in
/usr/lib/postgresql/*/bin (Debian's layout); only when there are none is the test skipped.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

SERVER_TIMEZONE = "America/New_York"  # not UTC: see the module docstring
_BINARIES = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> Path | None:
    """A folder holding initdb, pg_ctl and postgres (PATH first, then the newest Debian install)."""
    on_path = [shutil.which(name) for name in _BINARIES]
    if all(on_path):
        return Path(os.path.realpath(on_path[0])).parent
    def version(folder: str) -> int:
        name = Path(folder).parent.name
        return int(name) if name.isdigit() else 0

    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if all((Path(folder) / name).is_file() for name in _BINARIES):
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One server: `start()`, `url(database)`, `create_database()`, `stop()`."""

    user = "postgres"  # the database superuser initdb creates (-U), whoever runs the server

    def __init__(self, bindir: Path, timezone: str = SERVER_TIMEZONE) -> None:
        self.bindir = bindir
        self.timezone = timezone
        self.port: int | None = None
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))  # short: the socket path must fit
        if self._as_postgres:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.root)
                raise RuntimeError("running as root, but there is no `postgres` OS user to run "
                                   "the PostgreSQL server as (it refuses to run as root)") from None
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, "LC_ALL": "C", "TZ": "UTC"})
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}\n{log}")
        return result

    def start(self) -> "PostgresServer":
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
        for attempt in range(3):  # the free port can be taken between the probe and the bind
            port = _free_port()
            options = (f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 "
                       f"-c timezone={self.timezone} -c fsync=off -c synchronous_commit=off "
                       f"-c full_page_writes=off")
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                          "-o", options, "start")
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            self.port = port
            break
        self.create_database("alerts")
        return self

    def url(self, database: str = "alerts") -> str:
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg2  # only when a server is wanted (dagster-postgres brings it)

        name = name or f"test_{next(self._names)}"
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres")
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.port is not None and (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            self.port = None
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A running throwaway PostgreSQL server (skipped only when no PostgreSQL binaries exist)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in "
                    "/usr/lib/postgresql/*/bin")
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """postgresql+psycopg2://postgres@127.0.0.1:PORT/alerts"""
    return postgres_server.url("alerts")
