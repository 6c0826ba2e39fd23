"""Build the engine once per config file (the CLI, resource and benchmarks share this)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline_ops import settings
from pipeline_ops.config.loader import load_config
from pipeline_ops.oncall.engine import OnCallEngine


@lru_cache(maxsize=8)
def _engine(path: str, mtime_ns: int) -> OnCallEngine:
    return OnCallEngine(load_config(path))


def engine_for(path: str | Path | None = None) -> OnCallEngine:
    """The engine for `path` (default $PIPELINE_OPS_CONFIG or the packaged default); rebuilt if the file changes."""
    source = str(path or settings.config_path())
    try:
        mtime = Path(source).stat().st_mtime_ns
    except OSError:
        mtime = 0  # let load_config raise the ConfigError naming the file
    return _engine(source, mtime)
