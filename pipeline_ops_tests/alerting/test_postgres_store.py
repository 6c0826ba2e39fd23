"""The alerting database on a real PostgreSQL server (pipeline_ops_tests/postgres.py): the same code
as on SQLite, the same behaviours.

* The outbox: every SQLite test of test_outbox.py except the two that run `outbox_worker.py` as a
  real process (that worker takes a SQLite path) is imported here and so runs a second time, with
  `engine` a fresh PostgreSQL database. `test_every_sqlite_outbox_test_also_runs_on_postgres`
  fails when a test is added there and not here.
* What only a real server shows: the schema's types, timestamps read back in the server's own
  (non-UTC) zone and handed out as aware UTC, the unique keys catching a concurrent enqueue and a
  concurrent log write, and four deliverers at once sending each notification exactly once.
* The incident store (incidents, commands, silences), on both backends, and the CLI scenarios of
  test_incidents_cli.py with the service and `--db` on PostgreSQL.
* `db.default_url(instance)`: a Dagster instance on PostgreSQL gives that database (the alert
  tables live beside Dagster's); any other instance gives SQLite in $DAGSTER_HOME.
"""

from __future__ import annotations

import datetime as dt
import inspect
import threading
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from pipeline_ops.alerting import db
from pipeline_ops.alerting.grouping import apply
from pipeline_ops.alerting.incident import Incident
from pipeline_ops.alerting.incidents_store import IncidentStore, new_silence_id
from pipeline_ops.alerting.notification import DeliveryResult
from pipeline_ops.alerting.outbox import (
    Outbox, RetryPolicy, notification_log_table, outbox_table, utc_now,
)
from pipeline_ops.alerting.sensors import AlertingResource
from pipeline_ops.alerting.service import AlertService
from pipeline_ops.alerting.silences import Silence
from pipeline_ops_tests.alerting import test_incidents_cli, test_outbox
from pipeline_ops_tests.alerting.test_incidents import LINEAGE, sig
from pipeline_ops_tests.alerting.test_outbox import (  # noqa: F401 - `clock` is a fixture
    DOWN, T0, ScriptedChannel, assert_trigger_before_resolve, clock, item, make_outbox, note,
)
# The SQLite outbox tests, collected again here, where `engine` is PostgreSQL (fixture below).
from pipeline_ops_tests.alerting.test_outbox import (  # noqa: F401
    test_a_dead_trigger_no_longer_blocks_the_resolve,
    test_a_raising_channel_is_a_retryable_failure_with_a_short_detail,
    test_a_second_deliverer_leaves_an_item_in_flight_alone,
    test_an_item_found_sending_but_logged_is_marked_delivered_without_a_send,
    test_an_unconfigured_channel_keeps_its_items_pending_and_counted,
    test_an_unconfigured_channel_past_max_age_becomes_a_dead_letter,
    test_an_unlogged_sending_item_is_resent_only_after_its_lease,
    test_an_unreadable_payload_is_a_dead_letter_and_never_sent,
    test_backoff_is_exponential_with_full_jitter,
    test_enqueue_is_idempotent_and_persists_before_any_send,
    test_enqueue_rejects_keys_longer_than_the_column,
    test_gives_up_after_max_attempts,
    test_gives_up_when_older_than_max_age,
    test_max_items_and_budget_bound_one_call,
    test_permanent_failure_is_dead_at_once_listed_and_retry_dead_revives_it,
    test_rate_limit_sleeps_only_when_sleep_is_injected_and_within_budget,
    test_rate_limit_spaces_sends_to_one_channel,
    test_resolve_never_overtakes_its_trigger_while_the_trigger_retries,
    test_retry_after_is_honoured_when_longer_than_the_backoff,
    test_the_claim_is_committed_before_the_channel_is_called,
)
from pipeline_ops_tests.oncall.conftest import at

UTC = dt.timezone.utc
PROCESS_FIXTURES = {"workers", "receiver_factory"}  # the kill-and-restart tests (SQLite paths)


@pytest.fixture
def engine(postgres_server):
    """A fresh, empty PostgreSQL database per test (the imported outbox tests use this)."""
    engine = db.connect(postgres_server.create_database())
    yield engine
    engine.dispose()


