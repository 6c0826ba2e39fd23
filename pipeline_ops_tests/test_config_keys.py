"""Every key documented in README's configuration table changes something you can observe.

The keys are parsed from the table itself (a backticked name followed by `(...)` nests the
backticked names inside it: `sla` (`deadline`, ...) -> `pipelines[].sla.deadline`), so a newly
documented key without a case here fails `test_every_documented_key_has_a_case`. Each case
perturbs one key in a copy of pipeline_ops/config/default.yaml and checks a behaviour before and
after, with both values derived by hand (plan 002's rota: anchor Mon 2025-08-25 09:00 IST, primary
A,B,C,D, backup offset 1 in weeks 1-4 and 2 in weeks 5-8 of the 8-week cycle).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from pipeline_ops.config import parse_config
from pipeline_ops.config.models import PipelineOpsConfig
from pipeline_ops.freshness import due
from pipeline_ops.oncall import OnCallEngine
from pipeline_ops.settings import PACKAGE_DIR, PROJECT_DIR

IST, UTC = ZoneInfo("Asia/Kolkata"), dt.timezone.utc


def ist(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=IST)


# --- the README table -> dotted keys -------------------------------------------------------------

def documented_keys(readme: str) -> list[str]:
    """Leaf keys of the `| key | meaning |` table under '## Configuration'."""
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.*) \|$", section.split("| key | meaning |", 1)[1].split("\n\n", 1)[0], re.M)
    keys: list[str] = []
    for key, meaning in rows:
        found = _nested(meaning, key)
        keys += found or [key]
    return keys


def _nested(meaning: str, prefix: str) -> list[str]:
    """Backticked key names in a meaning cell; `(...)` right after one holds its sub-keys."""
    found: list[str] = []
    stack, last = [prefix], None
    for tok in re.finditer(r"`([^`]+)`|(\()|(\))", meaning):
        name, opening, closing = tok.groups()
        if name:
            last = f"{stack[-1]}.{name}" if re.fullmatch(r"[a-z_]+(\[\])?", name) else None
            if last:
                found.append(last)
        elif opening:
            stack.append(last if last and meaning[:tok.start()].rstrip().endswith("`") else stack[-1])
            last = None
        elif closing and len(stack) > 1:
            stack.pop()
            last = None
    parents = {k for k in found for other in found if other.startswith(k + ".")}
    return [k for k in found if k not in parents]


# --- configs -----------------------------------------------------------------------------------

@cache
def _default() -> dict:
    return yaml.safe_load((PACKAGE_DIR / "config" / "default.yaml").read_text())


def default() -> dict:
    return copy.deepcopy(_default())


def pipe(data: dict, key: str) -> dict:
    return next(p for p in data["pipelines"] if p["key"] == key)


def member(data: dict, member_id: str) -> dict:
    return next(m for m in data["team"]["members"] if m["id"] == member_id)


@contextlib.contextmanager
def as_current(data: dict):
    """Make `data` the process's current config (PIPELINE_OPS_CONFIG; cached per path, so a new file)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(yaml.safe_dump(data))
        before = os.environ.get("PIPELINE_OPS_CONFIG")
        os.environ["PIPELINE_OPS_CONFIG"] = str(path)
        try:
            yield parse_config(data)
        finally:
            if before is None:
                os.environ.pop("PIPELINE_OPS_CONFIG", None)
            else:
                os.environ["PIPELINE_OPS_CONFIG"] = before


def engine(data: dict) -> OnCallEngine:
    return OnCallEngine(parse_config(data, "test.yaml"))


def who(at: str) -> Callable[[dict], tuple[str, str]]:
    def observe(data: dict) -> tuple[str, str]:
        a = engine(data).who(ist(at))
        return a.primary, a.backup
    return observe


# --- observables ---------------------------------------------------------------------------------

def first_daily_partition(data: dict) -> str:
    from pipeline_ops.partitions import daily_partitions

    with as_current(data):
        return daily_partitions().get_first_partition_key()


