"""The durable outbox: idempotent enqueue, order per incident and channel, backoff, dead letters,
rate limits, unconfigured channels, the notification log, and a real kill-and-restart.

Channels here are test doubles of our own `Channel` interface (scripted results, a record of what
they got); the fake clock only moves when a test moves it, so nothing sleeps for real except the
restart tests, which run `outbox_worker.py` as a real process against a real HTTP receiver.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline_ops.alerting import db
from pipeline_ops.alerting.notification import DeliveryResult, Notification
from pipeline_ops.alerting.outbox import (
    Outbox, RetryPolicy, notification_from_json, notification_log_table, outbox_table,
)

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
OK = DeliveryResult(ok=True, status=200)
DOWN = DeliveryResult(ok=False, status=503, detail="HTTP 503")


class FakeClock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class ScriptedChannel:
    """Returns the next scripted result for a key (then `default`); records every send."""

    name: str
    clock: FakeClock
    min_interval_s: float = 0.0
    default: DeliveryResult | Exception = OK
    script: dict[str, list] = field(default_factory=dict)
    sent: list[tuple[str, dt.datetime]] = field(default_factory=list)

    def send(self, notification: Notification) -> DeliveryResult:
        self.sent.append((notification.key, self.clock()))
        queue = self.script.get(notification.key)
        result = queue.pop(0) if queue else self.default
        if isinstance(result, Exception):
            raise result
        return result

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.sent]


def note(incident: str, action: str = "trigger", channel: str = "slack", **extra) -> Notification:
    return Notification(
        key=f"{incident}:{action}:{channel}", incident_id=incident, action=action, channel=channel,
        severity="error", title=f"{incident} {action}", text="what broke, next step",
        dedup_key=incident, fields={"partition": "2025-03-01", "seen": T0, "rows": 3},
        links=(("runbook", "https://example.invalid/runbook"),), created_at=T0, **extra)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'alerts.db'}")
    yield engine
    engine.dispose()


def make_outbox(engine, clock, seed: int = 7, **kw) -> Outbox:
    return Outbox(engine, clock=clock, rng=random.Random(seed), **kw)


def item(outbox: Outbox, key: str):
    found = outbox.item(key)
    assert found is not None
    return found


# -- enqueue ----------------------------------------------------------------------------------

def test_enqueue_is_idempotent_and_persists_before_any_send(engine, clock):
    outbox = make_outbox(engine, clock)
    n = note("inc-1")
    assert outbox.enqueue(n) is True
    assert outbox.enqueue(n) is False
    assert outbox.enqueue(note("inc-1")) is False  # same key, new object
    [stored] = outbox.items()
    assert (stored.state, stored.attempts, stored.next_attempt_at) == ("pending", 0, T0)
    again = stored.notification
    assert again.fields == {"partition": "2025-03-01", "seen": T0.isoformat(), "rows": 3}
    assert again.links == n.links and again.created_at == T0 and again.key == n.key
    assert json.loads(stored.payload)["created_at"] == T0.isoformat()
    assert notification_from_json(stored.payload) == again

    slack = ScriptedChannel("slack", clock)
    assert outbox.deliver({"slack": slack}).delivered == 1
    assert outbox.enqueue(n) is False  # a re-enqueue after delivery never re-sends
    assert outbox.deliver({"slack": slack}).delivered == 0
    assert slack.keys == [n.key]
    # a second Outbox on the same database (another process) sees the same state
    assert make_outbox(engine, clock).enqueue(n) is False


def test_enqueue_rejects_keys_longer_than_the_column(engine, clock):
    with pytest.raises(ValueError, match="key"):
        make_outbox(engine, clock).enqueue(note("x" * 600))


# -- order ------------------------------------------------------------------------------------

def test_resolve_never_overtakes_its_trigger_while_the_trigger_retries(engine, clock):
    outbox = make_outbox(engine, clock)
    trigger, resolve = note("inc-a"), note("inc-a", "resolve")
    other = note("inc-b")
    pager_resolve = note("inc-a", "resolve", channel="pagerduty")
    for n in (trigger, resolve, other, pager_resolve):
        assert outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, script={trigger.key: [DOWN, DOWN]})
    pager = ScriptedChannel("pagerduty", clock)

    summary = outbox.deliver({"slack": slack, "pagerduty": pager})
    # the trigger failed; its resolve waits; another incident and another channel proceed
    assert slack.keys == [trigger.key, other.key]
    assert pager.keys == [pager_resolve.key]
    assert (summary.delivered, summary.retried, summary.waiting) == (2, 1, 1)
    assert item(outbox, resolve.key).attempts == 0

    for _ in range(3):  # let the retries come due, even far past the resolve's own due time
        clock.advance(3600)
        outbox.deliver({"slack": slack, "pagerduty": pager})
    assert slack.keys == [trigger.key, other.key, trigger.key, trigger.key, resolve.key]
    assert [i.state for i in outbox.items("inc-a")] == ["delivered"] * 3


def test_a_dead_trigger_no_longer_blocks_the_resolve(engine, clock):
    outbox = make_outbox(engine, clock)
    trigger, resolve = note("inc-a"), note("inc-a", "resolve")
    outbox.enqueue(trigger), outbox.enqueue(resolve)
    slack = ScriptedChannel("slack", clock, script={
        trigger.key: [DeliveryResult(ok=False, status=400, permanent=True, detail="bad block")]})
    summary = outbox.deliver({"slack": slack})
    # one call: the dead trigger unblocks the resolve, which goes out in the same call
    assert (summary.dead, summary.delivered) == (1, 1)
    assert slack.keys == [trigger.key, resolve.key]


# -- backoff ----------------------------------------------------------------------------------

def test_backoff_is_exponential_with_full_jitter(engine, clock):
    policy = RetryPolicy(base_s=5, factor=2, cap_s=30, max_attempts=20)
    outbox = make_outbox(engine, clock, seed=11, policy=policy)
    expected_rng = random.Random(11)
    n = note("inc-1")
    outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, default=DOWN)
    for attempt in range(1, 7):
        summary = outbox.deliver({"slack": slack})
        assert summary.retried == 1
        stored = item(outbox, n.key)
        delay = (stored.next_attempt_at - clock()).total_seconds()
        ceiling = min(30, 5 * 2 ** (attempt - 1))
        assert policy.ceiling(attempt) == ceiling
        assert 0 <= delay <= ceiling
        assert delay == pytest.approx(expected_rng.uniform(0, ceiling), abs=1e-5)
        assert (stored.state, stored.attempts, stored.last_status) == ("pending", attempt, 503)
        clock.now = stored.next_attempt_at - dt.timedelta(microseconds=1)
        assert outbox.deliver({"slack": slack}).waiting == 1  # not due a microsecond early
        clock.now = stored.next_attempt_at
    assert len(slack.sent) == 6
    assert RetryPolicy().ceiling(8) == 600 and RetryPolicy().ceiling(1) == 5  # defaults


def test_retry_after_is_honoured_when_longer_than_the_backoff(engine, clock):
    outbox = make_outbox(engine, clock, seed=3)
    a, b = note("inc-a"), note("inc-b")
    outbox.enqueue(a), outbox.enqueue(b)
    slack = ScriptedChannel("slack", clock, script={
        a.key: [DeliveryResult(ok=False, status=429, retry_after=120, detail="rate limited")],
        b.key: [DeliveryResult(ok=False, status=429, retry_after=0.0, detail="rate limited")]})
    expected_rng = random.Random(3)
    outbox.deliver({"slack": slack})
    assert item(outbox, a.key).next_attempt_at == T0 + dt.timedelta(seconds=120)
    expected_rng.uniform(0, 5)  # a's draw
    b_delay = (item(outbox, b.key).next_attempt_at - T0).total_seconds()
    assert b_delay == pytest.approx(expected_rng.uniform(0, 5), abs=1e-5)  # backoff was longer
    clock.advance(119)
    outbox.deliver({"slack": slack})
    assert slack.keys.count(a.key) == 1
    clock.advance(1)
    assert outbox.deliver({"slack": slack}).delivered >= 1
    assert item(outbox, a.key).state == "delivered"


# -- dead letters -----------------------------------------------------------------------------

def test_permanent_failure_is_dead_at_once_listed_and_retry_dead_revives_it(engine, clock):
    outbox = make_outbox(engine, clock)
    n = note("inc-1")
    outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, script={
        n.key: [DeliveryResult(ok=False, status=404, permanent=True, detail="channel_not_found")]})
    summary = outbox.deliver({"slack": slack})
    assert (summary.dead, summary.retried, summary.waiting) == (1, 0, 0)
    [dead] = outbox.dead_letters()
    assert (dead.key, dead.state, dead.attempts, dead.last_status) == (n.key, "dead", 1, 404)
    assert "channel_not_found" in dead.last_detail
    assert outbox.pending() == []
    clock.advance(3600)
    assert outbox.deliver({"slack": slack}).delivered == 0  # dead stays dead, kept

    assert outbox.retry_dead("no-such-key") is False
    assert outbox.retry_dead(n.key) is True
    assert outbox.retry_dead(n.key) is False  # not dead any more
    revived = item(outbox, n.key)
    assert (revived.state, revived.attempts, revived.revived_at) == ("pending", 0, clock())
    assert [i.key for i in outbox.pending()] == [n.key]
    assert outbox.deliver({"slack": slack}).delivered == 1
    assert outbox.dead_letters() == [] and slack.keys == [n.key, n.key]


def test_gives_up_after_max_attempts(engine, clock):
    outbox = make_outbox(engine, clock, policy=RetryPolicy(max_attempts=3))
    n = note("inc-1")
    outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, default=DOWN)
    outcomes = []
    for _ in range(5):
        s = outbox.deliver({"slack": slack})
        outcomes.append((s.retried, s.dead))
        clock.advance(3600)
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    [dead] = outbox.dead_letters()
    assert dead.attempts == 3 and dead.last_detail == "gave up after 3 attempts: HTTP 503"


def test_gives_up_when_older_than_max_age(engine, clock):
    outbox = make_outbox(engine, clock, policy=RetryPolicy(max_attempts=100))
    n = note("inc-1")
    outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, default=DOWN)
    outbox.deliver({"slack": slack})
    clock.advance(23 * 3600)
    assert outbox.deliver({"slack": slack}).retried == 1
    clock.advance(3600)
    assert outbox.deliver({"slack": slack}).dead == 1
    assert item(outbox, n.key).last_detail.startswith("older than 24h: HTTP 503")
    # retry_dead gives it a fresh age
    outbox.retry_dead(n.key)
    assert outbox.deliver({"slack": slack}).retried == 1


def test_a_raising_channel_is_a_retryable_failure_with_a_short_detail(engine, clock):
    outbox = make_outbox(engine, clock)
    n = note("inc-1")
    outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, script={n.key: [RuntimeError("boom\n" + "x" * 2000)]})
    summary = outbox.deliver({"slack": slack})
    assert summary.retried == 1
    stored = item(outbox, n.key)
    assert stored.state == "pending" and stored.last_status is None
    assert stored.last_detail.startswith("RuntimeError: boom x") and len(stored.last_detail) <= 500
    clock.advance(3600)
    assert outbox.deliver({"slack": slack}).delivered == 1


# -- rate limit -------------------------------------------------------------------------------

def test_rate_limit_spaces_sends_to_one_channel(engine, clock):
    outbox = make_outbox(engine, clock)
    for n in (note("inc-a"), note("inc-b"), note("inc-c", channel="email")):
        outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, min_interval_s=30)
    email = ScriptedChannel("email", clock, min_interval_s=30)
    summary = outbox.deliver({"slack": slack, "email": email})
    # one slack send; the other channel is not held back; no sleep, the second stays due
    assert (summary.delivered, summary.waiting) == (2, 1)
    assert [k for k, _ in slack.sent] == ["inc-a:trigger:slack"]
    clock.advance(29)
    # the limit holds across deliver calls and Outbox objects (it is read from the outbox)
    assert make_outbox(engine, clock).deliver({"slack": slack, "email": email}).waiting == 1
    clock.advance(1)
    assert outbox.deliver({"slack": slack, "email": email}).delivered == 1
    (_, first), (_, second) = slack.sent
    assert second - first >= dt.timedelta(seconds=30)


def test_rate_limit_sleeps_only_when_sleep_is_injected_and_within_budget(engine, clock):
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    outbox = make_outbox(engine, clock, sleep=sleep)
    for n in (note("inc-a"), note("inc-b"), note("inc-c")):
        outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock, min_interval_s=10)
    summary = outbox.deliver({"slack": slack}, budget_s=15)
    assert (summary.delivered, summary.waiting) == (2, 1)  # the third would start past the budget
    assert slept == [10]
    summary = outbox.deliver({"slack": slack})
    assert (summary.delivered, summary.waiting) == (1, 0)
    times = [t for _, t in slack.sent]
    assert all(b - a >= dt.timedelta(seconds=10) for a, b in zip(times, times[1:]))


def test_max_items_and_budget_bound_one_call(engine, clock):
    outbox = make_outbox(engine, clock)
    for i in range(5):
        outbox.enqueue(note(f"inc-{i}"))
    slack = ScriptedChannel("slack", clock)
    summary = outbox.deliver({"slack": slack}, max_items=2)
    assert (summary.delivered, summary.waiting) == (2, 3)
    assert len(slack.sent) == 2
    assert outbox.deliver({"slack": slack}, budget_s=0).waiting == 3
    assert outbox.deliver({"slack": slack}).delivered == 3


# -- channel not configured -------------------------------------------------------------------

def test_an_unconfigured_channel_keeps_its_items_pending_and_counted(engine, clock):
    outbox = make_outbox(engine, clock)
    outbox.enqueue(note("inc-a", channel="pagerduty"))
    outbox.enqueue(note("inc-a", "resolve", channel="pagerduty"))
    outbox.enqueue(note("inc-a"))
    slack = ScriptedChannel("slack", clock)
    summary = outbox.deliver({"slack": slack})  # PAGERDUTY_ROUTING_KEY unset: not built
    assert (summary.delivered, summary.not_configured, summary.waiting) == (1, 2, 0)
    held = [i for i in outbox.pending()]
    assert [(i.channel, i.state, i.attempts, i.last_detail) for i in held] == [
        ("pagerduty", "pending", 0, "channel not configured")] * 2
    clock.advance(3600)
    pager = ScriptedChannel("pagerduty", clock)
    summary = outbox.deliver({"slack": slack, "pagerduty": pager})
    assert (summary.delivered, summary.not_configured) == (2, 0)
    assert pager.keys == ["inc-a:trigger:pagerduty", "inc-a:resolve:pagerduty"]


def test_an_unconfigured_channel_past_max_age_becomes_a_dead_letter(engine, clock):
    outbox = make_outbox(engine, clock)
    outbox.enqueue(note("inc-a", channel="email"))
    assert outbox.deliver({}).not_configured == 1
    clock.advance(24 * 3600)
    summary = outbox.deliver({})
    assert (summary.dead, summary.not_configured) == (1, 0)
    [dead] = outbox.dead_letters()
    assert dead.last_detail.startswith("channel not configured for longer than")


# -- crash windows and the notification log ---------------------------------------------------

def _set(engine, key: str, **values) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(outbox_table).where(outbox_table.c.key == key).values(**values))


def test_an_item_found_sending_but_logged_is_marked_delivered_without_a_send(engine, clock):
    outbox = make_outbox(engine, clock)
    n = note("inc-1")
    outbox.enqueue(n)
    # a process sent it and logged it, then died: simulate the state it left
    _set(engine, n.key, state="sending", attempts=1, next_attempt_at=T0)
    with engine.begin() as conn:
        conn.execute(sa.insert(notification_log_table).values(
            key=n.key, channel="slack", incident_id="inc-1", action="trigger",
            delivered_at=T0 - dt.timedelta(seconds=1), status=200))
    slack = ScriptedChannel("slack", clock)
    summary = outbox.deliver({"slack": slack})
    assert summary.delivered == 1 and slack.sent == []
    stored = item(outbox, n.key)
    assert (stored.state, stored.attempts, stored.delivered_at) == (
        "delivered", 1, T0 - dt.timedelta(seconds=1))
    # the same holds for a pending item whose key is logged (enqueued again after a wipe)
    m = note("inc-2")
    with engine.begin() as conn:
        conn.execute(sa.insert(notification_log_table).values(
            key=m.key, channel="slack", incident_id="inc-2", action="trigger", delivered_at=T0))
    outbox.enqueue(m)
    assert outbox.deliver({"slack": slack}).delivered == 1 and slack.sent == []


def test_an_unlogged_sending_item_is_resent_only_after_its_lease(engine, clock):
    outbox = make_outbox(engine, clock, policy=RetryPolicy(lease_s=60))
    n = note("inc-1")
    outbox.enqueue(n)
    slack = ScriptedChannel("slack", clock)
    # a claim by a process killed mid-send: attempts 1, sending, lease to T0 + 60 s
    _set(engine, n.key, state="sending", attempts=1, next_attempt_at=T0 + dt.timedelta(seconds=60))
    assert outbox.deliver({"slack": slack}).waiting == 1 and slack.sent == []  # maybe in flight
    clock.advance(60)
    assert outbox.deliver({"slack": slack}).delivered == 1
    assert slack.keys == [n.key] and item(outbox, n.key).attempts == 2
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(notification_log_table)
                            ).scalar_one() == 1


def test_the_claim_is_committed_before_the_channel_is_called(engine, clock):
    outbox = make_outbox(engine, clock)
    n = note("inc-1")
    outbox.enqueue(n)
    seen = []

    class Peeking(ScriptedChannel):
        def send(self, notification):
            other = make_outbox(engine, clock).item(notification.key)  # another connection
            seen.append((other.state, other.attempts))
            return super().send(notification)

    outbox.deliver({"slack": Peeking("slack", clock)})
    assert seen == [("sending", 1)]
    with engine.connect() as conn:
        row = conn.execute(sa.select(notification_log_table)).one()
    assert (row.key, row.channel, row.incident_id, row.action, row.status, row.delivered_at) == (
        n.key, "slack", "inc-1", "trigger", 200, T0)


def test_a_second_deliverer_leaves_an_item_in_flight_alone(engine, clock):
    outbox, other = make_outbox(engine, clock), make_outbox(engine, clock)
    a, b = note("inc-a"), note("inc-a", "resolve")
    outbox.enqueue(a), outbox.enqueue(b)
    inner = []

    class Reentrant(ScriptedChannel):
        def send(self, notification):
            if not inner:  # a CLI `deliver` running while the sensor's send is in flight
                inner.append(other.deliver({"slack": ScriptedChannel("slack", clock)}))
            return super().send(notification)

    slack = Reentrant("slack", clock)
    summary = outbox.deliver({"slack": slack})
    assert inner[0].delivered == 0 and inner[0].waiting == 2  # claimed item and the one behind
    assert summary.delivered == 2 and slack.keys == [a.key, b.key]


def test_an_unreadable_payload_is_a_dead_letter_and_never_sent(engine, clock):
    outbox = make_outbox(engine, clock)
    n = note("inc-1")
    outbox.enqueue(n)
    _set(engine, n.key, payload="{not json")
    slack = ScriptedChannel("slack", clock)
    assert outbox.deliver({"slack": slack}).dead == 1 and slack.sent == []
    assert item(outbox, n.key).last_detail.startswith("unreadable payload: JSONDecodeError")


# -- kill and restart, with a real process and a real HTTP receiver ---------------------------

WORKER = Path(__file__).with_name("outbox_worker.py")


class Receiver:
    """A webhook receiver on 127.0.0.1: 503 while down, 200 when up; like a real one it drops a
    repeated Idempotency-Key. `hold_at`: hold the response of the n-th accepted request until
    `release` is set (a send the receiver processed but whose 200 the sender never got)."""

    def __init__(self, up: bool = False, hold_at: int | None = None) -> None:
        self.lock = threading.Lock()
        self.up = up
        self.hold_at = hold_at
        self.rejected = 0
        self.accepted: list[str] = []  # every 200, in order (raw)
        self.processed: list[str] = []  # after dropping repeated keys
        self.holding, self.release = threading.Event(), threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                assert key == body["key"]
                hold = False
                with receiver.lock:
                    if not receiver.up:
                        receiver.rejected += 1
                        status = 503
                    else:
                        status = 200
                        receiver.accepted.append(key)
                        if key not in receiver.processed:
                            receiver.processed.append(key)
                        hold = len(receiver.accepted) == receiver.hold_at
                if hold:
                    receiver.holding.set()
                    receiver.release.wait(10)
                try:
                    self.send_response(status)
                    if status == 503:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender was killed meanwhile
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made: list[Receiver] = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]

    yield make
    for receiver in made:
        receiver.stop()


@pytest.fixture
def workers(tmp_path):
    started: list[subprocess.Popen] = []

    def start(db_path: Path, url: str) -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(started)}.log", "wb")
        proc = subprocess.Popen([sys.executable, str(WORKER), "--db", str(db_path), "--url", url,
                                 "--timeout", "2", "--lease", "2.5"], stdout=log, stderr=log)
        log.close()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def kill(proc: subprocess.Popen) -> None:
    proc.kill()  # SIGKILL: no cleanup, no flush, mid-whatever-it-was-doing
    proc.wait(10)


def enqueue_incidents(db_path: Path, incidents: int) -> tuple[Outbox, list[str]]:
    outbox = Outbox(db.connect(f"sqlite:///{db_path}"))
    keys = []
    for i in range(incidents):
        for action in ("trigger", "resolve"):
            n = note(f"inc-{i:02d}", action, channel="hook")
            assert outbox.enqueue(n)
            keys.append(n.key)
    return outbox, keys


def logged_keys(outbox: Outbox) -> list[str]:
    with outbox.engine.connect() as conn:
        return list(conn.execute(sa.select(notification_log_table.c.key)).scalars())


def assert_trigger_before_resolve(keys: list[str]) -> None:
    for key in keys:
        if ":resolve:" in key:
            assert keys.index(key.replace(":resolve:", ":trigger:")) < keys.index(key)


def test_receiver_down_and_worker_killed_every_alert_delivered_exactly_once(
        tmp_path, receiver_factory, workers):
    db_path = tmp_path / "alerts.db"
    outbox, keys = enqueue_incidents(db_path, incidents=10)  # N = 20 notifications
    receiver = receiver_factory(up=False)

    first = workers(db_path, receiver.url)
    wait_for(lambda: receiver.rejected >= 20, 10, "the worker's first 503s")
    kill(first)  # while the receiver only answers 503: no send can be half-recorded
    assert receiver.accepted == [] and logged_keys(outbox) == []
    assert {i.state for i in outbox.items()} <= {"pending", "sending"}
    assert max(i.attempts for i in outbox.items()) >= 2

    rejected_before = receiver.rejected
    second = workers(db_path, receiver.url)
    wait_for(lambda: receiver.rejected >= rejected_before + 10, 10, "503s after the restart")
    with receiver.lock:
        receiver.up = True  # recovery
    wait_for(lambda: not outbox.pending(), 15, "every item delivered")
    kill(second)

    assert Counter(receiver.accepted) == Counter(keys)  # each key exactly once, none twice
    assert sorted(logged_keys(outbox)) == sorted(keys)  # and logged exactly once (unique key)
    assert all(i.state == "delivered" for i in outbox.items())
    assert_trigger_before_resolve(receiver.accepted)


def test_killed_after_the_receiver_accepted_the_repeat_is_dropped_by_its_idempotency_key(
        tmp_path, receiver_factory, workers):
    """The one window left: the receiver processed a send, the worker died before it recorded the
    200. The item is still `sending`, is sent again after its lease, and the receiver, seeing the
    same Idempotency-Key, drops it: at-least-once on the wire, exactly once in effect."""
    db_path = tmp_path / "alerts.db"
    outbox, keys = enqueue_incidents(db_path, incidents=10)
    receiver = receiver_factory(up=True, hold_at=5)

    first = workers(db_path, receiver.url)
    assert receiver.holding.wait(10), "the fifth send never arrived"
    kill(first)
    receiver.release.set()
    held = receiver.accepted[4]
    stuck = outbox.item(held)
    assert (stuck.state, stuck.attempts) == ("sending", 1) and held not in logged_keys(outbox)

    second = workers(db_path, receiver.url)
    wait_for(lambda: not outbox.pending(), 15, "every item delivered")
    kill(second)

    assert Counter(receiver.accepted) == Counter(keys) + Counter([held])  # the one repeat
    assert sorted(receiver.processed) == sorted(keys)  # each processed exactly once
    assert sorted(logged_keys(outbox)) == sorted(keys)
    assert outbox.item(held).attempts == 2
    assert_trigger_before_resolve(receiver.processed)
