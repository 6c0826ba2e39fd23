"""The alerting database: SQLite beside the Dagster instance by default, or any SQLAlchemy URL
(the instance's PostgreSQL in production). One `MetaData` holds every alerting table; each module
declares its own tables on it at import, and `connect(url)` creates whatever is declared and
missing (each store calls it, so importing a store is enough)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()


def default_url(instance=None) -> str:
    """`PIPELINE_OPS_ALERTS_DB`; else the instance's PostgreSQL when it has one (the same code runs
    on both); else SQLite in $DAGSTER_HOME (else the working folder)."""
    if url := os.environ.get("PIPELINE_OPS_ALERTS_DB"):
        return url
    postgres = getattr(getattr(instance, "event_log_storage", None), "postgres_url", None)
    if postgres:
        return postgres
    home = Path(os.environ.get("DAGSTER_HOME") or ".").resolve()
    return f"sqlite:///{home / 'pipeline_ops_alerts.db'}"


@cache
def connect(url: str | None = None) -> sa.Engine:
    """One engine per URL (call `ensure_tables` after importing the stores that declare tables)."""
    engine = sa.create_engine(_with_driver(url or default_url()), future=True)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # concurrent sensor ticks and CLI: wait, don't fail
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA busy_timeout=10000")
    return engine


def _with_driver(url: str) -> sa.URL:
    """A bare `postgresql://` (as people write it, and Dagster's default) means psycopg2, the
    driver dagster-postgres installs: SQLAlchemy 2.1 reads it as psycopg 3, not installed."""
    parsed = sa.make_url(url)
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg2")
    return parsed


def ensure_tables(engine: sa.Engine) -> None:
    metadata.create_all(engine)