def late_event_window(data: dict) -> tuple[int, str]:
    """(later delivery folders a day reads, the day the settle schedule re-builds at 2025-03-04 00:30 UTC)."""
    import dagster as dg

    from pipeline_ops.engagement.common import lateness_days
    from pipeline_ops.engagement.settle import settle_job, settle_schedule

    with as_current(data):
        schedule = settle_schedule(settle_job())
        request = schedule(dg.build_schedule_context(scheduled_execution_time=dt.datetime(2025, 3, 4, 0, 30, tzinfo=UTC)))
        return lateness_days(), request.partition_key


def engagement_definition_version(data: dict) -> str:
    """Recorded in every engagement row; stg_sessions passes the same setting to `sessionize` (the split
    itself runs on Spark: pipeline_ops_tests/engagement/test_sessions.py, not started here)."""
    from pipeline_ops.engagement.common import version

    with as_current(data):
        return version().split(";idle=")[1]


def asset_args(key: str, field: Callable[[dict], Any]) -> Callable[[dict], Any]:
    def observe(data: dict) -> Any:
        from pipeline_ops.asset_meta import pipeline_asset_args

        with as_current(data):
            return field(pipeline_asset_args(key, set()))
    return observe


def cfg(data: dict) -> PipelineOpsConfig:
    return parse_config(data, "test.yaml")


def schedule_of(key: str) -> Callable[[dict], tuple[str, str, str, str]]:
    """(job name, run cron, timezone, description head) of a pipeline's schedule."""
    def observe(data: dict) -> tuple[str, str, str, str]:
        from pipeline_ops.scheduling import pipeline_job, pipeline_schedule

        p = cfg(data).pipeline(key)
        s = pipeline_schedule(p, pipeline_job(p))
        return s.job_name, s.cron_schedule, s.execution_timezone, s.description.split(":")[0]
    return observe


def profit_verdict(data: dict) -> tuple[str, str]:
    """profit_aggregate's day 2025-03-01 built at 07:20 IST on 03-02: (deadline cron, verdict)."""
    from pipeline_ops.scheduling import deadline_cron

    p = cfg(data).pipeline("profit_aggregate")
    d = due(p, ist("2025-03-02 12:00"))
    assert d.partition == "2025-03-01"
    return deadline_cron(p.sla), d.verdict(ist("2025-03-02 07:20"), ist("2025-03-02 12:00")).value


def member_facing(data: dict) -> tuple:
    """Everything that shows a member: contact card, calendar feed, lint, `who --pipeline`."""
    from pipeline_ops.oncall.escalation import pipeline_oncall
    from pipeline_ops.oncall.ical import member_feed
    from pipeline_ops.oncall.lint import lint

    e = engine(data)
    m = e.cfg.member("eng_a")
    feed = member_feed(e, "eng_a", ist("2025-08-25 00:00"), ist("2025-09-30 00:00"), stamp=ist("2025-08-01 00:00"))
    return (m.name, m.email, m.chat, feed, tuple(lint(e, ist("2025-08-25 09:00"), 8)),
            repr(pipeline_oncall(e, "profit_aggregate", ist("2025-08-26 03:00"))))


def page_why(data: dict) -> str:
    """Why the first page of an investor failure went to its person (eng_a is primary in week 1)."""
    from pipeline_ops.alerting.dispatch import DispatchSettings, plan
    from pipeline_ops.alerting.grouping import apply
    from pipeline_ops.alerting.lineage import Lineage
    from pipeline_ops.alerting.signals import Signal

    at = ist("2025-08-26 03:00")
    incidents: list = []
    lineage = Lineage({"profit_aggregate": frozenset()}, {"profit_aggregate": "profit_aggregate"})
    apply([Signal("check", "profit_aggregate", "ratios_defined", True, at, "2025-08-25")], incidents, lineage)
    [page] = plan(incidents, engine(data), lineage, [], DispatchSettings(dt.timedelta(0), ("pagerduty",), ("slack",), ""), at)
    return page.fields["why"]


