"""Checksums of every lake table of the sample deployment, so a speed change that alters a table shows.

`lake_checksums(lake)` gives, per table and partition, the lake's own order- and layout-independent
checksum (pipeline_ops.lake.checksum) of the rows, leaving out what differs by design from one
build to the next (`run_id`) and rounding floats to 9 decimals (a sum of doubles may differ in its
last bit when Spark adds in another order; every published figure is far coarser than 1e-9).

The recorded checksums (`fixtures/sample_lake_checksums.json`) were written by the code before
the speed work. When a change is meant to alter a table (a new metric definition, say), write
them again and say so in the commit:

    .venv/bin/python -m pipeline_ops_tests.table_checksums --write
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline_ops.lake.checksum import frame_checksum

RECORDED = Path(__file__).parent / "fixtures" / "sample_lake_checksums.json"
VOLATILE = ("run_id",)  # differs on every build by design


def _partition_frame(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("*.parquet"))
    frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True) if files else pd.DataFrame()
    frame = frame.drop(columns=[c for c in VOLATILE if c in frame.columns])
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(9)
    return frame


def lake_checksums(lake: Path) -> dict[str, dict[str, str]]:
    """{table: {partition folder (date=... / month=...): checksum}} for every table in the lake."""
    out: dict[str, dict[str, str]] = {}
    for table in sorted(p for p in lake.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        parts = sorted(p for p in table.iterdir() if p.is_dir() and "=" in p.name)
        out[table.name] = {p.name: frame_checksum(_partition_frame(p)) for p in parts}
    return out


def differences(recorded: dict[str, dict[str, str]], built: dict[str, dict[str, str]]) -> list[str]:
    """What differs, one line per table: partitions missing, added, or with other rows."""
    lines = []
    for table in sorted(set(recorded) | set(built)):
        old, new = recorded.get(table, {}), built.get(table, {})
        if table not in built or table not in recorded:
            lines.append(f"{table}: {'missing from the build' if table not in built else 'not recorded'}")
            continue
        changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
        gone, added = sorted(set(old) - set(new)), sorted(set(new) - set(old))
        if changed or gone or added:
            lines.append(f"{table}: {len(changed)} partition(s) with other rows {changed[:3]}, "
                         f"{len(gone)} missing {gone[:3]}, {len(added)} new {added[:3]}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"build the sample and write {RECORDED.name}")
    args = parser.parse_args()
    from pipeline_ops_tests.sample_env import build

    with tempfile.TemporaryDirectory() as tmp:
        sums = build(Path(tmp)).tables
    if args.write:
        RECORDED.write_text(json.dumps(sums, indent=1, sort_keys=True) + "\n")
        print(f"wrote {RECORDED} ({sum(len(v) for v in sums.values())} partitions, {len(sums)} tables)")
    else:
        print("\n".join(differences(json.loads(RECORDED.read_text()), sums)) or "identical")


if __name__ == "__main__":
    main()
