"""What a check is and what it found, and the one severity policy every check follows.

Severity policy (written once, here):
- A check returns a *level*: ``pass``, ``warn`` (unusual, worth a look) or ``error`` (the rule is
  broken, or a drift crossed its error bound).
- On an asset whose data reaches an investor output (the *investor path*), ``error`` is a blocking
  ERROR: the partition is not published and everything downstream is skipped.
- On an experiment-only asset, ``error`` is reported as WARN and the partition is published:
  experiment readers get the data with the warning attached.
- ``warn`` is always a WARN and never blocks.
- A check about numbers already published (``blocks=False``: accuracy drift, a settled day
  restated) reports ERROR on the investor path but never blocks: nothing is left to hold back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pipeline_ops.quality.audit import AuditContext

Level = Literal["pass", "warn", "error"]
Dimension = Literal[
    "arrival", "contract", "schema", "completeness", "uniqueness", "plausibility", "drift", "accuracy"
]
SAMPLE_ROWS = 20  # failing rows attached to a result; the `sql` query shows all of them

# Assets whose data reaches no investor output: their checks publish and warn.
EXPERIMENT_ONLY = frozenset({"profit_unit_level", "growth_daily"})


@dataclass(frozen=True)
class Outcome:
    """The result of one check on one partition, in plain values (JSON-safe)."""

    level: Level
    summary: str
    observed: dict[str, Any] = field(default_factory=dict)
    bound: dict[str, Any] = field(default_factory=dict)
    failing_count: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    sql: str | None = None
    # Profile metrics this result found anomalous: left out of later days' baselines.
    flag_metrics: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.level != "pass"


def passed(summary: str, **kw: Any) -> Outcome:
    return Outcome("pass", summary, **kw)


@dataclass(frozen=True)
class CheckDef:
    """One check on one asset: its name, business meaning, runbook section and evaluation.

    `evaluate(ctx, partition)` returns an `Outcome` for that partition only. `section` is the
    anchor of the failure-mode section in the asset's pipeline runbook that says what to do.
    """

    name: str
    asset: str
    dimension: Dimension
    description: str
    section: str
    evaluate: Callable[["AuditContext", str], Outcome]
    failure_modes: tuple[str, ...] = ()
    # "staged": runs on the asset's staged output; "landing": on the raw landing files, before reading.
    phase: Literal["staged", "landing"] = "staged"
    # > 0: evaluated for the *published* partition this many days before each audited one (a later
    # recomputation, e.g. accuracy drift).
    lag_days: int = 0
    # False for a check about numbers investors have already seen (a recomputation, a restatement of a
    # settled day): holding back the publish protects nobody, the alert is the point.
    blocks: bool = True

    @property
    def investor_path(self) -> bool:
        return self.asset not in EXPERIMENT_ONLY

    @property
    def can_block(self) -> bool:
        """An ERROR of this check stops the publish (investor path, and about numbers not yet out)."""
        return self.investor_path and self.blocks and not self.lag_days


@dataclass(frozen=True)
class Verdict:
    """An outcome after the severity policy: what Dagster records and whether it blocks."""

    passed: bool
    severity: Literal["ERROR", "WARN"]
    blocks: bool


def enforcing() -> bool:
    """False in shadow mode (PIPELINE_OPS_QUALITY_ENFORCE=0): every result is recorded with its
    severity, but nothing blocks. For backtesting thresholds on history before they may stop a
    publish (benchmarks/checks_bench.py), never for production."""
    return os.environ.get("PIPELINE_OPS_QUALITY_ENFORCE", "1") not in ("0", "false", "no")


def verdict(check: CheckDef, outcome: Outcome) -> Verdict:
    """Apply the severity policy above to one outcome."""
    if outcome.level == "pass":
        return Verdict(True, "ERROR" if check.investor_path else "WARN", False)
    if outcome.level == "error" and check.investor_path:
        return Verdict(False, "ERROR", check.can_block and enforcing())
    return Verdict(False, "WARN", False)
