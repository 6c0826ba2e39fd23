"""Landing files broken by hand, not by the generator: real upstreams break in ways no generator imagines.

A clean two-day landing zone (2025-01-01..02, scale 0.2, CSV sources) is generated, then one file
of 2025-01-02 is edited as text the way a broken export writes it. Running the staging asset that
reads the source must fail its landing contract check on that partition with a summary naming the
file and the column, publish nothing, and leave every landing file byte-for-byte as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from pipeline_ops.generate import generate_landing
from pipeline_ops.generate.faults.landing import READER
from pipeline_ops.landing.contract import SOURCES
from pipeline_ops_tests.quality.fault_matrix import daily_assets, materialize

START, DAY = dt.date(2025, 1, 1), dt.date(2025, 1, 2)
CSV_SOURCES = [s for s in SOURCES if SOURCES[s].file_format == "csv"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corruptions") / "landing"
    generate_landing(str(root), START, 2, scale=0.2, seed=3, sources=CSV_SOURCES)
    return root


def _sha256(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _edit_header(text: str, edit) -> str:
    header, _, body = text.partition("\n")
    return edit(header) + "\n" + body


def _edit_column(text: str, column: str, row: int, value: str) -> str:
    """Set `column` of data row `row` (0-based) to `value` (the files have no quoted fields)."""
    lines = text.split("\n")
    cells = lines[row + 1].split(",")
    cells[lines[0].split(",").index(column)] = value
    lines[row + 1] = ",".join(cells)
    return "\n".join(lines)


def _add_column(text: str) -> str:
    lines = [line + (",segment" if i == 0 else ",smb") if line else line for i, line in enumerate(text.split("\n"))]
    return "\n".join(lines)


def _truncate_last_line(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    lines[-1] = ",".join(lines[-1].split(",")[:4])  # the export died after the vendor field
    return "\n".join(lines) + "\n"


def _empty_eur_rate(text: str) -> str:
    return re.sub(r"^(\d{4}-\d\d-\d\d,EUR,)[^\n]*$", r"\1", text, flags=re.M)


CASES = {
    # id: (source, file, edit, columns the summary must name)
    "extra-column": ("accounts", "accounts.csv", _add_column, ["segment"]),
    "renamed-column": ("revenue", "invoices.csv", lambda t: _edit_header(t, lambda h: h.replace(",amount,", ",amount_eur,")),
                       ["amount"]),
    "decimal-in-int-column": ("accounts", "accounts.csv", lambda t: _edit_column(t, "licences", 3, "12.5"), ["licences"]),
    "int-widened-headcount": ("salaries", "salaries.csv", lambda t: _edit_column(t, "headcount", 0, "2.0"), ["headcount"]),
    "truncated-line": ("expenses", "expenses.csv", _truncate_last_line, ["amount", "currency"]),
    "required-field-emptied": ("fx_rates", "fx_rates.csv", _empty_eur_rate, ["usd_per_unit"]),
    # a decimal comma unquoted: the row has one field more than the header, so the file is not CSV any more
    "ragged-row": ("expenses", "expenses.csv", lambda t: _edit_column(t, "amount", 1, "12,50"), ["not a readable CSV"]),
    "bool-as-word": ("experiment_assignments", "assignments.csv",
                     lambda t: _edit_column(t, "exclude_from_investor", 0, "yes"), ["exclude_from_investor"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hand_corrupted_file_fails_the_landing_contract_naming_file_and_column(generated, tmp_path, case):
    source, name, edit, columns = CASES[case]
    landing = tmp_path / "landing"
    shutil.copytree(generated, landing)
    folder_day = DAY.replace(day=1) if SOURCES[source].cadence == "monthly" else DAY
    path = landing / source / f"date={folder_day}" / name
    text = path.read_text()
    assert edit(text) != text, f"{case}: the edit changed nothing"
    path.write_text(edit(text))
    before = _sha256(landing)

    asset, _ = READER[source]
    result = materialize([a for a in daily_assets() if asset in {k.to_user_string() for k in a.keys}],
                         landing, tmp_path / "lake", DAY)
    assert not result.success
    check = f"landing_{source}_contract"
    failed = [e for e in result.get_asset_check_evaluations() if e.check_name == check and not e.passed]
    seen = [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()]
    assert failed, f"{asset}.{check} did not fail; evaluations: {seen}"
    assert failed[0].partition == DAY.isoformat() and failed[0].severity.value == "ERROR"
    summary = failed[0].description
    assert str(path) in summary, summary
    assert all(c in summary for c in columns), summary
    assert _sha256(landing) == before  # the raw files are never rewritten
    lake = tmp_path / "lake"
    published = [p for p in lake.rglob("*.parquet") if "_quality" not in p.parts] if lake.exists() else []
    assert not published, published
