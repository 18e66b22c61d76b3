"""Working days in the Netherlands: weekends and Dutch public holidays are not working days."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# When a deadline falls on a working day, it is due by the end of the office day.
END_OF_DAY = dt.time(17, 0)


@functools.cache
def _dutch_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=[year])


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _dutch_holidays(day.year)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after `start` (Amsterdam time), returned in UTC."""
    day = start.astimezone(AMSTERDAM).date()
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=AMSTERDAM).astimezone(dt.UTC)
