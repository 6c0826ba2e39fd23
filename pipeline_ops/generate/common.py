"""Shared helpers: per-(seed, day, stream) random generators, stable hashing, timestamp formatting."""

from __future__ import annotations

import calendar
import datetime as dt
import zlib

import numpy as np

DAY_S = 86_400
DAY_MS = 86_400_000
EPOCH = dt.date(1970, 1, 1)


def rng(seed: int, day: dt.date, stream: str, *extra: int) -> np.random.Generator:
    """A generator that depends only on (seed, day, stream): generating one day never consumes
    randomness of another day or another source."""
    entropy = [int(seed) & 0xFFFFFFFF, day.toordinal(), zlib.crc32(stream.encode()), *extra]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def day_seconds(day: dt.date) -> int:
    """Seconds since the Unix epoch at 00:00:00 UTC of `day`."""
    return (day - EPOCH).days * DAY_S


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def days_in_month(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def stable_uniform(ids: np.ndarray, salt: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (id, salt): splitmix64 of the integer ids."""
    with np.errstate(over="ignore"):
        z = ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(salt & 0xFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """'acc_000123'-style identifiers (object array of str), widened if a number needs more digits."""
    numbers = np.asarray(numbers, dtype=np.int64)
    return np.array([f"{prefix}{n:0{width}d}" for n in numbers.tolist()], dtype=object)


def stochastic_round(value: float, gen: np.random.Generator) -> int:
    """Round `value` up or down at random so the expectation is exact (keeps tiny scales unbiased)."""
    base = int(np.floor(value))
    return base + int(gen.random() < value - base)


def iso_seconds(values: np.ndarray) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DDTHH:MM:SSZ' (NaT -> None)."""
    return _iso(values, "s")


def iso_millis(values: np.ndarray) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DDTHH:MM:SS.mmmZ' (NaT -> None)."""
    return _iso(values, "ms")


def _iso(values: np.ndarray, unit: str) -> np.ndarray:
    arr = np.asarray(values).astype(f"datetime64[{unit}]")
    out = np.char.add(np.datetime_as_string(arr, unit=unit), "Z").astype(object)
    out[np.isnat(arr)] = None
    return out


def ymd(seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) integer arrays of Unix-epoch seconds."""
    days = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    dom = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, dom