def test_every_sqlite_outbox_test_also_runs_on_postgres():
    sqlite_tests = {name for name, fn in vars(test_outbox).items()
                    if name.startswith("test_") and callable(fn)
                    and not PROCESS_FIXTURES & set(inspect.signature(fn).parameters)}
    here = {name for name, fn in globals().items()
            if name.startswith("test_") and getattr(fn, "__module__", "") == test_outbox.__name__}
    assert len(sqlite_tests) >= 20 and sqlite_tests == here, sorted(sqlite_tests ^ here)


# -- what only a real server shows ------------------------------------------------------------

def test_the_schema_on_postgres_has_timezone_aware_timestamps_and_unique_keys(postgres_url):
    engine = db.connect(postgres_url)  # the session's `alerts` database
    Outbox(engine), IncidentStore(engine)
    db.ensure_tables(engine)  # a second time: nothing to do, no error
    assert engine.dialect.name == "postgresql" and engine.driver == "psycopg2"
    inspector = sa.inspect(engine)
    assert {"alert_outbox", "alert_notification_log", "alert_incidents", "alert_commands",
            "alert_silences"} <= set(inspector.get_table_names())
    columns = {c["name"]: c["type"] for c in inspector.get_columns("alert_outbox")}
    for name in ("next_attempt_at", "last_attempt_at", "created_at", "revived_at", "delivered_at"):
        assert isinstance(columns[name], sa.DateTime) and columns[name].timezone, name
    for table in ("alert_outbox", "alert_notification_log"):
        uniques = inspector.get_unique_constraints(table) + [
            i for i in inspector.get_indexes(table) if i["unique"]]
        assert any(u["column_names"] == ["key"] for u in uniques), table
    with engine.connect() as conn:  # the server is deliberately not on UTC (postgres.py)
        assert conn.exec_driver_sql("SHOW TimeZone").scalar_one() == "America/New_York"


def test_timestamps_read_in_the_servers_zone_come_back_aware_utc(engine, clock):
    outbox = make_outbox(engine, clock, policy=RetryPolicy(max_attempts=1))
    a, b = note("inc-a"), note("inc-b")
    outbox.enqueue(a), outbox.enqueue(b)
    slack = ScriptedChannel("slack", clock, script={a.key: [DOWN]})
    outbox.deliver({"slack": slack})  # a: dead after one attempt; b: delivered
    clock.advance(60)
    outbox.retry_dead(a.key)  # revived_at
    with engine.connect() as conn:  # the driver hands back the server's zone: -05:00 in March
        raw = conn.exec_driver_sql("SELECT created_at FROM alert_outbox ORDER BY id").scalars()
        raw = raw.all()
    assert [v.utcoffset() for v in raw] == [dt.timedelta(hours=-5)] * 2 and raw[0] == T0

    revived, delivered = item(outbox, a.key), item(outbox, b.key)
    assert (revived.created_at, revived.next_attempt_at, revived.revived_at) == (
        T0, T0 + dt.timedelta(seconds=60), T0 + dt.timedelta(seconds=60))
    assert (delivered.last_attempt_at, delivered.delivered_at) == (T0, T0)
    values = [getattr(i, f) for i in (revived, delivered) for f in (
        "created_at", "next_attempt_at", "last_attempt_at", "revived_at", "delivered_at")]
    assert all(v.tzinfo is UTC for v in values if v is not None) and None in values
    assert outbox._last_sends({"slack"})["slack"].tzinfo is UTC  # max() over the column
    with engine.connect() as conn:
        logged = conn.execute(sa.select(notification_log_table.c.delivered_at)).scalar_one()
    assert logged == T0 and logged.tzinfo is UTC
    # a naive time from a caller is taken as UTC, as on SQLite, not as the server's zone
    naive = make_outbox(engine, lambda: T0.replace(tzinfo=None) + dt.timedelta(hours=1))
    naive.enqueue(note("inc-c"))
    assert item(naive, "inc-c:trigger:slack").created_at == T0 + dt.timedelta(hours=1)


