"""How long a handler stays away: absences that touch, overlap or only skip days off are one absence."""

from __future__ import annotations

import datetime as dt

from services.router.handback import absent_until

FRIDAY = dt.date(2026, 12, 4)
MONDAY = dt.date(2026, 12, 7)


def days(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    return (start, end)


def test_a_handler_present_on_the_day_is_not_absent() -> None:
    assert absent_until([days(MONDAY, MONDAY)], FRIDAY) is None


def test_overlapping_and_back_to_back_absences_merge() -> None:
    periods = [days(dt.date(2026, 12, 1), FRIDAY), days(dt.date(2026, 12, 3), dt.date(2026, 12, 8))]
    periods.append(days(dt.date(2026, 12, 9), dt.date(2026, 12, 11)))
    assert absent_until(periods, dt.date(2026, 12, 2)) == dt.date(2026, 12, 11)


def test_a_weekend_between_two_absences_does_not_end_the_absence() -> None:
    assert absent_until(
        [days(MONDAY, dt.date(2026, 12, 11)), days(dt.date(2026, 11, 30), FRIDAY)], FRIDAY
    ) == (dt.date(2026, 12, 11))


def test_christmas_between_two_absences_does_not_end_the_absence() -> None:
    before, after = (
        days(dt.date(2026, 12, 21), dt.date(2026, 12, 24)),
        days(dt.date(2026, 12, 28), dt.date(2027, 1, 8)),
    )
    assert absent_until([before, after], dt.date(2026, 12, 22)) == dt.date(2027, 1, 8)


def test_a_working_day_back_in_between_ends_the_absence() -> None:
    periods = [days(dt.date(2026, 11, 30), dt.date(2026, 12, 3)), days(MONDAY, dt.date(2026, 12, 11))]
    assert absent_until(periods, dt.date(2026, 12, 1)) == dt.date(2026, 12, 3)
