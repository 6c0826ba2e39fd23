"""Test helper for the outbox restart test: deliver the outbox in a loop to one JSON webhook until
killed. Run as a real process so the test can SIGKILL it mid-delivery:

    .venv/bin/python pipeline_ops_tests/alerting/outbox_worker.py --db PATH --url URL

The channel is a minimal HTTP POST (JSON body, `Idempotency-Key: <notification key>`), a
stand-in for the real webhook channel, which is tested on its own. Backoff is short (the test is
quick).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from pipeline_ops.alerting import db  # noqa: E402
from pipeline_ops.alerting.notification import DeliveryResult, Notification  # noqa: E402
from pipeline_ops.alerting.outbox import Outbox, RetryPolicy  # noqa: E402


class JsonPostChannel:
    def __init__(self, name: str, url: str, timeout_s: float, min_interval_s: float = 0.0) -> None:
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self.min_interval_s = min_interval_s

    def send(self, notification: Notification) -> DeliveryResult:
        body = json.dumps({"key": notification.key, "incident_id": notification.incident_id,
                           "action": notification.action, "title": notification.title}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Idempotency-Key": notification.key})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return DeliveryResult(ok=True, status=response.status)
        except urllib.error.HTTPError as exc:
            retry_after = exc.headers.get("Retry-After")
            return DeliveryResult(
                ok=False, status=exc.code, detail=f"HTTP {exc.code}",
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
                permanent=400 <= exc.code < 500 and exc.code != 429)
        except (urllib.error.URLError, OSError) as exc:
            return DeliveryResult(ok=False, detail=f"{type(exc).__name__}: unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite file (or a SQLAlchemy URL)")
    parser.add_argument("--url", required=True, help="the receiver to POST to")
    parser.add_argument("--channel", default="hook")
    parser.add_argument("--timeout", type=float, default=2.0, help="HTTP timeout, seconds")
    parser.add_argument("--lease", type=float, default=2.5, help="RetryPolicy.lease_s (> timeout)")
    parser.add_argument("--poll", type=float, default=0.02, help="pause between deliver calls")
    args = parser.parse_args(argv)
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    policy = RetryPolicy(base_s=0.05, factor=2.0, cap_s=0.2, max_attempts=100_000,
                         max_age=dt.timedelta(hours=1), lease_s=args.lease)
    outbox = Outbox(db.connect(url), policy=policy)
    channels = {args.channel: JsonPostChannel(args.channel, args.url, args.timeout)}
    print("worker started", flush=True)
    while True:
        summary = outbox.deliver(channels, budget_s=1.0)
        if summary.delivered or summary.retried or summary.dead:
            print(summary, flush=True)
        time.sleep(args.poll)


if __name__ == "__main__":
    sys.exit(main())