def test_a_concurrent_enqueue_of_the_same_key_is_caught_by_the_unique_key(
        engine, clock, monkeypatch):
    outbox = make_outbox(engine, clock)
    assert outbox.enqueue(note("inc-1"))
    looked = []
    exists = Outbox._exists

    def raced(self, key):  # the first look misses a row another process has just committed
        looked.append(key)
        return False if len(looked) == 1 else exists(self, key)

    monkeypatch.setattr(Outbox, "_exists", raced)
    assert outbox.enqueue(note("inc-1")) is False  # UniqueViolation -> IntegrityError -> False
    assert looked == ["inc-1:trigger:slack"] * 2 and len(outbox.items()) == 1
    assert outbox.enqueue(note("inc-2")) is True  # the pooled connection is usable after it


def test_a_log_row_written_concurrently_before_ours_is_kept_and_the_item_delivered(engine, clock):
    outbox = make_outbox(engine, clock)
    n = note("inc-1")
    outbox.enqueue(n)
    other = sa.create_engine(engine.url)  # another process, its own connection
    raced = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _race(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO alert_notification_log") and not raced:
            raced.append(statement)  # between our look in the log and our insert
            with other.begin() as c:
                c.execute(sa.insert(notification_log_table).values(
                    key=n.key, channel="slack", incident_id="inc-1", action="trigger",
                    delivered_at=T0 - dt.timedelta(seconds=1), status=202))

    try:
        slack = ScriptedChannel("slack", clock)
        assert outbox.deliver({"slack": slack}).delivered == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", _race)
        other.dispose()
    assert raced and slack.keys == [n.key]
    with engine.connect() as conn:
        [row] = conn.execute(sa.select(notification_log_table)).all()
    assert (row.key, row.status) == (n.key, 202)  # the first writer's row; ours rolled back
    assert item(outbox, n.key).state == "delivered"


def test_four_deliverers_at_once_send_each_notification_exactly_once_in_order(engine):
    """Sensor ticks and CLI `deliver`s overlapping, for real: threads on their own connections,
    the real clock, a channel that fails every third trigger once (retried after a short
    backoff)."""
    keys = []
    for i in range(15):
        for action in ("trigger", "resolve"):
            keys.append(note(f"inc-{i:02d}", action).key)
            assert Outbox(engine).enqueue(note(f"inc-{i:02d}", action))
    lock = threading.Lock()
    sent: list[str] = []

    class Flaky:
        name, min_interval_s = "slack", 0.0

        def send(self, notification):
            with lock:
                sent.append(notification.key)
                first_try = sent.count(notification.key) == 1
            time.sleep(0.002)  # a send takes a moment: other deliverers run meanwhile
            failing = first_try and notification.action == "trigger" and int(
                notification.incident_id[-2:]) % 3 == 0
            return DeliveryResult(ok=not failing, status=503 if failing else 200)

    errors: list[BaseException] = []
    policy = RetryPolicy(base_s=0.01, cap_s=0.05)

    def deliverer(seed: int) -> None:
        try:
            outbox = Outbox(engine, clock=utc_now, policy=policy)
            deadline = time.monotonic() + 30
            while outbox.pending() and time.monotonic() < deadline:
                outbox.deliver({"slack": Flaky()}, max_items=5)
                time.sleep(0.003 * seed)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=deliverer, args=(s,)) for s in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    outbox = Outbox(engine)
    assert outbox.pending() == [] and {i.state for i in outbox.items()} == {"delivered"}
    retried = [k for k in keys if ":trigger:" in k and int(k[4:6]) % 3 == 0]
    assert Counter(sent) == Counter(keys) + Counter(retried)  # each once, the failed ones twice
    with engine.connect() as conn:
        logged = conn.execute(sa.select(notification_log_table.c.key)).scalars().all()
    assert sorted(logged) == sorted(keys)
    assert_trigger_before_resolve(sent)
    last_trigger_send = {k: max(i for i, s in enumerate(sent) if s == k) for k in retried}
    assert all(sent.index(k.replace(":trigger:", ":resolve:")) > last_trigger_send[k]
               for k in retried)  # a resolve waited for its trigger's retry


