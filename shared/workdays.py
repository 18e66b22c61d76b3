"""Working days in the Netherlands: weekends and Dutch public holidays are not working days.

The holidays are those of the Algemene termijnenwet (Atw), which governs legal deadlines such
as the formal complaint procedure's six weeks (Awb 9:11): the `holidays` package's Dutch
calendar (which has Good Friday, equated by Atw art. 3(2)), plus Liberation Day on 5 May every
year (Atw art. 3(1); the package lists it only every fifth year), plus the days the government
equates with a holiday by decree every few years (bridge days such as the Friday after
Ascension Day).
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# When a deadline falls on a working day, it is due by the end of the office day.
END_OF_DAY = dt.time(17, 0)


# "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028 en
# 26 mei 2028 met een algemeen erkende feestdag" (Staatscourant). A new decree appears every
# three years: add its days here.
EQUATED_BY_DECREE = frozenset(
    {
        dt.date(2026, 1, 2),
        dt.date(2026, 5, 15),
        dt.date(2027, 5, 7),
        dt.date(2028, 4, 28),
        dt.date(2028, 5, 26),
    }
)


@functools.cache
def _dutch_holidays(year: int) -> frozenset[dt.date]:
    days = set(holidays.country_holidays("NL", years=[year]))
    days.add(dt.date(year, 5, 5))  # Atw art. 3(1): every year, not only in lustrum years
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _dutch_holidays(day.year) and day not in EQUATED_BY_DECREE


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th working day after `start` (Amsterdam time), returned in UTC."""
    day = start.astimezone(AMSTERDAM).date()
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=AMSTERDAM).astimezone(dt.UTC)
