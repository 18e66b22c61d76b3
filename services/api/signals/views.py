"""The queue and signal pages, and the signals API (the same filters and actions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.api import i18n, redirects
from services.api.deps import MAX_ID, PathId, SessionDep, require_role, verify_api_csrf, verify_csrf
from services.api.followups import views as followup_views
from services.api.signals import bulk_assign, review, service
from services.api.signals.schemas import (
    BANDS,
    CHANNELS,
    STATUSES,
    BulkVerdict,
    SignalDetail,
    SignalFilter,
    SignalPage,
    Verdict,
    VerdictResult,
)
from services.api.templates import render
from services.api.users import Role
from services.router import explain
from services.router.exceptions import NotYours
from shared.models import Assignment, Signal, User

QUEUE_ROLES = (Role.frontoffice, Role.handler)
Reviewer = Annotated[User, Depends(require_role(*QUEUE_ROLES))]

# Mail HTML is shown only in a sandboxed iframe, from this route, under a policy that allows nothing active.
MAIL_HTML_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
        "form-action 'none'; base-uri 'none'; sandbox"
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["signals"])


def current_signal(session: SessionDep, signal_id: PathId, _user: Reviewer) -> Signal:
    """The signal in the path, or 404; the role is checked first, so nobody else learns which ids exist."""
    try:
        return review.get(db_session=session, signal_id=signal_id)
    except review.SignalNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no signal with this id.") from None


CurrentSignal = Annotated[Signal, Depends(current_signal)]
NextField = Annotated[str, Form(max_length=2000)]
SignalId = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- pages ---------------------------------------------------------------------------


@pages.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, session: SessionDep, filters: Annotated[SignalFilter, Query()], user: Reviewer
) -> Response:
    page = service.get_page(db_session=session, filters=filters)
    language = i18n.language_of(request)
    context = {
        "page": page,
        "reasons": _routing_reasons(session, [item.id for item in page.items], language),
        "pages": max(1, -(-page.total // page.per_page)),
        "filters": filters,
        "options": service.filter_options(db_session=session),
        "statuses": STATUSES,
        "bands": BANDS,
        "channels": CHANNELS,
        "updated": request.query_params.get("updated"),
        "assigned": request.query_params.get("assigned"),
        # Handlers review but do not move signals; front office and admins do.
        "assign_targets": bulk_assign.targets(db_session=session) if user.role != Role.handler else [],
        "here": request.url.path + ("?" + request.url.query if request.url.query else ""),
    }
    return render(request, "queue.html", context)


def _routing_reasons(session: Session, signal_ids: list[int], language: str) -> dict[int, str]:
    """Why each signal went where it is, short (the newest assignment's first part): one query per page."""
    if not signal_ids:
        return {}
    newest = (
        select(func.max(Assignment.id))
        .where(Assignment.signal_id.in_(signal_ids))
        .group_by(Assignment.signal_id)
    )
    rows = session.execute(
        select(Assignment.signal_id, Assignment.reason, Assignment.explanation).where(
            Assignment.id.in_(newest)
        )
    ).all()
    # Assignments from before explanations have no parts: their whole stored sentence stands in.
    return {
        signal_id: explain.describe(parts[:1] if isinstance(parts, list) else [], language, fallback=reason)
        for signal_id, reason, parts in rows
    }


@pages.post("/queue/bulk", dependencies=[Depends(verify_csrf)])
def queue_bulk(
    request: Request,
    session: SessionDep,
    user: Reviewer,
    verdict: Annotated[Verdict, Form()],
    ids: Annotated[list[SignalId], Form(max_length=200)] = [],  # noqa: B006 — FastAPI copies defaults
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    try:
        updated = _decide_all(session, ids, verdict, user, source="bulk")
    except NotYours:
        return _refused(request)
    target = redirects.safe_path(next, "/queue")
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}updated={len(updated)}", status_code=303)


@pages.get("/signals/{signal_id}", response_class=HTMLResponse)
def signal_page(request: Request, session: SessionDep, signal: CurrentSignal, user: Reviewer) -> Response:
    detail = review.detail(db_session=session, signal_id=signal.id)
    phrases = detail.classification.phrases if detail.classification else []
    context = {
        "s": detail,
        "runs": review.highlighted(detail.text, phrases),
        "done": request.query_params.get("done"),
        "back": redirects.safe_path(request.query_params.get("back", "/queue"), "/queue"),
        # The follow-up timeline partial (_signal_followups.html) and its forms.
        **followup_views.signal_context(request, db_session=session, signal=signal, user=user),
    }
    return render(request, "signal.html", context)


@pages.get("/signals/{signal_id}/html")
def signal_html(session: SessionDep, signal: CurrentSignal, _user: Reviewer) -> Response:
    """The message's sanitised HTML, for the signal page's sandboxed iframe only."""
    body = review.sanitised_html(db_session=session, signal_id=signal.id)
    document = f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'
    return HTMLResponse(document, headers=MAIL_HTML_HEADERS)


def _refused(request: Request) -> Response:
    """The page a handler sees after trying to act on another department's signal."""
    return render(request, "error.html", {"message_key": "signal.not_yours"}, status_code=403)


def _page_verdict(
    request: Request, session: Session, signal: Signal, user: User, verdict: Verdict, next: str
) -> Response:
    try:
        _decide_all(session, [signal.id], verdict, user, source="review")
    except NotYours:
        return _refused(request)
    target = redirects.safe_path(next, f"/signals/{signal.id}?done={verdict}")
    return RedirectResponse(target, status_code=303)


@pages.post("/signals/{signal_id}/confirm", dependencies=[Depends(verify_csrf)])
def confirm_form(
    request: Request, session: SessionDep, signal: CurrentSignal, user: Reviewer, next: NextField = ""
) -> Response:
    return _page_verdict(request, session, signal, user, "confirm", next)


@pages.post("/signals/{signal_id}/dismiss", dependencies=[Depends(verify_csrf)])
def dismiss_form(
    request: Request, session: SessionDep, signal: CurrentSignal, user: Reviewer, next: NextField = ""
) -> Response:
    return _page_verdict(request, session, signal, user, "dismiss", next)


def _decide_all(session: Session, ids: list[int], verdict: Verdict, user: User, *, source: str) -> list[int]:
    """Apply one verdict to each signal once, in one transaction; the ids whose status changed.

    NotYours, with nothing written, if any of the signals is another department's.
    """
    unique = list(dict.fromkeys(ids))
    for signal in session.scalars(select(Signal).where(Signal.id.in_(unique))):
        service.check_may_act(db_session=session, signal=signal, user=user)
    updated = []
    for signal_id in unique:
        try:
            if review.decide(
                db_session=session, signal_id=signal_id, verdict=verdict, user=user, source=source
            ):
                updated.append(signal_id)
        except review.SignalNotFound:
            continue  # gone since the page was drawn; the rest still count
    session.commit()
    return updated


# --- API ------------------------------------------------------------------------------


def _api_decide(session: Session, ids: list[int], verdict: Verdict, user: User, *, source: str) -> list[int]:
    try:
        return _decide_all(session, ids, verdict, user, source=source)
    except NotYours as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None


@api.get("/signals", response_model=SignalPage)
def list_signals(
    session: SessionDep, filters: Annotated[SignalFilter, Query()], _user: Reviewer
) -> SignalPage:
    """Flagged signals, filtered, searched, sorted and paged like the queue page, with counts per status."""
    return service.get_page(db_session=session, filters=filters)


@api.get("/signals/{signal_id}", response_model=SignalDetail)
def get_signal(session: SessionDep, signal: CurrentSignal, _user: Reviewer) -> SignalDetail:
    """One signal: the message, why it was flagged, its assignment, attachments and audit trail."""
    return review.detail(db_session=session, signal_id=signal.id)


@api.post("/signals/bulk", response_model=VerdictResult, dependencies=[Depends(verify_api_csrf)])
def bulk_verdict(session: SessionDep, body: BulkVerdict, user: Reviewer) -> VerdictResult:
    """Confirm or dismiss several signals at once; ids that do not exist are skipped."""
    return VerdictResult(updated=_api_decide(session, body.ids, body.verdict, user, source="bulk"))


@api.post(
    "/signals/{signal_id}/confirm", response_model=VerdictResult, dependencies=[Depends(verify_api_csrf)]
)
def confirm(session: SessionDep, signal: CurrentSignal, user: Reviewer) -> VerdictResult:
    """Confirm the signal is a complaint: sets the status and feeds the classifier's retraining."""
    return VerdictResult(updated=_api_decide(session, [signal.id], "confirm", user, source="review"))


@api.post(
    "/signals/{signal_id}/dismiss", response_model=VerdictResult, dependencies=[Depends(verify_api_csrf)]
)
def dismiss(session: SessionDep, signal: CurrentSignal, user: Reviewer) -> VerdictResult:
    """Dismiss the signal as not a complaint: sets the status and feeds the classifier's retraining."""
    return VerdictResult(updated=_api_decide(session, [signal.id], "dismiss", user, source="review"))
