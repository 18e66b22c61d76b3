"""Insights over the last weeks, aggregated in the database (GROUP BY), so they scale with the data."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.api.insights.schemas import FirstContact, FlagRate, InsightsOut, Series
from services.api.ops import buckets
from services.api.patterns.schemas import ContactOut, GroupOut
from services.router import patterns
from shared import states, workdays
from shared.models import Classification, Department, FollowUp, FollowUpEvent, Message, Signal, utcnow

WEEKS = 12
# Office hours in which the informal first contact is expected (Amsterdam time).
OFFICE_START = dt.time(9, 0)
OFFICE_END = workdays.END_OF_DAY
OFFICE_HOURS = (
    dt.datetime.combine(dt.date.min, OFFICE_END) - dt.datetime.combine(dt.date.min, OFFICE_START)
).seconds / 3600
TOP = 10
NO_DEPARTMENT = "—"


def _series(counts: dict[str, list[int]]) -> list[Series]:
    """One series per name, largest total first."""
    ordered = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
    return [Series(name=name, counts=values) for name, values in ordered]


def volume(*, db_session: Session, weeks: list[str]) -> tuple[list[Series], list[Series]]:
    """Signals per week by channel and by department, from one GROUP BY over the period."""
    since = buckets.start_of(weeks[0], buckets.WEEK_FORMAT)
    week = buckets.week(db_session, Signal.created_at)
    rows = db_session.execute(
        select(week, Message.channel, Signal.department_id, func.count())
        .join(Message, Message.id == Signal.message_id)
        .where(Signal.created_at >= since)
        .group_by(week, Message.channel, Signal.department_id)
    ).all()
    names = dict(db_session.execute(select(Department.id, Department.name)).all())
    index = {key: n for n, key in enumerate(weeks)}
    by_channel: dict[str, list[int]] = {}
    by_department: dict[str, list[int]] = {}
    for value, channel, department_id, count in rows:
        n = index.get(buckets.key(value, buckets.WEEK_FORMAT))
        if n is None:
            continue
        by_channel.setdefault(channel, [0] * len(weeks))[n] += int(count)
        department = names.get(department_id, NO_DEPARTMENT)
        by_department.setdefault(department, [0] * len(weeks))[n] += int(count)
    return _series(by_channel), _series(by_department)


def flag_rate(*, db_session: Session, weeks: list[str]) -> FlagRate:
    """Messages scored and flagged per week (each scoring counts once)."""
    since = buckets.start_of(weeks[0], buckets.WEEK_FORMAT)
    week = buckets.week(db_session, Classification.created_at)
    rows = db_session.execute(
        select(week, func.count(), func.coalesce(func.sum(case((Classification.flagged, 1), else_=0)), 0))
        .where(Classification.created_at >= since)
        .group_by(week)
    ).all()
    index = {key: n for n, key in enumerate(weeks)}
    classified, flagged = [0] * len(weeks), [0] * len(weeks)
    for value, scored, hits in rows:
        n = index.get(buckets.key(value, buckets.WEEK_FORMAT))
        if n is not None:
            classified[n], flagged[n] = int(scored), int(hits)
    total = sum(classified)
    return FlagRate(classified=classified, flagged=flagged, rate=sum(flagged) / total if total else None)


def working_hours(start: dt.datetime, end: dt.datetime) -> float:
    """Office hours on Dutch working days between two instants (Amsterdam time)."""
    start, end = start.astimezone(workdays.AMSTERDAM), end.astimezone(workdays.AMSTERDAM)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if workdays.is_working_day(day):
            opens = dt.datetime.combine(day, OFFICE_START, tzinfo=workdays.AMSTERDAM)
            closes = dt.datetime.combine(day, OFFICE_END, tzinfo=workdays.AMSTERDAM)
            overlap = (min(end, closes) - max(start, opens)).total_seconds()
            total += max(overlap, 0) / 3600
        day += dt.timedelta(days=1)
    return total


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear-interpolated percentile of sorted `values`."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def first_contact(*, db_session: Session, since: dt.datetime) -> FirstContact:
    """Working hours from signal to its first phone call, email or visit (one row per signal from the DB)."""
    rows = db_session.execute(
        select(Signal.created_at, func.min(FollowUpEvent.created_at))
        .join(FollowUp, FollowUp.signal_id == Signal.id)
        .join(FollowUpEvent, FollowUpEvent.follow_up_id == FollowUp.id)
        .where(Signal.created_at >= since, FollowUpEvent.kind.in_(states.CONTACT_KINDS))
        .group_by(Signal.id, Signal.created_at)
    ).all()
    hours = sorted(working_hours(created, contacted) for created, contacted in rows)
    contacted_ids = (
        select(FollowUp.signal_id)
        .join(FollowUpEvent, FollowUpEvent.follow_up_id == FollowUp.id)
        .where(FollowUpEvent.kind.in_(states.CONTACT_KINDS))
    )
    waiting = db_session.scalar(
        select(func.count(func.distinct(Signal.id)))
        .join(FollowUp, FollowUp.signal_id == Signal.id)
        .where(
            Signal.created_at >= since,
            FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES),
            Signal.id.not_in(contacted_ids),
        )
    )
    return FirstContact(
        contacted=len(hours),
        waiting=int(waiting or 0),
        median_hours=percentile(hours, 0.5),
        p90_hours=percentile(hours, 0.9),
        hours_per_day=OFFICE_HOURS,
    )


def get(*, db_session: Session, contact_days: int, now: dt.datetime | None = None) -> InsightsOut:
    """Everything the insights page shows, for the last WEEKS weeks."""
    now = now or utcnow()
    weeks = buckets.last_weeks(now, WEEKS)
    since = buckets.start_of(weeks[0], buckets.WEEK_FORMAT)
    by_channel, by_department = volume(db_session=db_session, weeks=weeks)
    days = (now - since).days + 1
    groups = patterns.list_groups(db_session=db_session, days=days, limit=TOP)
    contacts = patterns.persistent_contacts(db_session=db_session, days=contact_days, limit=TOP)
    return InsightsOut(
        weeks=weeks,
        by_channel=by_channel,
        by_department=by_department,
        flag_rate=flag_rate(db_session=db_session, weeks=weeks),
        first_contact=first_contact(db_session=db_session, since=since),
        groups=[GroupOut.model_validate(group, from_attributes=True) for group in groups],
        persistent_contacts=[ContactOut.model_validate(c, from_attributes=True) for c in contacts],
    )
