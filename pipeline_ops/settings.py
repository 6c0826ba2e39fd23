"""Where pipeline_ops keeps things: every path comes from the environment, with a project-local default.

| variable               | meaning                                          | default                         |
|------------------------|--------------------------------------------------|---------------------------------|
| PIPELINE_OPS_CONFIG    | team, pipelines and on-call YAML                 | pipeline_ops/config/default.yaml |
| PIPELINE_OPS_LANDING   | landing zone (raw upstream files), fsspec URL    | <project>/data/landing          |
| PIPELINE_OPS_LAKE      | partitioned lake written by the assets, fsspec URL | <project>/data/lake           |

Values are read when called, never cached at import, so tests and the CLI can point them elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DEFAULT_CONFIG = PACKAGE_DIR / "config" / "default.yaml"
DEFAULT_DATA_DIR = PROJECT_DIR / "data"


def config_path() -> str:
    return os.environ.get("PIPELINE_OPS_CONFIG") or str(DEFAULT_CONFIG)


def landing_url() -> str:
    return os.environ.get("PIPELINE_OPS_LANDING") or str(DEFAULT_DATA_DIR / "landing")


def lake_url() -> str:
    return os.environ.get("PIPELINE_OPS_LAKE") or str(DEFAULT_DATA_DIR / "lake")
