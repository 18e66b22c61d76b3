"""Follow-up deadlines count Dutch working days: no weekends, no public holidays."""

from __future__ import annotations

import datetime as dt

from shared.workdays import AMSTERDAM, add_working_days, is_working_day


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=AMSTERDAM)


def due_date(start: dt.datetime, days: int) -> dt.date:
    return add_working_days(start, days).astimezone(AMSTERDAM).date()


def test_two_working_days_from_a_tuesday_is_thursday() -> None:
    assert due_date(local(2026, 11, 24), 2) == dt.date(2026, 11, 26)


def test_the_weekend_is_skipped() -> None:
    assert due_date(local(2026, 11, 27), 2) == dt.date(2026, 12, 1)  # Friday → Tuesday


def test_koningsdag_is_not_a_working_day() -> None:
    assert not is_working_day(dt.date(2026, 4, 27))
    assert due_date(local(2026, 4, 24), 1) == dt.date(2026, 4, 28)  # Fri → (weekend, Koningsdag) → Tue


def test_christmas_is_skipped() -> None:
    # Wed 23 Dec 2026: 24th is a Thursday (working), 25th/26th Christmas, then the weekend.
    assert due_date(local(2026, 12, 23), 2) == dt.date(2026, 12, 28)


def test_the_deadline_is_the_end_of_the_office_day_in_utc() -> None:
    due = add_working_days(local(2026, 11, 24), 1)
    assert due.tzinfo == dt.UTC
    assert due.astimezone(AMSTERDAM).hour == 17


def test_liberation_day_is_a_holiday_every_year_not_only_in_lustrum_years() -> None:
    assert not is_working_day(dt.date(2026, 5, 5))  # a Tuesday; the holidays package skips 2026
    assert due_date(local(2026, 5, 4), 1) == dt.date(2026, 5, 6)


def test_good_friday_counts_as_a_holiday_for_legal_deadlines() -> None:
    assert not is_working_day(dt.date(2026, 4, 3))  # Atw art. 3(2)


def test_a_bridge_day_equated_by_decree_is_skipped() -> None:
    # Ascension Day Thu 14 May 2026; Fri 15 May is equated with a holiday by decree.
    assert due_date(local(2026, 5, 13), 1) == dt.date(2026, 5, 18)
