"""A tiny hand-built click_events landing zone: JSON lines written exactly as given."""

import json
from pathlib import Path

EVENT_DEFAULTS = {
    "account_id": "acc_000001",
    "event_type": "page_view",
    "feature": None,
    "page": "/home",
    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15",
    "kafka_partition": 0,
}
_offsets: dict[int, int] = {}


def ev(event_id: str, user_id: str | None, event_ts: str, received_ts: str, **fields) -> dict:
    """One delivery; received_ts defaults to event_ts + 1 s when given as None."""
    row = {"event_id": event_id, "user_id": user_id, "event_ts": event_ts, "received_ts": received_ts}
    row.update({k: v for k, v in EVENT_DEFAULTS.items() if k not in fields})
    row.update(fields)
    if "kafka_offset" not in row:
        part = row["kafka_partition"]
        _offsets[part] = _offsets.get(part, 0) + 1
        row["kafka_offset"] = _offsets[part]
    if user_id is None:
        row.pop("user_id")
    return row


def write_click_events(landing: Path, folders: dict[str, list]) -> None:
    """{folder day: [event dict or raw line str]} -> <landing>/click_events/date=<day>/part-0.jsonl."""
    for day, lines in folders.items():
        folder = landing / "click_events" / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        (folder / "part-0.jsonl").write_text(text + "\n", encoding="utf-8")