def chat_notification(data: dict) -> tuple:
    """The chat notification an experiment pipeline's failure sends in business hours."""
    from pipeline_ops.alerting.dispatch import DispatchSettings, plan
    from pipeline_ops.alerting.grouping import apply
    from pipeline_ops.alerting.lineage import Lineage
    from pipeline_ops.alerting.signals import Signal

    at = ist("2025-09-03 11:00")
    incidents: list = []
    lineage = Lineage({"growth_daily": frozenset()}, {"growth_daily": "growth_daily"})
    apply([Signal("check", "growth_daily", "row_count", True, at, "2025-09-02")], incidents, lineage)
    settings = DispatchSettings(dt.timedelta(0), ("pagerduty",), ("slack",), "")
    return tuple(repr(n) for n in plan(incidents, engine(data), lineage, [], settings, at))


def contact_chat(data: dict) -> str:
    """The chat handle the on-call resource gives the notifier for A."""
    from pipeline_ops.oncall.resource import OnCallResource

    with as_current(data):
        return OnCallResource().contact("eng_a")["chat"]


def route_mode(key: str, at: str) -> Callable[[dict], str]:
    def observe(data: dict) -> str:
        from pipeline_ops.oncall.escalation import route

        return route(engine(data), key, ist(at)).mode
    return observe


def incident_commander(key: str, at: str) -> Callable[[dict], list[str | None]]:
    def observe(data: dict) -> list[str | None]:
        from pipeline_ops.oncall.escalation import ladder

        return [p.who for p in ladder(engine(data), key, ist(at)) if p.target == "incident_commander"]
    return observe


def own_holiday_warnings(data: dict) -> list[str]:
    from pipeline_ops.oncall.lint import lint

    return [p.message for p in lint(engine(data), ist("2025-08-25 09:00"), 8) if p.key == "team.members.eng_a"]


def tolerance_effects(data: dict) -> tuple[str, str]:
    """(verdict of the 20-minute-late day, Dagster policy's deadline cron)."""
    from pipeline_ops.scheduling import freshness_policy

    return profit_verdict(data)[1], freshness_policy(cfg(data).pipeline("profit_aggregate")).deadline_cron


# --- alerting: the notifications one failure gets, with the config's alerting section -------------

ALERT_LINEAGE = {"stg_fx_rates": frozenset(), "profit_aggregate": frozenset({"stg_fx_rates"}),
                 "growth_daily": frozenset({"stg_fx_rates"})}
ALERT_PIPELINES = {"stg_fx_rates": "profit_aggregate", "profit_aggregate": "profit_aggregate",
                   "growth_daily": "growth_daily"}


def notifications(asset: str = "profit_aggregate", at: str = "2025-10-17 03:00", minutes: tuple = (0.5,)):
    """Observe: (channel, title first word, text) of what one ERROR on `asset` sends at each tick."""
    def observe(data: dict) -> list[tuple]:
        from pipeline_ops.alerting.dispatch import DispatchSettings, plan
        from pipeline_ops.alerting.grouping import apply
        from pipeline_ops.alerting.lineage import Lineage
        from pipeline_ops.alerting.signals import Signal
        from pipeline_ops.alerting.silences import Silence

        a = cfg(data).alerting
        settings = DispatchSettings.of(a)
        t0, lineage, incidents = ist(at), Lineage(ALERT_LINEAGE, ALERT_PIPELINES), []
        apply([Signal("check", asset, "ratios_defined", True, t0, "2025-10-16")], incidents, lineage)
        silences = [Silence(**x.model_dump()) for x in a.silences]
        return [(n.channel, n.key.split("|")[2], n.title.split(" ")[0], n.text)
                for m in minutes for n in plan(incidents, engine(data), lineage, silences, settings,
                                              t0 + dt.timedelta(minutes=m))]
    return observe


