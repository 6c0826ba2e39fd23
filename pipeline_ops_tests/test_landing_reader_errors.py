"""Bad landing files give one LandingError naming the file and what was expected; nothing is changed."""

import datetime as dt
import gzip
import hashlib

import pytest

from pipeline_ops.landing.reader import LandingError, LandingZone

DAY = dt.date(2025, 3, 1)
HEADER = b"invoice_id,account_id,kind,issued_at,amount,currency,service_start,service_end\n"


def _write(root, name: str, data: bytes):
    folder = root / "revenue" / f"date={DAY.isoformat()}"
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data, expected", [
    # A compressed file delivered under the plain name: not text at all.
    (gzip.compress(HEADER + b"inv_1,acc_1,invoice,2025-03-01T10:00:00Z,10.0,USD,2025-03-01,2025-03-31\n"), "missing column(s)"),
    # Cut off in the middle of a row (a partial upload).
    (HEADER + b"inv_1,acc_1,invoice,2025-03-01T10:00:00Z,10.0,USD,2025-03-01,2025-03-31\ninv_2,acc_1,inv", "revenue"),
    # A value that is not of the column's type.
    (HEADER + b"inv_1,acc_1,invoice,2025-03-01T10:00:00Z,ten,USD,2025-03-01,2025-03-31\n", "column 'amount': expected float64"),
])
def test_unreadable_file_names_the_file_and_leaves_it_untouched(tmp_path, data, expected):
    path = _write(tmp_path, "invoices.csv", data)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(LandingError) as err:
        LandingZone(str(tmp_path)).read("revenue", [DAY])
    message = str(err.value)
    assert str(path) in message and expected in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_missing_partition_folder_is_named(tmp_path):
    with pytest.raises(LandingError, match=r"revenue/date=2025-03-01"):
        LandingZone(str(tmp_path)).read("revenue", [DAY])
