"""`Outbox.enqueue_many`: a tick's notifications in one transaction, idempotent like `enqueue`."""

from __future__ import annotations

from pipeline_ops_tests.alerting.test_outbox import FakeClock, engine, make_outbox, note  # noqa: F401 (fixture)


def test_enqueue_many_stores_new_keys_once_and_keeps_their_order(engine):  # noqa: F811
    outbox = make_outbox(engine, FakeClock())
    assert outbox.enqueue(note("inc-1")) is True
    batch = [note("inc-1"), note("inc-2"), note("inc-2", "resolve"), note("inc-2")]  # a known key, a repeat
    assert outbox.enqueue_many(batch) == 2
    assert [i.key for i in outbox.items()] == ["inc-1:trigger:slack", "inc-2:trigger:slack", "inc-2:resolve:slack"]
    assert outbox.enqueue_many(batch) == 0 and outbox.enqueue_many([]) == 0
