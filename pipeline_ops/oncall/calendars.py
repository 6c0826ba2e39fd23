"""Holiday calendars: national days from the `holidays` package plus company days off.

A holiday is a *date*; the engine turns it into the calendar day in the team timezone. The
package names lunar dates "Diwali (estimated)", adds "X (observed)" days and may join two
holidays on one date with "; ", so names are normalised before the `only:` filter compares them:
an observed or estimated variant of a listed holiday counts as that holiday.
"""

from __future__ import annotations

import datetime as dt
import re

import holidays as holidays_pkg

from pipeline_ops.config.models import HolidayCalendar


def normalize(name: str) -> str:
    """'New Year's Day (observed)' -> 'new years'; 'Thanksgiving Day' -> 'thanksgiving'."""
    text = re.sub(r"\([^)]*\)", " ", name.lower())
    text = re.sub(r"\b(observed|estimated)\b", " ", text)
    text = re.sub(r"[^a-z0-9 ]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" day$", "", text)


def is_observed(name: str) -> bool:
    return "observed" in name.lower()


class Calendar:
    """Dates of one configured calendar, filled a year at a time (the package is lazy)."""

    def __init__(self, key: str, spec: HolidayCalendar):
        self.key = key
        self.spec = spec
        self._only = {normalize(n) for n in spec.only}
        self._years: dict[int, dict[dt.date, str]] = {}

    def year(self, year: int) -> dict[dt.date, str]:
        days = self._years.get(year)
        if days is None:
            days = {}
            national = holidays_pkg.country_holidays(self.spec.country, subdiv=self.spec.subdivision, years=year)
            for day, names in national.items():
                parts = [p.strip() for p in names.split(";")]
                if self._only:
                    parts = [p for p in parts if normalize(p) in self._only]
                if parts:
                    days[day] = "; ".join(parts)
            for company in self.spec.company_holidays:
                if company.date.year == year:
                    days[company.date] = (days[company.date] + "; " if company.date in days else "") + company.name
            self._years[year] = days
        return days

    def name(self, day: dt.date) -> str | None:
        """The holiday's name if `day` is one in this calendar, else None."""
        return self.year(day.year).get(day)

    def between(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
        """Holidays with first <= date <= last, in date order."""
        out = []
        for year in range(first.year, last.year + 1):
            out += [(d, n) for d, n in self.year(year).items() if first <= d <= last]
        return sorted(out)

    def find(self, name: str, year: int) -> dt.date | None:
        """The date of holiday `name` in `year`, ignoring observed-day variants."""
        want = normalize(name)
        for day, names in sorted(self.year(year).items()):
            if any(normalize(p) == want and not is_observed(p) for p in names.split(";")):
                return day
        # The `only` filter may have dropped it: look in the unfiltered national calendar.
        national = holidays_pkg.country_holidays(self.spec.country, subdiv=self.spec.subdivision, years=year)
        for day, names in sorted(national.items()):
            if any(normalize(p) == want and not is_observed(p) for p in names.split(";")):
                return day
        return None
