"""Typed model of the `quality:` config section: check thresholds and landing arrival times.

Thresholds are written once here, with their documented defaults; `pipelines.<key>` overrides
them for one pipeline's assets. Every check reads its bound through `QualityConfig.bound(...)`,
and its result's metadata shows the bound it compared against.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Bounds shared by every pipeline unless a pipeline overrides them (all optional there)."""

    # Robust same-weekday baselines (median and MAD of the same weekday, current day left out).
    baseline_weeks: int = Field(default=8, ge=1, le=26)      # look back this many same weekdays
    baseline_min_points: int = Field(default=4, ge=2)        # fewer usable points: static bounds only
    warn_z: float = Field(default=4.0, gt=0)                 # |robust z| above this is unusual ...
    warn_pct: float = Field(default=0.10, gt=0)              # ... and it must also move this share
    error_z: float = Field(default=8.0, gt=0)                # beyond both error bounds the drift is an ERROR
    error_pct: float = Field(default=0.25, gt=0)
    # Completeness.
    min_completeness: float = Field(default=0.995, gt=0, le=1)   # share of expected keys present
    max_duplicate_rate: float = Field(default=0.001, ge=0, le=1)  # duplicates (incl. new ids) / rows
    # Profit.
    margin_variance: float = Field(default=0.10, gt=0)       # |margin change| vs previous day and same weekday
    # Engagement.
    max_bot_share: float = Field(default=0.05, ge=0, le=1)   # bot events / all events of the day
    max_quarantine_share: float = Field(default=0.01, ge=0, le=1)
    max_late_share: float = Field(default=0.02, ge=0, le=1)  # events dropped as > lateness_hours late
    psi_warn: float = Field(default=0.10, gt=0)              # population stability index: moderate shift
    psi_error: float = Field(default=0.25, gt=0)             # major shift
    # Accuracy: a recomputation three days later must agree within this many percentage points.
    accuracy_drift_pp: float = Field(default=0.5, gt=0)


class Arrival(_Strict):
    """When a landing source's folder for day D must be complete: `time` on day D + `days_after`, in `timezone`.

    The arrival check of the source runs on a schedule at that time, ahead of the first SLA that
    needs the folder, so "revenue has not landed" is heard before the dashboard is late.
    """

    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "UTC"
    days_after: int = Field(default=1, ge=0, le=7)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from pipeline_ops.config.models import check_timezone

        return check_timezone(value)


class QualityConfig(_Strict):
    defaults: Thresholds = Thresholds()
    pipelines: dict[str, dict[str, float]] = {}
    arrivals: dict[str, Arrival] = {}

    @field_validator("pipelines")
    @classmethod
    def _known_thresholds(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for pipeline, overrides in value.items():
            unknown = sorted(set(overrides) - set(Thresholds.model_fields))
            if unknown:
                raise ValueError(f"pipelines.{pipeline}: unknown threshold(s) {unknown} "
                                 f"(expected any of: {', '.join(Thresholds.model_fields)})")
        return value

    @field_validator("arrivals")
    @classmethod
    def _known_sources(cls, value: dict[str, Arrival]) -> dict[str, Arrival]:
        from pipeline_ops.landing.contract import SOURCES

        unknown = sorted(set(value) - set(SOURCES))
        if unknown:
            raise ValueError(f"unknown landing source(s) {unknown} (expected any of: {', '.join(SOURCES)})")
        return value

    def thresholds(self, pipeline: str) -> Thresholds:
        """The defaults with `pipelines.<pipeline>` applied."""
        return self.defaults.model_copy(update=self.pipelines.get(pipeline, {}))
