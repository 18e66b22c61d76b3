"""The public web form at /form: accessible, bilingual, no JavaScript, and guarded against abuse.

Every refusal re-shows the form with what the citizen wrote (only files must be
chosen again) and says what to do. One exception, on purpose: a filled-in
honeypot (a field people cannot see) marks a bot, and is answered like a
success while nothing is stored; the count shows in
`signaal_intake_refused_total{reason="discarded"}` (a neutral name: /metrics must not tell a
bot author which check caught them).
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException  # request.form() raises the base class, not FastAPI's

from services.api.deps import get_database
from services.api.intake import attachments, service, texts, tokens
from services.api.intake.deps import Intake, IntakeDep, client_address
from services.api.intake.exceptions import AttachmentRejected, FormTokenError, StorageFailed
from services.api.intake.limits import LimitedBodyRoute
from services.api.intake.models import MESSAGE_MAX_CHARS, SubmissionFields
from services.api.templates import templates
from shared.db import Database

log = structlog.get_logger(__name__)

FIELDS = ("name", "email", "phone", "subject", "message")
# In page order, so the error summary lists problems top to bottom.
FIELD_ORDER = (*FIELDS, "attachments")
HONEYPOT = "website"
NO_STORE = {"Cache-Control": "no-store"}

DatabaseDep = Annotated[Database, Depends(get_database)]


def too_large_page(request: Request) -> Response:
    """The form's answer to a body over its limit, in the citizen's language (also the app's body limit)."""
    lang = texts.language(request.query_params.get("lang"))
    t = texts.TEXTS[lang]
    size = texts.size(request.app.state.intake.webform.max_total_bytes, lang)
    context = {"title": t["too_large_title"], "text": t["too_large"].format(size=size), "back": True}
    return _page(request, lang, "form_notice.html", context, status_code=413)


class FormRoute(LimitedBodyRoute):
    def too_large(self, request: Request, limit: int) -> Response:
        return too_large_page(request)


router = APIRouter(route_class=FormRoute, include_in_schema=False)


@router.get("/form")
def form_page(request: Request, intake: IntakeDep, lang: str = "nl") -> Response:
    language = texts.language(lang)
    if not intake.webform.enabled:
        return _closed(request, language)
    return _form(request, intake, language)


@router.post("/form")
async def submit_form(
    request: Request, intake: IntakeDep, database: DatabaseDep, lang: str = "nl"
) -> Response:
    language = texts.language(lang)
    t = texts.TEXTS[language]
    options = intake.webform
    if not options.enabled:
        return _closed(request, language)
    try:
        form = await request.form(max_files=options.max_attachments + 20, max_fields=50)
    except HTTPException as exc:
        if exc.status_code != 400:  # 413 goes to the route, which explains it
            raise
        # The multipart parser's own limits: too many files, or one text field over 1 MB.
        if "files" in str(exc.detail).lower():
            errors = {"attachments": t["att_count"].format(max=options.max_attachments)}
            return _form(request, intake, language, errors=errors, status_code=422)
        return too_large_page(request)
    try:
        return await _take_in(request, intake, database, language, form)
    finally:
        await form.close()  # spooled attachment files


async def _take_in(
    request: Request, intake: Intake, database: Database, language: texts.Language, form: FormData
) -> Response:
    """The checks in order (rate, token, honeypot, fill time, fields, files), then storing."""
    t = texts.TEXTS[language]
    options = intake.webform
    values = {name: _text(form, name) for name in (*FIELDS, HONEYPOT, tokens.FIELD)}
    uploads = [f for f in form.getlist("attachments") if isinstance(f, UploadFile) and (f.filename or f.size)]

    def again(
        status_code: int,
        *,
        alert: str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return _form(
            request,
            intake,
            language,
            values=values,
            alert=alert,
            errors=errors,
            had_files=bool(uploads),
            status_code=status_code,
            headers=headers,
        )

    if wait := intake.limiter.take(client_address(request)):
        service.REFUSED.labels("form", "rate_limited").inc()
        return again(429, alert=t["rate_limited"].format(seconds=wait), headers={"Retry-After": str(wait)})
    now = intake.clock()
    try:
        token = tokens.verify(
            intake.secret_key, values[tokens.FIELD], request.cookies.get(tokens.COOKIE, ""), now=now
        )
    except FormTokenError as exc:
        service.REFUSED.labels("form", f"token_{exc.kind}").inc()
        if exc.kind == "expired":
            return again(400, alert=t["token_expired"])
        return again(403, alert=t["token_missing"])
    if values[HONEYPOT]:
        service.REFUSED.labels("form", "discarded").inc()
        log.info("web form honeypot filled in; treated as a bot and not stored", form_id=token.form_id)
        return _page(request, language, "form_received.html", {"reference": None})
    if now - token.rendered_at < options.min_fill_seconds:
        service.REFUSED.labels("form", "too_fast").inc()
        return again(400, alert=t["too_fast"])
    try:
        fields = SubmissionFields.model_validate({name: values[name] for name in FIELDS})
    except ValidationError as exc:
        service.REFUSED.labels("form", "invalid").inc()
        return again(422, errors=field_errors(exc, language))
    try:
        accepted = attachments.check(
            [attachments.Upload(f.filename or "", await f.read()) for f in uploads], options
        )
    except AttachmentRejected as exc:
        service.REFUSED.labels("form", "attachment").inc()
        return again(422, errors={"attachments": attachment_message(exc, language)})
    raw = service.submission_document(fields, accepted, language=language)
    try:
        stored = await run_in_threadpool(
            lambda: service.store_submission(
                database,
                source=options.name,
                fields=fields,
                attachments=accepted,
                raw=raw,
                dedupe_key=service.form_dedupe_key(token.form_id, raw),
                language=language,
                via="form",
                acknowledge=options.acknowledge,
                organisation=intake.organisation,
            )
        )
    except StorageFailed:
        return again(503, alert=t["storage_failed"], headers={"Retry-After": "60"})
    return _page(request, language, "form_received.html", {"reference": stored.reference})


def field_errors(exc: ValidationError, language: texts.Language) -> dict[str, str]:
    """One message per field, in the citizen's language, for the first problem with it."""
    t = texts.TEXTS[language]
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "message"
        if field in errors:
            continue
        kind = error["type"]
        if kind == "unstorable":  # a NUL character (bodies.Checked)
            errors[field] = t["err_unstorable"]
        elif field == "message" and kind == "string_too_long":
            count = len(error["input"]) if isinstance(error["input"], str) else MESSAGE_MAX_CHARS + 1
            errors[field] = t["err_message_too_long"].format(
                count=_number(count, language),
                max=_number(MESSAGE_MAX_CHARS, language),
                over=_number(count - MESSAGE_MAX_CHARS, language),
            )
        elif field == "message":
            errors[field] = t["err_message_required"]
        elif field in ("email", "phone"):
            errors[field] = t[f"err_{field}"]
        elif kind == "string_too_long":
            errors[field] = t["err_too_long"].format(max=error.get("ctx", {}).get("max_length", ""))
        else:
            errors[field] = t["err_invalid"]
    return errors


def attachment_message(exc: AttachmentRejected, language: texts.Language) -> str:
    """The refusal in words, sizes written for people."""
    params: dict[str, Any] = dict(exc.params)
    if exc.code in ("att_size", "att_total"):
        params["size"] = texts.size(int(params["size"]), language)
        params["max"] = texts.size(int(params["max"]), language)
    return texts.TEXTS[language][exc.code].format(**params)


def _number(value: int, language: texts.Language) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if language == "nl" else text


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _page(
    request: Request,
    language: texts.Language,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    t = texts.TEXTS[language]
    other = t["other_language_code"]
    context = {
        "lang": language,
        "t": t,
        "organisation": request.app.state.intake.organisation.organisation,
        "form_url": "/form" if language == "nl" else "/form?lang=en",
        "other_url": "/form" if other == "nl" else "/form?lang=en",
        **context,
    }
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers={**NO_STORE, **(headers or {})}
    )


def _closed(request: Request, language: texts.Language) -> Response:
    t = texts.TEXTS[language]
    return _page(
        request,
        language,
        "form_notice.html",
        {"title": t["closed_title"], "text": t["closed"]},
        status_code=404,
    )


def _form(
    request: Request,
    intake: Intake,
    language: texts.Language,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    had_files: bool = False,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The form with a fresh token, showing `values` back and `errors` beside their fields."""
    t = texts.TEXTS[language]
    options = intake.webform
    browser_id = request.cookies.get(tokens.COOKIE) or tokens.new_browser_id()
    errors = errors or {}
    if had_files and (errors or alert):
        errors.setdefault("attachments", t["reupload"])
    context = {
        "values": {name: "" for name in FIELDS} | (values or {}),
        "errors": errors,
        "error_list": [(name, errors[name]) for name in FIELD_ORDER if name in errors],
        "alert": alert,
        "token": tokens.issue(intake.secret_key, browser_id, now=intake.clock()),
        "token_field": tokens.FIELD,
        "honeypot": HONEYPOT,
        "options": options,
        "message_hint": t["message_hint"].format(max=_number(MESSAGE_MAX_CHARS, language)),
        "attachments_hint": t["attachments_hint"].format(
            count=options.max_attachments,
            size=texts.size(options.max_attachment_bytes, language),
            total=texts.size(options.max_total_bytes, language),
            types=attachments.allowed_labels(options),
        ),
        "accept": attachments.accept_attribute(options),
        "privacy_url": str(options.privacy_notice_url) if options.privacy_notice_url else None,
    }
    response = _page(request, language, "form.html", context, status_code=status_code, headers=headers)
    if request.cookies.get(tokens.COOKIE) != browser_id:
        response.set_cookie(
            tokens.COOKIE,
            browser_id,
            max_age=tokens.MAX_AGE_SECONDS,
            path="/form",
            httponly=True,
            samesite="lax",
            secure=intake.secure_cookies,
        )
    return response