def outage_mails(asset: str = "profit_aggregate", minutes: tuple = (0.5,)):
    observe = notifications(asset, minutes=minutes)
    return lambda d: [n[0] for n in observe(d) if n[1] == "outage"]


def part(observe: Callable[[dict], list[tuple]], index: int, pick: Callable[[Any], Any] = lambda v: v):
    return lambda d: [pick(n[index]) for n in observe(d)]


def slack_routes(data: dict) -> dict[str, str]:
    """Which webhook variable each chat channel's messages use (the built channel's URLs)."""
    from pipeline_ops.alerting.channels import build_channels

    env = {"PIPELINE_OPS_SLACK_WEBHOOK_URL": "https://hooks.example/default", "SLACK_GROWTH": "https://hooks.example/growth"}
    slack = build_channels(cfg(data).alerting.channels, env=env).channels["slack"]
    return dict(slack._channel_urls)


SEV = lambda level: lambda d: d["alerting"]["severities"][level]  # noqa: E731
OUTAGE = lambda d: d["alerting"]["outage_email"]  # noqa: E731
ALERTING = lambda d: d["alerting"]  # noqa: E731


# --- one case per documented key -------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    perturb: Callable[[dict], None]
    observe: Callable[[dict], Any]
    before: Any
    after: Any
    base: Callable[[dict], None] = lambda d: None  # setup both configs share (e.g. a second calendar)
    broken: str = ""  # the key does nothing yet: why (a strict xfail: fixing it makes this fail)


def _set(path: Callable[[dict], dict], key: str, value: Any) -> Callable[[dict], None]:
    return lambda d: path(d).__setitem__(key, value)


def _rename_member(d: dict) -> None:
    d.update(yaml.safe_load(yaml.safe_dump(d).replace("eng_a", "eng_x")))


def _own_calendar(d: dict) -> None:
    d["calendars"]["own"] = {"country": "IN", "only": ["Republic Day"],
                             "company_holidays": [{"date": "2025-08-27", "name": "Family day"}]}


INDIA = lambda d: d["calendars"]["india"]  # noqa: E731
PROC = lambda d: d["processing"]  # noqa: E731
SLA = lambda key: lambda d: pipe(d, key)["sla"]  # noqa: E731

