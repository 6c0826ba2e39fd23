"""`pipeline-ops oncall ...`: who is on call, the rota, its linter, fairness, iCal, runbook tables,
the holiday season.

Every sub-command takes `--config PATH` (default $PIPELINE_OPS_CONFIG or the packaged default).
Times without an offset are wall-clock times in the team timezone. No Dagster import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from pipeline_ops.cli.args import DATE, INSTANT, POSITIVE_INT, YEAR


def register(sub: argparse._SubParsersAction) -> None:
    oncall = sub.add_parser("oncall", help="who is on call, the rota, lint, fairness, iCal feeds")
    cmds = oncall.add_subparsers(dest="oncall_command", required=True, metavar="SUBCOMMAND")

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help_)
        p.add_argument("--config", help="config YAML (default: $PIPELINE_OPS_CONFIG or the packaged default)")
        p.set_defaults(func=func)
        return p

    who = add("who", run_who, "primary, backup, incident commander and lead at an instant")
    who.add_argument("--at", type=INSTANT, help="ISO-8601 instant (default: now); no offset = team timezone")
    who.add_argument("--pipeline", help="pipeline key: adds owners, incident commander, lead, route, ladder")
    who.add_argument("--json", action="store_true")
    schedule = add("schedule", run_schedule, "the rota, one row per shift, with holiday/swap/override notes")
    schedule.add_argument("--start", required=True, type=DATE, help="YYYY-MM-DD")
    schedule.add_argument("--weeks", type=POSITIVE_INT, default=8, help="number of shifts (default 8)")
    schedule.add_argument("--format", choices=["table", "csv", "json", "md", "ics"], default="table")
    lint = add("lint", run_lint, "check the rota for gaps, PTO clashes, fairness (exit 1 on errors)")
    lint.add_argument("--horizon-weeks", type=POSITIVE_INT, help="default: oncall.lint.horizon_weeks")
    lint.add_argument("--start", type=DATE, help="YYYY-MM-DD (default: today)")
    fair = add("fairness", run_fairness, "shifts and hours per member (business/off-hours/weekend/holiday)")
    fair.add_argument("--start", required=True, type=DATE, help="YYYY-MM-DD, first day")
    fair.add_argument("--end", required=True, type=DATE, help="YYYY-MM-DD, after --start (exclusive)")
    fair.add_argument("--json", action="store_true")
    ical = add("ical", run_ical, "iCalendar feed (RFC 5545) to stdout")
    target = ical.add_mutually_exclusive_group(required=True)
    target.add_argument("--member")
    target.add_argument("--pipeline")
    target.add_argument("--team", action="store_true")
    ical.add_argument("--start", type=DATE, help="YYYY-MM-DD (default: today)")
    ical.add_argument("--weeks", type=POSITIVE_INT, default=12, help="weeks of feed (default 12)")
    season = add("season", run_season, "the holiday season: assignment, per-member results, why a slot is whose")
    season.add_argument("--year", required=True, type=YEAR,
                        help="season start year (2025: Thanksgiving 2025 to New Year's Day 2026)")
    season.add_argument("--explain", type=DATE, metavar="DATE",
                        help="YYYY-MM-DD: why that person holds that day's slot")
    season.add_argument("--json", action="store_true")
    tables = add("runbook-tables", run_runbook_tables, "regenerate the tables in runbooks/oncall.md")
    tables.add_argument("--path", help="markdown file (default: runbooks/oncall.md)")
    tables.add_argument("--check", action="store_true", help="exit 1 if the file is out of date; write nothing")


def _engine(args: argparse.Namespace):
    from pipeline_ops.oncall import engine_for

    return engine_for(args.config)


def _day_start(engine, day: dt.date | None) -> dt.datetime:
    return engine.instant(day or dt.datetime.now(engine.tz).date())


def _fmt(engine, t: dt.datetime | None) -> str:
    return "-" if t is None else t.astimezone(engine.tz).strftime("%Y-%m-%d %H:%M %Z")


def run_who(args: argparse.Namespace) -> int:
    from pipeline_ops.oncall.escalation import ladder, pipeline_oncall, watch_at

    engine = _engine(args)
    t = engine.instant(args.at) if args.at else dt.datetime.now(dt.timezone.utc)
    if args.pipeline and args.pipeline not in engine.cfg.pipeline_keys:
        print(f"pipeline-ops oncall who: unknown pipeline {args.pipeline!r} "
              f"(expected one of: {', '.join(engine.cfg.pipeline_keys)})", file=sys.stderr)
        return 2
    a = engine.who(t)
    out: dict = {"at": t.astimezone(engine.tz).isoformat(), "timezone": engine.cfg.team.timezone,
                 "primary": a.primary, "backup": a.backup, "layer": a.layer, "week": a.week, "trace": list(a.trace)}
    out["watch"], watchers = watch_at(engine, t, args.pipeline)
    out["watchers"] = list(watchers)
    if args.pipeline:
        info = pipeline_oncall(engine, args.pipeline, t)
        out.update(pipeline=args.pipeline, owners=list(info.owners), incident_commander=info.incident_commander,
                   lead=info.lead, route={"mode": info.route.mode, "deliver_at": info.route.deliver_at.isoformat(),
                                          "reason": info.route.reason}, notes=list(info.notes),
                   escalation=[{"step": p.step + 1, "target": p.target, "who": p.who,
                                "at": p.at.isoformat() if p.at else None, "note": p.note}
                               for p in ladder(engine, args.pipeline, info.route.deliver_at)])
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    name = lambda m: f"{m} ({engine.cfg.member(m).name}, {engine.cfg.member(m).chat})" if m else "-"  # noqa: E731
    print(f"at {_fmt(engine, t)} (week {a.week}, layer {a.layer})")
    print(f"  primary  {name(a.primary)}\n  backup   {name(a.backup)}")
    if args.pipeline:
        print(f"  pipeline {args.pipeline}: owners {out['owners'][0]} (primary), {out['owners'][1]} (secondary)")
        print(f"  incident commander {name(out['incident_commander'])}\n  lead     {name(out['lead'])}")
        print(f"  route    {out['route']['mode']}: {out['route']['reason']}")
        for p in out["escalation"]:
            when = _fmt(engine, dt.datetime.fromisoformat(p["at"])) if p["at"] else "-"
            print(f"    {p['step']}. {p['target']:<18} {p['who'] or '-':<10} {when} {p['note']}".rstrip())
    if out["watch"]:
        print(f"  watch    {out['watch']}: {', '.join(out['watchers'])}")
    print("  why:")
    for line in a.trace + tuple(out.get("notes", ())):
        print(f"    - {line}")
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    from pipeline_ops.oncall.schedule import render, rows

    engine = _engine(args)
    table = rows(engine, args.start, args.weeks)
    if args.format == "ics":
        from pipeline_ops.oncall.ical import team_feed

        if table:  # the same shifts as the table: first row's start to last row's end
            a, b = table[0].segments[0].start, table[-1].segments[-1].end
            sys.stdout.write(team_feed(engine, a, b).decode())
        return 0
    sys.stdout.write(render(table, args.format))
    return 0


def run_lint(args: argparse.Namespace) -> int:
    from pipeline_ops.config.errors import ConfigError
    from pipeline_ops.oncall.lint import lint

    try:
        engine = _engine(args)
    except ConfigError as exc:  # unknown members, owners not distinct, ...: lint errors too
        for key, message in exc.problems:
            print(f"error: {key}: {message}")
        return 1
    problems = lint(engine, _day_start(engine, args.start), args.horizon_weeks)
    for p in problems:
        print(p)
    errors = sum(p.level == "error" for p in problems)
    print(f"{errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if errors else 0


def run_fairness(args: argparse.Namespace) -> int:
    from pipeline_ops.oncall.fairness import figures, spread

    if args.end <= args.start:
        print(f"pipeline-ops oncall fairness: --end {args.end} must be after --start {args.start}", file=sys.stderr)
        return 2
    engine = _engine(args)
    rows = figures(engine, engine.instant(args.start), engine.instant(args.end))
    if args.json:
        print(json.dumps([f.as_dict() for f in rows], indent=2))
        return 0
    cols = ["member", "shifts", "primary_hours", "business", "off_hours", "weekend", "holiday",
            "backup_hours", "holidays_worked", "comp_days_owed"]
    print("  ".join(f"{c:>14}" for c in cols))
    for f in rows:
        d = f.as_dict()
        print("  ".join(f"{d[c]:>14}" for c in cols))
    print(f"primary-hours spread (max-min)/mean: {spread(rows):.3f}")
    return 0


def run_ical(args: argparse.Namespace) -> int:
    from pipeline_ops.oncall.ical import member_feed, team_feed

    engine = _engine(args)
    a = _day_start(engine, args.start)
    b = a + dt.timedelta(weeks=args.weeks)
    if args.member:
        if args.member not in engine.member_ids():
            print(f"pipeline-ops oncall ical: unknown member {args.member!r}", file=sys.stderr)
            return 2
        data = member_feed(engine, args.member, a, b)
    else:
        data = team_feed(engine, a, b, pipeline=args.pipeline)
    sys.stdout.write(data.decode())
    return 0


def run_runbook_tables(args: argparse.Namespace) -> int:
    from pipeline_ops.oncall.runbook import sync
    from pipeline_ops.settings import PROJECT_DIR

    path = Path(args.path) if args.path else PROJECT_DIR / "runbooks" / "oncall.md"
    in_sync = sync(_engine(args), path, args.check)
    if args.check:
        print(f"{path}: {'in sync' if in_sync else 'out of date: run pipeline-ops oncall runbook-tables'}")
        return 0 if in_sync else 1
    print(f"{path}: {'already up to date' if in_sync else 'tables regenerated'}")
    return 0


def run_season(args: argparse.Namespace) -> int:
    from pipeline_ops.oncall.season_report import command

    code, text = command(_engine(args), args.year, args.explain, args.json)
    (sys.stdout if code == 0 else sys.stderr).write(text)
    return code
