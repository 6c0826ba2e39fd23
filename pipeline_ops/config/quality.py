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
    # Growth. Clean generated days, for scale: the snapshot's stocks (active accounts, licences, MRR) move
    # < 1 % a day at scale 1 (< 5 % at scale 0.1, one large account), active(D) - active(D-1) equals
    # new - churned exactly, and an excluded experiment loses at most 1 unit a day to churn.
    max_stock_change: float = Field(default=0.10, gt=0)        # |day-over-day change| of a stock: WARN above ...
    max_stock_change_error: float = Field(default=0.25, gt=0)  # ... ERROR above
    stock_flow_gap_share: float = Field(default=0.005, ge=0)   # |change in active - net new| / active: ERROR above ...
    stock_flow_gap_min: int = Field(default=2, ge=0)           # ... and above this many accounts (exclusion moves)
    exclusion_drop_share: float = Field(default=0.20, gt=0, le=1)  # excluded units of a running experiment leaving in a day
    exclusion_min_units: int = Field(default=5, ge=1)          # ... and at least this many: ERROR (an ended one: WARN)
    stock_min_accounts: int = Field(default=50, ge=1)          # fewer active accounts the day before: moves not judged
    # Profit.
    margin_variance: float = Field(default=0.10, gt=0)       # |margin change| vs previous day and same weekday
    # (margin points, 0.10 = 10 points), WARN when the margin is also unusual (|z| > warn_z) against both of
    # its seasonal expectations (same weekday, same day of the previous month: profit/checks_seasonal.py) ...
    margin_variance_error: float = Field(default=0.50, gt=0)  # ... ERROR beyond this move and error_z, if revenue also
    # moved > warn_pct (a swing of the costs alone stays a WARN: stg_costs_usd.cost_volume judges costs).
    # Daily total cost (expenses + the day's payroll share) against the same two expectations, in percent of
    # the expected cost. Ad-hoc expense lines are few and lognormal: on clean generated data the total
    # scatters by -50 %..+60 % around its expectation at scale 1 and up to +800 % at scale 0.1 (one large
    # line on a quiet day), so a volume check can only tell gross errors from spending.
    cost_warn_pct: float = Field(default=0.75, gt=0)         # WARN: |z| > warn_z and |change| > this ...
    cost_error_pct: float = Field(default=9.0, gt=0)         # ... ERROR: |z| > error_z and ten times the cost
    # Engagement (click stream). Clean generated days, for scale: 1-1.1 % of deliveries are redeliveries,
    # 1.5-6 % of events are removed as bots (2.2-2.7 % at scale 1), no human exceeds ~110 events a day,
    # 0.2-0.35 % of events repeat an event of the same user in the same millisecond with the same payload.
    max_bot_share: float = Field(default=0.10, ge=0, le=1)   # bot events removed / candidate events: WARN above
    max_bot_share_error: float = Field(default=0.30, ge=0, le=1)  # ERROR: the rules remove most traffic (over-filtering)
    max_human_events_per_day: int = Field(default=500, ge=1)  # a user above this many clean events a day is an unflagged bot
    max_heavy_user_share: float = Field(default=0.01, ge=0, le=1)  # events of such users / events: ERROR above (any: WARN)
    max_new_user_event_share: float = Field(default=0.05, ge=0, le=1)  # events of users unseen for 7 days: WARN above
    max_redelivery_share: float = Field(default=0.05, ge=0, le=1)  # duplicate deliveries removed / deliveries: WARN above
    max_click_duplicate_share: float = Field(default=0.01, ge=0, le=1)  # same user, event_ts and payload, new event_id: ERROR
    max_quarantine_share: float = Field(default=0.01, ge=0, le=1)  # set-aside lines / lines of the delivery day: ERROR
    # events dropped as > lateness_hours late: WARN above ... (clean: ~0.01 %; a backlog 49-72 h late shows about
    # half its size, since the day reads folders D..D+2 only)
    max_late_share: float = Field(default=0.01, ge=0, le=1)
    max_late_share_error: float = Field(default=0.25, ge=0, le=1)  # ... ERROR above (a quarter of the day lost)
    min_share_count: int = Field(default=20, ge=1)           # a share beyond its ERROR bound with fewer rows: WARN only
    min_share_warn_count: int = Field(default=5, ge=1)       # fewer affected rows than this: a share is noise, not judged
    psi_warn: float = Field(default=0.10, gt=0)              # population stability index: moderate shift
    psi_error: float = Field(default=0.25, gt=0)             # major shift
    psi_min_rows: int = Field(default=1000, ge=1)            # fewer rows (events, sessions): PSI is noise, not judged
    distribution_baseline_days: int = Field(default=14, ge=1, le=90)  # PSI baseline: previous days (not weekly seasonal)
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