# -- the incident store, on both backends -----------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        engine = db.connect(f"sqlite:///{tmp_path / 'alerts.db'}")
    else:
        engine = db.connect(request.getfixturevalue("postgres_server").create_database())
    assert engine.dialect.name == request.param
    yield IncidentStore(engine)
    engine.dispose()


def _incidents(t: dt.datetime) -> list[Incident]:
    incidents: list[Incident] = []
    apply([sig("stg_fx_rates", "fx_rates_complete", t, observed={"missing": ["EUR"]}),
           sig("profit_aggregate", "margin_variance", t),
           sig("stg_account_daily", "row_count", t + dt.timedelta(hours=1),
               partition="2025-09-04")],
          incidents, LINEAGE)
    return incidents


def test_incidents_save_update_and_load_round_trip(store):
    t = at("2025-09-03 03:00")
    first, second = _incidents(t)
    assert len(first.alerts) == 2 and first.opened_at < second.opened_at
    store.save([first, second], t)
    assert store.get(first.id) == first and store.get("inc-nope") is None
    assert [i.id for i in store.all()] == [second.id, first.id]  # newest first
    assert [i.id for i in store.all(limit=1)] == [second.id]

    first.status, first.acknowledged_at, first.acknowledged_by = "acknowledged", t, "eng_b"
    first.note(t, "acknowledged by eng_b")
    second.status, second.resolved_at, second.channels_told = "resolved", t, ["pagerduty"]
    store.save([first, second], t + dt.timedelta(minutes=5))  # an upsert: the same rows
    again = store.get(first.id)
    assert again == first and again.acknowledged_at == t and again.trail[-1].endswith("eng_b")
    assert again.alerts[first.root].details == {"observed": {"missing": ["EUR"]}}
    assert [i.id for i in store.open_incidents()] == [first.id]
    assert [i.id for i in store.unsent_resolved()] == [second.id]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, status, updated_at FROM alert_incidents")).all()
    later = (t + dt.timedelta(minutes=5)).isoformat()
    assert sorted(rows) == sorted([(first.id, "acknowledged", later),
                                   (second.id, "resolved", later)])


def test_commands_stay_pending_until_marked_applied(store):
    t = dt.datetime(2025, 9, 3, 3, 0, tzinfo=UTC)
    store.request("inc-1", "ack", "eng_b", "looking", t)
    store.request("inc-1", "resolve", "eng_b", "", t + dt.timedelta(minutes=1))
    pending = store.pending_commands()
    fields = ("incident_id", "action", "by", "reason", "applied")
    assert [tuple(c[f] for f in fields) for c in pending] == [
        ("inc-1", "ack", "eng_b", "looking", False), ("inc-1", "resolve", "eng_b", "", False)]
    assert dt.datetime.fromisoformat(pending[0]["at"]) == t
    store.mark_applied([])  # nothing to do
    store.mark_applied([pending[0]["id"]])
    assert [c["action"] for c in store.pending_commands()] == ["resolve"]
    store.mark_applied([c["id"] for c in store.pending_commands()])
    assert store.pending_commands() == []


def test_silences_add_list_and_expire(store):
    start = dt.datetime(2025, 9, 3, 3, 0, tzinfo=UTC)
    s = Silence(new_silence_id(), start, start + dt.timedelta(hours=2), "vendor window", "eng_a",
                asset="stg_fx_*")
    store.add_silence(s)
    assert store.silences() == [s]
    assert store.expire_silence("sil-nope", start) is None
    ended = store.expire_silence(s.id, start + dt.timedelta(minutes=30))
    assert ended.expired_at == start + dt.timedelta(minutes=30)
    [stored] = store.silences()
    assert stored == ended and stored.expired_at.tzinfo is not None
    assert stored.active(start + dt.timedelta(minutes=29)) and not stored.active(
        start + dt.timedelta(minutes=31))


