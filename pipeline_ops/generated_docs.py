"""Pages generated from code (docs/landing_zone.md, docs/checks.md): write them, or check they are current."""

from __future__ import annotations

from pathlib import Path


def write_or_check(path: Path, text: str, check: bool = False) -> bool:
    """Write `text` to `path` (or, with `check`, only compare); True when the file is up to date."""
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if check:
        return current == text
    if current != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return True
