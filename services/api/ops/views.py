"""`/ops` (page) and `/api/v1/ops/...` (JSON): the same data for ops staff, admins and integrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from services.api import charts, i18n
from services.api.connectors import service as connectors
from services.api.deps import (
    MAX_ID,
    ConfigDep,
    PathId,
    SessionDep,
    SettingsDep,
    require_role,
    verify_api_csrf,
    verify_csrf,
)
from services.api.ops import service
from services.api.ops.schemas import ClassifierOut, HourlyOut, ItemPage, ItemState, PipelineOut, RetryResult
from services.api.templates import render
from services.api.users import Role
from shared.models import User

_ops = require_role(Role.ops)
Ops = Annotated[User, Depends(_ops)]
MessageId = PathId
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
PER_PAGE = 25

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/ops", tags=["ops"])


def hourly_chart(hourly: HourlyOut, t: Callable[[str], str]) -> tuple[Markup, Markup | str]:
    """The stacked per-source chart of the last 24 hours and its legend."""
    series = [charts.Series(s.source, s.counts) for s in hourly.sources] or [
        charts.Series("", [0] * len(hourly.hours))
    ]
    labels = [hour[11:13] for hour in hourly.hours]
    chart = charts.bar_chart(
        labels,
        series,
        title=t("ops.hourly.title"),
        x_label=t("ops.hourly.x"),
        y_label=t("ops.hourly.y"),
        label_every=3,
    )
    return chart, charts.legend(series) if hourly.sources else ""


@pages.get("/ops", response_class=HTMLResponse)
def ops_page(
    request: Request,
    session: SessionDep,
    user: Ops,
    config: ConfigDep,
    settings: SettingsDep,
    state: Annotated[ItemState, Query()] = "failed",
    page: PageNumber = 1,
) -> Response:
    language = i18n.language_of(request)
    hourly = service.get_hourly(db_session=session)
    chart, legend = hourly_chart(hourly, lambda key: i18n.text(key, language))
    items = service.get_items(db_session=session, state=state, page=page, per_page=PER_PAGE)
    classifier = service.get_classifier(db_session=session, settings=settings)
    context = {
        "overview": connectors.get_overview(db_session=session, config=config, settings=settings),
        "pipeline": service.get_pipeline(db_session=session),
        "hourly": hourly,
        "chart": chart,
        "sparklines": {
            s.source: charts.sparkline(s.counts, title=i18n.text("ops.sparkline", language, n=sum(s.counts)))
            for s in hourly.sources
        },
        "legend": legend,
        "items": items,
        "pages": max(1, -(-items.total // items.per_page)),
        "classifier": classifier,
        "metric_sets": service.headline(classifier.metrics),
        "done": request.query_params.get("done"),
        "moved": request.query_params.get("moved"),
    }
    return render(request, "ops.html", context)


@pages.post("/ops/retry", dependencies=[Depends(_ops), Depends(verify_csrf)])
def retry_form(
    session: SessionDep, user: Ops, message_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None
) -> Response:
    """Retry one failed item (or all of them when no id is sent)."""
    moved = service.retry(
        db_session=session, message_ids=[message_id] if message_id else None, actor=user.username
    )
    session.commit()
    return RedirectResponse(f"/ops?done=retry&moved={moved}#items", status_code=303)


@pages.post("/ops/outbox/retry", dependencies=[Depends(_ops), Depends(verify_csrf)])
def retry_outbox_form(session: SessionDep, user: Ops) -> Response:
    moved = service.retry_outbox(db_session=session, actor=user.username)
    session.commit()
    return RedirectResponse(f"/ops?done=outbox&moved={moved}#outbox", status_code=303)


# --- API ------------------------------------------------------------------------------


@api.get("/pipeline", response_model=PipelineOut)
def pipeline_state(session: SessionDep, _user: Ops) -> PipelineOut:
    """Messages per pipeline state, and how many entered each state in the last hour."""
    return service.get_pipeline(db_session=session)


@api.get("/items", response_model=ItemPage)
def list_items(
    session: SessionDep,
    _user: Ops,
    state: Annotated[ItemState, Query()] = "failed",
    page: PageNumber = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = PER_PAGE,
) -> ItemPage:
    """Failed or quarantined items with their stage and error, most recent first."""
    return service.get_items(db_session=session, state=state, page=page, per_page=per_page)


@api.post(
    "/items/{message_id}/retry",
    response_model=RetryResult,
    dependencies=[Depends(_ops), Depends(verify_api_csrf)],
)
def retry_item(session: SessionDep, message_id: MessageId, user: Ops) -> RetryResult:
    """Put one failed item back in its stage's input state (like `signaal retry`); 0 if it was not failed."""
    moved = service.retry(db_session=session, message_ids=[message_id], actor=user.username)
    session.commit()
    return RetryResult(moved=moved)


@api.post("/items/retry", response_model=RetryResult, dependencies=[Depends(_ops), Depends(verify_api_csrf)])
def retry_all(session: SessionDep, user: Ops) -> RetryResult:
    """Put every failed item back in its stage's input state (`signaal retry`)."""
    moved = service.retry(db_session=session, message_ids=None, actor=user.username)
    session.commit()
    return RetryResult(moved=moved)


@api.post("/outbox/retry", response_model=RetryResult, dependencies=[Depends(_ops), Depends(verify_api_csrf)])
def retry_outbox(session: SessionDep, user: Ops) -> RetryResult:
    """Put failed notifications back in the outbox (`signaal outbox retry`)."""
    moved = service.retry_outbox(db_session=session, actor=user.username)
    session.commit()
    return RetryResult(moved=moved)


@api.get("/hourly", response_model=HourlyOut)
def hourly(session: SessionDep, _user: Ops) -> HourlyOut:
    """Messages received per source and hour over the last 24 hours."""
    return service.get_hourly(db_session=session)


@api.get("/classifier", response_model=ClassifierOut)
def classifier(session: SessionDep, settings: SettingsDep, _user: Ops) -> ClassifierOut:
    """The classifier version in use, its metrics, and the versions that scored in the last 24 hours."""
    return service.get_classifier(db_session=session, settings=settings)
