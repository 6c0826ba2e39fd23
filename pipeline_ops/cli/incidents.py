"""`pipeline-ops incidents` and `pipeline-ops silence`: the alert database from the shell.

`incidents list|show` read incidents and their deliveries (dead letters included); `ack` and
`resolve` queue a command that the alert sensor applies on its next tick (15 s; incidents have one
writer), `retry` puts a dead letter back in the outbox. `silence add|list|expire` manage silences
(config silences are listed too). The database is the sensor's: `--db`, else
$PIPELINE_OPS_ALERTS_DB, else the instance's PostgreSQL when $DAGSTER_HOME/dagster.yaml has one,
else $DAGSTER_HOME/pipeline_ops_alerts.db. Dagster is imported only in the PostgreSQL case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    inc = sub.add_parser("incidents", help="list, show, acknowledge and resolve alert incidents")
    inc.add_argument("--db", help="SQLAlchemy URL of the alert database (default: $PIPELINE_OPS_ALERTS_DB or "
                     "$DAGSTER_HOME/pipeline_ops_alerts.db)")
    isub = inc.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = isub.add_parser("list", help="incidents, newest first, with undelivered and dead notifications")
    ls.add_argument("--all", action="store_true", help="resolved ones too")
    ls.add_argument("--json", action="store_true")
    show = isub.add_parser("show", help="one incident: its alerts, trail and deliveries")
    show.add_argument("incident_id")
    for name, helptext in (("ack", "acknowledge: stop the escalation"), ("resolve", "resolve by hand")):
        p = isub.add_parser(name, help=helptext)
        p.add_argument("incident_id")
        p.add_argument("--by", required=True, help="who (member id or name)")
        p.add_argument("--reason", default="")
    retry = isub.add_parser("retry", help="put a dead-letter notification back in the outbox")
    retry.add_argument("key")
    inc.set_defaults(func=run_incidents)

    sil = sub.add_parser("silence", help="add, list or expire alert silences (maintenance windows)")
    sil.add_argument("--db", help="as for `incidents`")
    ssub = sil.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = ssub.add_parser("add", help="mute matching alerts (recorded, not sent) for a while")
    for field in ("pipeline", "asset", "check"):
        add.add_argument(f"--{field}", help=f"{field} pattern (fnmatch, e.g. stg_*)")
    add.add_argument("--duration", required=True, help="e.g. 30m, 2h, 1d")
    add.add_argument("--start", help="ISO time with zone (default: now)")
    add.add_argument("--reason", required=True)
    add.add_argument("--by", required=True)
    ssub.add_parser("list", help="silences (config and added), active first")
    exp = ssub.add_parser("expire", help="end a silence now")
    exp.add_argument("silence_id")
    sil.set_defaults(func=run_silence)


def _url(args) -> str:
    """--db, else $PIPELINE_OPS_ALERTS_DB, else the database the sensor uses: the instance's
    PostgreSQL when $DAGSTER_HOME/dagster.yaml configures one, else SQLite in $DAGSTER_HOME."""
    from pipeline_ops.alerting import db

    if args.db or os.environ.get("PIPELINE_OPS_ALERTS_DB"):
        return args.db or os.environ["PIPELINE_OPS_ALERTS_DB"]
    yaml_path = Path(os.environ.get("DAGSTER_HOME") or ".") / "dagster.yaml"
    if yaml_path.exists() and "postgres" in yaml_path.read_text():
        import dagster as dg  # only then: the instance knows its PostgreSQL URL

        return db.default_url(dg.DagsterInstance.get())
    return db.default_url()


def _store(args):
    from pipeline_ops.alerting import db
    from pipeline_ops.alerting.incidents_store import IncidentStore
    from pipeline_ops.alerting.outbox import Outbox

    engine = db.connect(_url(args))
    return IncidentStore(engine), Outbox(engine)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def run_incidents(args: argparse.Namespace) -> int:
    store, outbox = _store(args)
    if args.action == "list":
        return _list(store, outbox, args)
    if args.action == "show":
        inc = store.get(args.incident_id)
        if inc is None:
            print(f"pipeline-ops: no incident {args.incident_id!r} (see `pipeline-ops incidents list --all`)", file=sys.stderr)
            return 1
        print(f"{inc.id}  {inc.status}  opened {inc.opened_at:%Y-%m-%d %H:%M}Z  root {inc.root}")
        print(f"  {_severity_text(inc)}")
        for a in inc.alerts.values():
            print(f"  [{a.role}] {a.asset}.{a.name} [{a.partition or 'all'}] {a.level} "
                  f"{'FAILING' if a.failing else 'recovered'} x{a.count}: {a.summary[:160]}")
        print("trail:", *[f"  {line}" for line in inc.trail], sep="\n")
        print("deliveries:")
        for item in outbox.items(inc.id):
            print(f"  {item.channel:10} {item.action:11} {item.state:9} attempts {item.attempts} {item.last_detail or ''}")
        return 0
    if args.action == "retry":
        ok = outbox.retry_dead(args.key)
        print("back in the outbox" if ok else f"pipeline-ops: {args.key!r} is not a dead letter", file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    inc = store.get(args.incident_id)
    if inc is None or inc.status == "resolved":
        print(f"pipeline-ops: no open incident {args.incident_id!r}", file=sys.stderr)
        return 1
    store.request(inc.id, args.action, args.by, args.reason, _now())
    print(f"{args.action} queued for {inc.id}: the alert sensor applies it on its next tick (within 15 s)")
    return 0


def _severity_text(inc) -> str:
    """"Sev-1, review due 2025-10-06" (labels from `alerting.severities`); set when first routed."""
    from pipeline_ops.config import current_config

    if inc.severity is None:
        return "severity not set yet (not routed: within the grouping wait, or silenced)"
    level = current_config().alerting.severities.get(inc.severity)  # the key itself if the config lost it
    return f"{level.label if level else inc.severity}, " + (f"review due {inc.review_due}" if inc.review_due else "no review")


def _list(store, outbox, args) -> int:
    items = store.all() if args.all else store.open_incidents()
    dead = outbox.dead_letters()
    waiting = outbox.pending()
    if args.json:
        print(json.dumps({"incidents": [i.to_json() for i in items],
                          "dead_letters": [{"key": d.key, "channel": d.channel, "detail": d.last_detail} for d in dead],
                          "undelivered": [{"key": w.key, "channel": w.channel, "detail": w.last_detail} for w in waiting]},
                         default=str, indent=2))
        return 0
    if not items:
        print("no open incidents" if not args.all else "no incidents")
    for i in items:
        failing = sum(a.failing for a in i.alerts.values())
        print(f"{i.id}  {i.status:12} {i.opened_at:%Y-%m-%d %H:%M}Z  {i.root_alert.asset}.{i.root_alert.name} "
              f"[{i.root_alert.partition or 'all'}]  {len(i.alerts)} alert(s), {failing} failing  {_severity_text(i)}")
    for label, rows in (("undelivered", waiting), ("DEAD LETTERS (not delivered; `incidents retry KEY`)", dead)):
        if rows:
            print(f"\n{label}:")
            for r in rows:
                print(f"  {r.key}  {r.state}  attempts {r.attempts}  {r.last_detail or ''}")
    return 0


def _duration(text: str) -> dt.timedelta:
    m = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if not m:
        raise SystemExit(f"pipeline-ops: --duration {text!r}: expected a number and m, h or d (e.g. 30m, 2h, 1d)")
    n, unit = int(m.group(1)), m.group(2)
    return dt.timedelta(minutes=n) if unit == "m" else dt.timedelta(hours=n) if unit == "h" else dt.timedelta(days=n)


def run_silence(args: argparse.Namespace) -> int:
    from pipeline_ops.alerting.incidents_store import new_silence_id
    from pipeline_ops.alerting.silences import Silence
    from pipeline_ops.config import current_config

    store, _ = _store(args)
    now = _now()
    if args.action == "add":
        if not (args.pipeline or args.asset or args.check):
            print("pipeline-ops: silence add needs at least one of --pipeline, --asset, --check", file=sys.stderr)
            return 2
        try:
            start = dt.datetime.fromisoformat(args.start) if args.start else now
        except ValueError:
            print(f"pipeline-ops: --start {args.start!r}: expected an ISO time such as 2025-09-03T02:00:00+00:00", file=sys.stderr)
            return 2
        if start.tzinfo is None:
            print("pipeline-ops: --start needs a timezone (e.g. +00:00)", file=sys.stderr)
            return 2
        s = Silence(new_silence_id(), start, start + _duration(args.duration), args.reason, args.by,
                    args.pipeline, args.asset, args.check)
        store.add_silence(s)
        print(f"{s.id}: until {s.ends_at:%Y-%m-%d %H:%M %Z}; matching alerts are recorded, not sent")
        return 0
    if args.action == "expire":
        s = store.expire_silence(args.silence_id, now)
        if s is None:
            print(f"pipeline-ops: no silence {args.silence_id!r} (config silences end at their ends_at)", file=sys.stderr)
            return 1
        print(f"{s.id} expired")
        return 0
    configured = [Silence(**c.model_dump()) for c in current_config().alerting.silences]
    rows = sorted([*configured, *store.silences()], key=lambda s: (not s.active(now), s.ends_at))
    if not rows:
        print("no silences")
    for s in rows:
        match = " ".join(f"{k}={v}" for k, v in (("pipeline", s.pipeline), ("asset", s.asset), ("check", s.check)) if v)
        state = "ACTIVE" if s.active(now) else "inactive"
        print(f"{s.id}  {state:8} {s.starts_at:%Y-%m-%d %H:%M} -> {s.ends_at:%Y-%m-%d %H:%M}  {match}  "
              f"({s.reason}; by {s.created_by})")
    return 0