CASES: dict[str, Case] = {
    "processing.partitions_start": Case(_set(PROC, "partitions_start", "2025-06-01"), first_daily_partition,
                                        "2025-01-01", "2025-06-01"),
    # 48 h: 2 later folders, and at 03-04 00:30 UTC the day whose window closed is 03-01; 72 h: 3, 02-28.
    "processing.lateness_hours": Case(_set(PROC, "lateness_hours", 72), late_event_window,
                                      (2, "2025-03-01"), (3, "2025-02-28")),
    "processing.session_idle_minutes": Case(_set(PROC, "session_idle_minutes", 45), engagement_definition_version,
                                            "30m", "45m"),
    # Republic Day (Mon 2026-01-26, week 23 = cycle week 7: C primary, A backup) promotes the backup.
    "calendars.<name>.country": Case(_set(INDIA, "country", "US"), who("2026-01-26 12:00"),
                                     ("eng_a", "eng_c"), ("eng_c", "eng_a")),
    # Maharashtra adds "Diwali (Bali Pratipada)" on Wed 2025-10-22 (week 9 = cycle week 1: A, B).
    "calendars.<name>.subdivision": Case(_set(INDIA, "subdivision", "MH"), who("2025-10-22 12:00"),
                                         ("eng_a", "eng_b"), ("eng_b", "eng_a")),
    # A company day off on Wed 2025-09-03 (week 2: B primary, C backup) promotes C.
    "calendars.<name>.company_holidays": Case(
        _set(INDIA, "company_holidays", [{"date": "2025-09-03", "name": "Offsite"}]), who("2025-09-03 12:00"),
        ("eng_b", "eng_c"), ("eng_c", "eng_b")),
    "calendars.<name>.only": Case(_set(INDIA, "only", ["Holi", "Independence Day", "Diwali"]),
                                  who("2026-01-26 12:00"), ("eng_a", "eng_c"), ("eng_c", "eng_a")),
    # Mon 2026-01-26 00:30 IST is still week 22 (cycle week 6: B, D); in IST it is Republic Day
    # (D promoted), in UTC (2026-01-25 19:00) it is not.
    "team.timezone": Case(_set(lambda d: d["team"], "timezone", "UTC"), who("2026-01-26 00:30"),
                          ("eng_d", "eng_b"), ("eng_b", "eng_d")),
    "team.members[].id": Case(_rename_member, who("2025-08-25 12:00"), ("eng_a", "eng_b"), ("eng_x", "eng_b")),
    "team.members[].name": Case(_set(lambda d: member(d, "eng_a"), "name", "Asha"), lambda d: b"On call (primary): Asha"
                                in member_facing(d)[3], False, True),
    # profit_aggregate's owners: A (primary), B.
    "team.members[].email": Case(_set(lambda d: member(d, "eng_a"), "email", "asha@company.example"),
                                 asset_args("profit_aggregate", lambda a: a["owners"]),
                                 ["engineer-a@company.example", "engineer-b@company.example"],
                                 ["asha@company.example", "engineer-b@company.example"]),
    "team.members[].chat": Case(_set(lambda d: member(d, "eng_a"), "chat", "@asha"),
                                contact_chat, "@engineer-a", "@asha"),
    # A page names the time where the person is when that is not the team's: 03:00 IST = 17:30 EDT the day before.
    "team.members[].timezone": Case(_set(lambda d: member(d, "eng_a"), "timezone", "America/New_York"),
                                    lambda d: page_why(d).split("page at any hour)")[1], "",
                                    "; Mon 17:30 EDT your time (America/New_York)"),
    # A is primary in week 1; a calendar of their own with a day off on Wed 2025-08-27 -> lint warns.
    "team.members[].holiday_calendar": Case(
        _set(lambda d: member(d, "eng_a"), "holiday_calendar", "own"), own_holiday_warnings, [],
        ["primary on 2025-08-27 (Family day), a holiday in their calendar; arrange a swap"], base=_own_calendar),
    # The 4th pipeline (growth_daily) renamed: its job (and schedule) follow the key.
    "pipelines[].key": Case(_set(lambda d: pipe(d, "growth_daily"), "key", "growth_daily_v2"),
                            lambda d: schedule_of(cfg(d).pipelines[3].key)(d)[0], "growth_daily_job", "growth_daily_v2_job"),
    "pipelines[].title": Case(_set(lambda d: pipe(d, "growth_daily"), "title", "Growth (daily)"),
                              lambda d: schedule_of("growth_daily")(d)[3], "Growth - Daily", "Growth (daily)"),
    "pipelines[].domain": Case(_set(lambda d: pipe(d, "profit_unit_level"), "domain", "growth"),
                               asset_args("profit_unit_level", lambda a: (a["group_name"], a["tags"]["domain"])),
                               ("profit", "profit"), ("growth", "growth")),
    # Sat 2025-09-06 03:00 IST: an experiment failure waits for Monday, an investor one pages.
    "pipelines[].audience": Case(_set(lambda d: pipe(d, "growth_daily"), "audience", "investor"),
                                 route_mode("growth_daily", "2025-09-06 03:00"), "hold", "page"),
    "pipelines[].primary_owner": Case(_set(lambda d: pipe(d, "profit_aggregate"), "primary_owner", "eng_d"),
                                      asset_args("profit_aggregate", lambda a: a["owners"][0]),
                                      "engineer-a@company.example", "engineer-d@company.example"),
    # Week 4 (D primary, A backup): the incident commander step pages the secondary owner.
    "pipelines[].secondary_owner": Case(
        _set(lambda d: pipe(d, "profit_aggregate"), "secondary_owner", "eng_c"),
        incident_commander("profit_aggregate", "2025-09-15 12:00"), ["eng_b"], ["eng_c"]),
    # Built 07:20 IST: 20 min after a 07:00 deadline (FAIL with 15 min tolerance), on time for 08:00.
    "pipelines[].sla.deadline": Case(_set(SLA("profit_aggregate"), "deadline", "08:00"), profit_verdict,
                                     ("0 7 * * *", "FAIL"), ("0 8 * * *", "PASS")),
    "pipelines[].sla.timezone": Case(_set(SLA("profit_aggregate"), "timezone", "UTC"),
                                     lambda d: (schedule_of("profit_aggregate")(d)[2], due(
                                         cfg(d).pipeline("profit_aggregate"), ist("2025-03-02 08:30")).deadline),
                                     ("Asia/Kolkata", dt.datetime(2025, 3, 2, 1, 30, tzinfo=UTC)),
                                     ("UTC", dt.datetime(2025, 3, 1, 7, 0, tzinfo=UTC))),
    "pipelines[].sla.cadence": Case(_set(SLA("profit_aggregate"), "cadence", "monthly"),
                                    lambda d: (schedule_of("profit_aggregate")(d)[1],
                                               due(cfg(d).pipeline("profit_aggregate"), ist("2025-03-02 08:30")).partition),
                                    ("15 6 * * *", "2025-03-01"), ("15 6 1 * *", "2025-02")),
    "pipelines[].sla.day_of_month": Case(_set(SLA("investor_monthly_report"), "day_of_month", 5),
                                         lambda d: schedule_of("investor_monthly_report")(d)[1], "15 8 3 * *", "15 8 5 * *"),
    "pipelines[].sla.lead_minutes": Case(_set(SLA("profit_aggregate"), "lead_minutes", 90),
                                         lambda d: schedule_of("profit_aggregate")(d)[1], "15 6 * * *", "30 5 * * *"),
    # 20 min late: FAIL with 15, WARN with 30; Dagster's policy deadline moves with it.
    "pipelines[].sla.freshness_tolerance_minutes": Case(
        _set(SLA("profit_aggregate"), "freshness_tolerance_minutes", 30),
        tolerance_effects, ("FAIL", "15 7 * * *"), ("WARN", "30 7 * * *")),
    "pipelines[].runbook": Case(_set(lambda d: pipe(d, "profit_aggregate"), "runbook", "runbooks/profit_v2.md"),
                                asset_args("profit_aggregate", lambda a: str(a["metadata"]["runbook"].value)),
                                str(PROJECT_DIR / "runbooks/profit_aggregate.md"), str(PROJECT_DIR / "runbooks/profit_v2.md")),
    "pipelines[].chat_channel": Case(_set(lambda d: pipe(d, "growth_daily"), "chat_channel", "#growth-team"),
                                     lambda d: [n.split("'chat_channel': ")[1].split(",")[0] for n in chat_notification(d)],
                                     ["'#data-pipeline-alerts'"], ["'#growth-team'"]),
    # The rota's primary order: week 1 is members[0].
    "oncall": Case(_set(lambda d: d["oncall"]["rotations"][0], "members", ["eng_b", "eng_a", "eng_c", "eng_d"]),
                   who("2025-08-25 12:00"), ("eng_a", "eng_b"), ("eng_b", "eng_a")),
    # Alerting (hand-derived from default.yaml: week 8, eng_d primary; Fri 2025-10-17 03:00 IST).
    "alerting.grouping_wait_seconds": Case(_set(ALERTING, "grouping_wait_seconds", 120),
                                           part(notifications(), 0), ["pagerduty", "local"], []),
    "alerting.ui_base_url": Case(_set(ALERTING, "ui_base_url", "https://dagster.example.com"),
                                 part(notifications(), 3, lambda t: t.split("in Dagster: ")[1].split("/")[2]),
                                 ["127.0.0.1:3000"] * 2, ["dagster.example.com"] * 2),
    "alerting.channels.channel_webhooks": Case(
        _set(lambda d: d["alerting"]["channels"]["slack"], "channel_webhooks", {"#growth": "SLACK_GROWTH"}),
        slack_routes, {}, {"#growth": "https://hooks.example/growth"}),
    "alerting.page": Case(_set(ALERTING, "page", ["local"]), part(notifications(), 0), ["pagerduty", "local"], ["local"]),
    "alerting.chat": Case(_set(ALERTING, "chat", ["local"]), part(notifications("growth_daily", "2025-10-16 11:00"), 0),
                          ["slack", "local"], ["local"]),
    "alerting.severities.label": Case(_set(SEV("sev1"), "label", "P1"), part(notifications(), 2),
                                      ["[Sev-1]"] * 2, ["[P1]"] * 2),
    "alerting.severities.meaning": Case(_set(SEV("sev1"), "meaning", "investors see it"),
                                        part(notifications(), 3, lambda t: "(investors see it)" in t), [False] * 2, [True] * 2),
    # an upstream ERROR is Sev-2: paged; routed to chat it is held (03:00 is outside business hours)
    "alerting.severities.route": Case(_set(SEV("sev2"), "route", "chat"), part(notifications("stg_fx_rates"), 0),
                                      ["pagerduty", "local"], []),
    "alerting.severities.ack_within_minutes": Case(
        _set(SEV("sev1"), "ack_within_minutes", 5), part(notifications(), 3, lambda t: t.split("acknowledge within ")[1][:6]),
        ["15 min"] * 2, ["5 min;"] * 2),
    # Fri 2025-10-17 + 5 business days (Mon 20 Diwali) = Mon 27; + 2 = Wed 22
    "alerting.severities.review_business_days": Case(
        _set(SEV("sev1"), "review_business_days", 2), part(notifications(), 3, lambda t: t.split("review due ")[1][:10]),
        ["2025-10-27"] * 2, ["2025-10-22"] * 2),
    # the outage e-mail (key `<incident>|trigger|outage|<channel>`): after 120 min by default
    "alerting.outage_email.after_minutes": Case(_set(OUTAGE, "after_minutes", 60), outage_mails(minutes=(0.5, 61)),
                                                [], ["email", "local"]),
    "alerting.outage_email.severities": Case(_set(OUTAGE, "severities", ["sev1", "sev2"]),
                                             outage_mails("stg_fx_rates", minutes=(0.5, 121)), [], ["email", "local"]),
    "alerting.outage_email.channels": Case(_set(OUTAGE, "channels", ["local"]), outage_mails(minutes=(0.5, 121)),
                                           ["email", "local"], ["local"]),
    "alerting.silences": Case(_set(ALERTING, "silences", [{
        "id": "fx", "starts_at": "2025-10-16T00:00:00Z", "ends_at": "2025-10-18T00:00:00Z", "reason": "drill",
        "created_by": "eng_a", "asset": "profit_*"}]), part(notifications(), 0), ["pagerduty", "local"], []),
}


def test_every_documented_key_has_a_case():
    keys = documented_keys((PROJECT_DIR / "README.md").read_text())
    assert len(keys) == len(set(keys)) and len(keys) >= 20, keys
    assert set(keys) == set(CASES), (sorted(set(keys) - set(CASES)), sorted(set(CASES) - set(keys)))


@pytest.mark.parametrize("key", sorted(CASES))
def test_the_key_changes_behaviour(key, request):
    case = CASES[key]
    if case.broken:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"{key} does nothing: {case.broken}"))
    base = default()
    case.base(base)
    changed = copy.deepcopy(base)
    case.perturb(changed)
    assert changed != base, "the perturbation changed nothing"
    before, after = case.observe(base), case.observe(changed)
    if case.broken:
        assert before != after
        return
    assert (before, after) == (case.before, case.after)