def test_the_cli_scenarios_with_the_service_and_cli_on_postgres(
        postgres_server, tmp_path, capsys, monkeypatch):
    """test_incidents_cli.py's two scenarios as they are, their `_service` on PostgreSQL: the
    service ticks, `pipeline-ops incidents|silence --db postgresql+psycopg2://...` acts."""
    sqlite_service = test_incidents_cli._service
    urls = []

    def on_postgres(path, clock):  # the same config, channels and rota; the database on PostgreSQL
        model, _ = sqlite_service(path, clock)
        urls.append(postgres_server.create_database())
        return AlertService(db.connect(urls[-1]), model.oncall, model.lineage, model.cfg,
                            model.channels, clock), urls[-1]

    monkeypatch.setattr(test_incidents_cli, "_service", on_postgres)
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    test_incidents_cli.test_ack_from_the_cli_stops_the_ladder_and_resolve_closes(
        tmp_path / "one", capsys)
    test_incidents_cli.test_a_cli_silence_mutes_matching_alerts_until_expired(
        tmp_path / "two", capsys)
    for url in urls:  # the work happened on PostgreSQL
        engine = db.connect(url)
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar_one()
    assert len(urls) == 2


# -- default_url: the instance's PostgreSQL ---------------------------------------------------

def test_default_url_is_the_instances_postgres_and_sqlite_otherwise(postgres_server, monkeypatch):
    monkeypatch.delenv("PIPELINE_OPS_ALERTS_DB", raising=False)
    postgres_server.create_database("dagster")
    # the usual dagster.yaml form; `scheme` names psycopg2, the driver dagster-postgres installs
    # (SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, and Dagster does not rewrite it)
    storage = {"postgres": {"postgres_db": {
        "username": "postgres", "hostname": "127.0.0.1", "port": postgres_server.port,
        "db_name": "dagster", "scheme": "postgresql+psycopg2"}}}
    with dg.instance_for_test(overrides={"storage": storage}) as pg:
        url = db.default_url(pg)
        assert url == f"postgresql+psycopg2://postgres@127.0.0.1:{postgres_server.port}/dagster"
        engine = AlertingResource().database(pg)  # what the sensor uses
        assert engine.dialect.name == "postgresql" and engine.url.database == "dagster"
        store = IncidentStore(engine)
        [inc, _] = _incidents(at("2025-09-03 03:00"))
        store.save([inc], inc.opened_at)
        assert store.get(inc.id) == inc
        tables = set(sa.inspect(engine).get_table_names())
        assert {"runs", "event_logs", "alert_incidents", "alert_outbox"} <= tables  # side by side
        assert pg.get_runs() == []  # Dagster's own storage is undisturbed
        monkeypatch.setenv("PIPELINE_OPS_ALERTS_DB", "sqlite:////elsewhere.db")
        assert db.default_url(pg) == "sqlite:////elsewhere.db"  # the override still wins
        monkeypatch.delenv("PIPELINE_OPS_ALERTS_DB")
    with dg.instance_for_test() as local:  # SQLite storage in a temporary $DAGSTER_HOME
        home = Path(local.root_directory).resolve()
        assert db.default_url(local) == f"sqlite:///{home / 'pipeline_ops_alerts.db'}"
    monkeypatch.setenv("DAGSTER_HOME", "/srv/dagster")
    beside_home = "sqlite:////srv/dagster/pipeline_ops_alerts.db"
    assert db.default_url(None) == db.default_url(dg.DagsterInstance.ephemeral()) == beside_home


def test_a_bare_postgresql_url_connects_with_the_installed_driver(postgres_server):
    """`postgresql://` is how people write it (`--db`, PIPELINE_OPS_ALERTS_DB, database_url) and
    how Dagster builds it by default; SQLAlchemy 2.1 would pick psycopg 3 (not installed)."""
    bare = postgres_server.create_database().replace("postgresql+psycopg2://", "postgresql://")
    assert sa.make_url(bare).get_dialect().driver == "psycopg"  # why db.connect names the driver
    engine = db.connect(bare)
    assert engine.driver == "psycopg2"
    store = IncidentStore(engine)
    store.request("inc-1", "ack", "eng_b", "", T0)
    assert [c["action"] for c in store.pending_commands()] == ["ack"]
    engine.dispose()
