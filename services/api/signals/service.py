"""Reading the signal queue (filters, search, sort, pages, counts) and who may act on a signal."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, null, or_, select
from sqlalchemy.orm import Session

from services.api.signals.schemas import SignalFilter, SignalPage, SignalRead
from services.api.users import Role
from services.router.exceptions import NotYours
from shared import states
from shared.models import Department, FollowUp, Handler, Message, Signal, User
from shared.models.routing import handler_departments

_WORD = re.compile(r"[^\s]+")
_TOKEN = re.compile(r"\w+")
# The same expression as the index ix_messages_search (shared.models.messages), so PostgreSQL uses it.
_SEARCH_VECTOR = literal_column(
    "to_tsvector('simple'::regconfig, "
    "(((messages.subject || ' ') || messages.sender_name) || ' ') || messages.text)"
)


def _due_dates() -> Any:
    """Each signal's earliest open follow-up deadline, as a subquery to join."""
    return (
        select(FollowUp.signal_id, func.min(FollowUp.due_at).label("due_at"))
        .where(FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES))
        .group_by(FollowUp.signal_id)
        .subquery()
    )


def _search(q: str, dialect: str) -> Any:
    """Find `q` in subject, text, sender or reference.

    PostgreSQL: every word as a prefix in the GIN-indexed tsvector of subject, sender name and
    text, or `q` as a whole equal to a reference or sender address (both indexed).
    SQLite: every word somewhere in one of those columns (LIKE; fine at SQLite's scale).
    """
    q = q.strip()
    if dialect == "postgresql":
        exact = or_(Message.reference == q.upper(), Message.sender_address.in_({q, q.lower()}))
        words = _TOKEN.findall(q)[:10]
        if not words:
            return exact
        # Only word characters reach to_tsquery, so its own syntax cannot be injected.
        query = " & ".join(f"{word}:*" for word in words)
        return or_(
            exact, _SEARCH_VECTOR.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), query))
        )
    conditions = []
    for word in _WORD.findall(q)[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        columns = (
            Message.subject,
            Message.text,
            Message.sender_name,
            Message.sender_address,
            Message.reference,
        )
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return and_(*conditions)


def _filtered(query: Select, filters: SignalFilter, dialect: str, *, with_status: bool = True) -> Select:  # type: ignore[type-arg]
    if with_status and filters.status:
        query = query.where(Signal.status == filters.status)
    if filters.band:
        query = query.where(Signal.band == filters.band)
    if filters.department_id is not None:
        query = query.where(Signal.department_id == filters.department_id)
    if filters.handler_id is not None:
        query = query.where(Signal.handler_id == filters.handler_id)
    if filters.channel:
        query = query.where(Message.channel == filters.channel)
    if filters.language:
        query = query.where(Message.language == filters.language)
    if filters.q and filters.q.strip():
        query = query.where(_search(filters.q, dialect))
    return query


def _dialect(db_session: Session) -> str:
    return db_session.get_bind().dialect.name


def status_counts(*, db_session: Session, filters: SignalFilter) -> dict[str, int]:
    """Signals per status under every filter but the status itself."""
    query = select(Signal.status, func.count()).select_from(Signal)
    if filters.channel or filters.language or (filters.q and filters.q.strip()):
        query = query.join(Signal.message)  # only these filters read the message
    query = _filtered(
        query,
        filters,
        _dialect(db_session),
        with_status=False,
    ).group_by(Signal.status)
    counts = {status: n for status, n in db_session.execute(query).all()}
    return {status.value: 0 for status in states.SignalStatus} | counts


def get_page(*, db_session: Session, filters: SignalFilter) -> SignalPage:
    """One page of signals matching `filters`, in the chosen order, with the counts."""
    dialect = _dialect(db_session)
    if filters.sort == "due":
        # Only this order needs every signal's deadline; the others look up one page's worth.
        due = _due_dates()
        query = _filtered(
            select(Signal, due.c.due_at).join(Signal.message).outerjoin(due, due.c.signal_id == Signal.id),
            filters,
            dialect,
        ).order_by(due.c.due_at.is_(None), due.c.due_at.asc(), Signal.id.asc())  # no deadline: last
    else:
        order = {
            "newest": (Signal.created_at.desc(), Signal.id.desc()),
            "oldest": (Signal.created_at.asc(), Signal.id.asc()),
            "score": (Signal.score.desc(), Signal.id.desc()),
        }[filters.sort]
        query = _filtered(select(Signal, null()).join(Signal.message), filters, dialect).order_by(*order)
    rows = db_session.execute(
        query.offset((filters.page - 1) * filters.per_page).limit(filters.per_page)
    ).all()
    if filters.sort != "due":
        due_dates = _open_due_dates(db_session, [signal.id for signal, _ in rows])
        rows = [(signal, due_dates.get(signal.id)) for signal, _ in rows]
    counts = status_counts(db_session=db_session, filters=filters)
    total = counts[filters.status] if filters.status else sum(counts.values())
    return SignalPage(
        items=[to_read(signal, due_at) for signal, due_at in rows],
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        counts=counts,
    )


def _open_due_dates(db_session: Session, signal_ids: list[int]) -> dict[int, dt.datetime]:
    if not signal_ids:
        return {}
    rows = db_session.execute(
        select(FollowUp.signal_id, func.min(FollowUp.due_at))
        .where(FollowUp.signal_id.in_(signal_ids), FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES))
        .group_by(FollowUp.signal_id)
    ).all()
    return {signal_id: due_at for signal_id, due_at in rows}


