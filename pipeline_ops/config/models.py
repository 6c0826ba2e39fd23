"""Typed models of the pipeline_ops configuration file (team, pipelines, on-call).

The file is data; these models are its schema. Every model forbids unknown keys so a typo is an
error that names the key, not a silently ignored setting. Cross-references (owners that must be
team members, calendars that must exist) are checked in `references.py`, after the shapes are
valid, so each message can point at the exact key.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline_ops.config.oncall import OnCallConfig
from pipeline_ops.config.quality import QualityConfig
from pipeline_ops.config.alerting import AlertingConfig

SLUG = r"^[a-z][a-z0-9_]*$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r} (expected e.g. 'Asia/Kolkata' or 'UTC')")
    return value


def parse_hhmm(value: str) -> dt.time:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"expected a 24-hour time 'HH:MM', got {value!r}")
    hour, minute = value.split(":")
    return dt.time(int(hour), int(minute))


class CompanyHoliday(StrictModel):
    date: dt.date
    name: str


class HolidayCalendar(StrictModel):
    """National holidays from the `holidays` package (country, subdivision) plus company days off."""

    country: str = Field(pattern=r"^[A-Z]{2}$")
    subdivision: str | None = None
    company_holidays: list[CompanyHoliday] = []
    # Only these named national holidays count (e.g. plan 002's "critical" ones); empty = all.
    only: list[str] = []


class Member(StrictModel):
    id: str = Field(pattern=SLUG)
    name: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    chat: str
    timezone: str
    holiday_calendar: str | None = None

    _tz = field_validator("timezone")(check_timezone)


class Team(StrictModel):
    name: str = "data-engineering"
    timezone: str
    members: list[Member] = Field(min_length=1)
    platform_lead: str | None = None

    _tz = field_validator("timezone")(check_timezone)


class Sla(StrictModel):
    """When a pipeline's output must be ready, in the pipeline's own timezone.

    `deadline` is the wall-clock time by which the previous metric day (monthly: the previous
    month) must be materialized. The schedule fires `lead_minutes` before the deadline.
    `freshness_tolerance_minutes` is the freshness SLO: built by the deadline is PASS, up to this
    many minutes later (or still missing then) WARN, later FAIL (pipeline_ops/freshness.py).
    """

    deadline: str
    timezone: str
    cadence: Literal["daily", "monthly"] = "daily"
    day_of_month: int = Field(default=1, ge=1, le=28)
    lead_minutes: int = Field(default=45, ge=0, le=24 * 60)
    # Under a day: a daily output later than that is also late for the next deadline.
    freshness_tolerance_minutes: int = Field(default=15, ge=0, le=24 * 60 - 1)

    _tz = field_validator("timezone")(check_timezone)

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @property
    def deadline_time(self) -> dt.time:
        return parse_hhmm(self.deadline)

    @model_validator(mode="after")
    def _fail_time_exists_every_month(self) -> "Sla":
        end = dt.datetime.combine(dt.date(2000, 1, 1), self.deadline_time) + dt.timedelta(
            minutes=self.freshness_tolerance_minutes)
        if self.cadence == "monthly" and self.day_of_month + (end.day - 1) > 28:
            raise ValueError(f"deadline + freshness_tolerance_minutes ({self.freshness_tolerance_minutes}) falls after "
                             f"day 28, which February lacks: move day_of_month or the deadline earlier")
        return self


class Pipeline(StrictModel):
    key: str = Field(pattern=SLUG)
    title: str
    domain: Literal["profit", "growth", "engagement", "reporting"]
    audience: Literal["investor", "experiment"]
    primary_owner: str
    secondary_owner: str
    sla: Sla
    runbook: str
    chat_channel: str = "#data-pipeline-alerts"


class Processing(StrictModel):
    """Settings that change numbers; each output records the definition version it was made with."""

    partitions_start: dt.date = dt.date(2025, 1, 1)
    # Click events may land in a later day's folder; a day reads this many hours of later folders.
    lateness_hours: int = Field(default=48, ge=0, le=24 * 7)
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)


class PipelineOpsConfig(StrictModel):
    version: Literal[1] = 1
    processing: Processing = Processing()
    calendars: dict[str, HolidayCalendar] = {}
    team: Team
    pipelines: list[Pipeline] = Field(min_length=1)
    oncall: OnCallConfig | None = None
    quality: QualityConfig = QualityConfig()
    alerting: AlertingConfig = AlertingConfig()

    def member(self, member_id: str) -> Member:
        return next(m for m in self.team.members if m.id == member_id)

    def pipeline(self, key: str) -> Pipeline:
        for p in self.pipelines:
            if p.key == key:
                return p
        raise KeyError(f"no pipeline {key!r} in config (have: {', '.join(self.pipeline_keys)})")

    @property
    def pipeline_keys(self) -> list[str]:
        return [p.key for p in self.pipelines]
