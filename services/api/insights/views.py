"""`/insights` (page) and `GET /api/v1/insights` (JSON) for front office and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.api import charts, i18n
from services.api.deps import SessionDep, SettingsDep, require_role
from services.api.insights import service
from services.api.insights.schemas import InsightsOut, Series
from services.api.templates import render
from services.api.users import Role
from shared.models import User

# Handlers see their own work on /followups; these cross-department figures are for team leads.
Reader = Annotated[User, Depends(require_role(Role.frontoffice))]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["insights"])


def _insights(session: SessionDep, settings: SettingsDep) -> InsightsOut:
    return service.get(db_session=session, contact_days=settings.persistent_contact_days)


def _chart(weeks: list[str], series: list[Series], title: str, language: str) -> dict[str, object]:
    """A stacked weekly chart, its legend and its series, for the template."""
    shown = [charts.Series(s.name, s.counts) for s in series] or [charts.Series("", [0] * len(weeks))]
    svg = charts.bar_chart(
        [week[5:] for week in weeks],
        shown,
        title=title,
        x_label=i18n.text("insights.week", language),
        y_label=i18n.text("insights.signals", language),
    )
    return {"svg": svg, "legend": charts.legend(shown) if series else "", "series": series}


def _channel_names(series: list[Series], language: str) -> list[Series]:
    """Channels under the names the queue uses for them."""
    return [
        Series(
            name=i18n.text(f"channel.{s.name}", language)
            if f"channel.{s.name}" in i18n.CATALOGUE
            else s.name,
            counts=s.counts,
        )
        for s in series
    ]


@pages.get("/insights", response_class=HTMLResponse)
def insights_page(request: Request, session: SessionDep, settings: SettingsDep, _user: Reader) -> Response:
    language = i18n.language_of(request)
    data = _insights(session, settings)
    rates = [
        round(100 * flagged / scored, 1) if scored else 0
        for flagged, scored in zip(data.flag_rate.flagged, data.flag_rate.classified, strict=True)
    ]
    flag_chart = charts.bar_chart(
        [week[5:] for week in data.weeks],
        [charts.Series(i18n.text("insights.flag_rate", language), rates)],
        title=i18n.text("insights.flag_rate.title", language),
        x_label=i18n.text("insights.week", language),
        y_label="%",
    )
    context = {
        "data": data,
        "channel": _chart(
            data.weeks,
            _channel_names(data.by_channel, language),
            i18n.text("insights.by_channel", language),
            language,
        ),
        "department": _chart(
            data.weeks, data.by_department, i18n.text("insights.by_department", language), language
        ),
        "flag_chart": flag_chart,
        "rates": rates,
    }
    return render(request, "insights.html", context)


@api.get("/insights", response_model=InsightsOut)
def insights(session: SessionDep, settings: SettingsDep, _user: Reader) -> InsightsOut:
    """The last 12 weeks: volume by channel and department, flag rate, first contact, groups, contacts."""
    return _insights(session, settings)
