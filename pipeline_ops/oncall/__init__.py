"""The on-call engine: pure functions over (config, time). No Dagster here (see resource.py).

Entry point: `OnCallEngine(cfg)` (or `engine_for(path)`, cached per file) answers who is primary,
backup, incident commander and lead for a pipeline at an instant, with an explanation trace.
"""

from pipeline_ops.oncall.engine import Assignment, OnCallEngine
from pipeline_ops.oncall.load import engine_for

__all__ = ["Assignment", "OnCallEngine", "engine_for"]
