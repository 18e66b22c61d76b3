"""Due dates: informal contact in working days, the formal procedure in weeks (Awb 9:11)."""

from __future__ import annotations

import datetime as dt

from services.router.followups import EXTENSION, FORMAL_TERM, deadline
from shared.workdays import AMSTERDAM, add_working_days


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=AMSTERDAM)


def day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(AMSTERDAM).date()


def test_easter_monday_is_skipped() -> None:
    # Thu 25 Mar 2027 + 2: Good Friday 26th (a holiday in `holidays`), weekend, Easter Monday 29th.
    assert day_of(add_working_days(local(2027, 3, 25), 2)) == dt.date(2027, 3, 31)


def test_koningsdag_on_a_tuesday_is_skipped() -> None:
    assert day_of(add_working_days(local(2027, 4, 26), 1)) == dt.date(2027, 4, 28)


def test_christmas_and_new_year_are_skipped() -> None:
    # Thu 24 Dec 2026 + 3: 25/26 Christmas, weekend, 28, 29, 30 → Wed 30 Dec.
    assert day_of(add_working_days(local(2026, 12, 24), 3)) == dt.date(2026, 12, 30)
    assert day_of(add_working_days(local(2026, 12, 31), 1)) == dt.date(2027, 1, 4)


def test_the_formal_deadline_is_six_weeks_later_at_the_end_of_the_office_day() -> None:
    due = deadline(local(2026, 11, 24), FORMAL_TERM)
    assert due.astimezone(AMSTERDAM) == local(2027, 1, 5, 17)


def test_a_formal_deadline_on_a_holiday_moves_to_the_next_working_day() -> None:
    # Six weeks after Fri 13 Nov 2026 is Fri 25 Dec (Christmas): Mon 28 Dec.
    assert day_of(deadline(local(2026, 11, 13), FORMAL_TERM)) == dt.date(2026, 12, 28)


def test_the_extension_adds_four_weeks_to_the_deadline() -> None:
    first = deadline(local(2026, 11, 24), FORMAL_TERM)
    assert day_of(deadline(first, EXTENSION)) == dt.date(2027, 2, 2)