def to_read(signal: Signal, due_at: dt.datetime | None) -> SignalRead:
    message: Message = signal.message
    return SignalRead(
        id=signal.id,
        reference=message.reference,
        status=signal.status,
        band=signal.band,
        score=signal.score,
        channel=message.channel,
        language=message.language,
        subject=message.subject,
        snippet=message.text[:200],
        department=signal.department.name if signal.department else None,
        handler=signal.handler.name if signal.handler else None,
        created_at=signal.created_at,
        due_at=due_at,
    )


def due_date(*, db_session: Session, signal_id: int) -> dt.datetime | None:
    """The earliest open follow-up deadline of one signal."""
    return _open_due_dates(db_session, [signal_id]).get(signal_id)


def filter_options(*, db_session: Session) -> dict[str, list[Any]]:
    """What the queue's selects offer: departments, handlers and the languages seen."""
    return {
        "departments": db_session.execute(
            select(Department.id, Department.name).order_by(Department.name)
        ).all(),
        "handlers": db_session.execute(
            select(Handler.id, Handler.name).where(Handler.active.is_(True)).order_by(Handler.name)
        ).all(),
        "languages": ["nl", "en"],
    }


def may_act(*, db_session: Session, signal: Signal, user: User) -> bool:
    """Whether the user may act on the signal: verdicts, follow-up steps, contacts and notes.

    Everyone in the queue may read every signal (front-office transparency); acting is for the
    front office and admins, and for a handler only on signals of their own departments (or
    assigned to them), so nobody writes training labels or notes for another department.
    """
    # A handler acts only within their own departments (check_may_act).
    if user.role in states.ANY_SIGNAL_ROLES:
        return True
    if user.role != Role.handler.value:
        return False
    handler_ids = list(db_session.scalars(select(Handler.id).where(Handler.user_id == user.id)))
    if not handler_ids:
        return False
    if signal.handler_id in handler_ids:
        return True
    if signal.department_id is None:
        return False
    return (
        db_session.scalar(
            select(handler_departments.c.department_id).where(
                handler_departments.c.handler_id.in_(handler_ids),
                handler_departments.c.department_id == signal.department_id,
            )
        )
        is not None
    )


def check_may_act(*, db_session: Session, signal: Signal, user: User) -> None:
    """NotYours unless `may_act`; the one check every page and API route that acts on a signal uses."""
    if not may_act(db_session=db_session, signal=signal, user=user):
        raise NotYours(
            "This signal is not assigned to you or your department; ask the front office to reassign it "
            "if you should handle it."
        )
