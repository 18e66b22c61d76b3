"""The machine-facing intake: `POST /api/v1/intake/webform` (JSON) and signed webhooks.

A repeated call never stores twice: the web form API dedupes on the client's
Idempotency-Key, a webhook on the event's own `id`. Both answer 201 for a new
message and 200 with the same reference for a repeat.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from services.api.deps import get_database
from services.api.intake import attachments, service, signatures, texts
from services.api.intake.config import WebformOptions
from services.api.intake.deps import Intake, IntakeDep, client_address
from services.api.intake.exceptions import (
    AttachmentRejected,
    IdempotencyConflict,
    SignatureRejected,
    StorageFailed,
)
from services.api.intake.limits import LimitedBodyRoute
from services.api.intake.models import Receipt, SubmissionFields, WebformRequest, WebhookEvent
from services.api.intake.views import attachment_message
from services.ingest.store import Stored
from shared.db import Database
from shared.normalise import IncomingAttachment

log = structlog.get_logger(__name__)

DatabaseDep = Annotated[Database, Depends(get_database)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string per message (e.g. a UUID); a retry with the same key and body "
        "returns the first reference instead of storing again.",
    ),
]
STORAGE_FAILED = (
    "The message could not be stored: {cause}. Nothing was stored; "
    "retry later (with the same Idempotency-Key)."
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"model": Receipt, "description": "Already stored: a retry; same reference."},
    413: {"description": "Request body too large."},
    503: {"description": "Storage unavailable; nothing stored, retry later."},
}


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema with its nested models written in place (the OpenAPI has no `$defs`)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(schema)


router = APIRouter(prefix="/api/v1/intake", tags=["intake"], route_class=LimitedBodyRoute)


@router.post(
    "/webform",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_ERRORS,
        409: {"description": "Idempotency-Key reused with a different body."},
        429: {"description": "Too many submissions from this client; see Retry-After."},
    },
    # The body is read by the handler, after the rate limit, so a flood of invalid JSON is limited too.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline_schema(WebformRequest)}},
        }
    },
)
async def submit_webform(
    request: Request,
    response: Response,
    intake: IntakeDep,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey = None,
) -> Receipt:
    """Submit a citizen's message from an organisation's own form; answers the citizen's reference.

    An Idempotency-Key belongs to the client that sent it: another client's same key is another message.
    """
    options = intake.webform
    if not options.enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "The web form is switched off in this installation.")
    client = client_address(request)
    if wait := intake.limiter.take(client):
        service.REFUSED.labels("api", "rate_limited").inc()
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Too many submissions from this client; wait {wait} seconds and send again.",
            headers={"Retry-After": str(wait)},
        )
    payload = await request.body()
    # Decoding attachments and storing are blocking work: off the event loop.
    stored = await run_in_threadpool(
        _submit, intake, database, payload, client=client, idempotency_key=idempotency_key
    )
    if not stored.created:
        response.status_code = status.HTTP_200_OK
    return Receipt(reference=stored.reference, duplicate=not stored.created)


def _submit(
    intake: Intake, database: Database, payload: bytes, *, client: str, idempotency_key: str | None
) -> Stored:
    """Validate and store one JSON submission; HTTP errors say what to change."""
    options = intake.webform
    try:
        body = WebformRequest.model_validate_json(payload)
    except ValidationError as exc:
        service.REFUSED.labels("api", "invalid").inc()
        raise _invalid_body(exc) from None
    language = body.language or texts.DEFAULT_LANGUAGE
    accepted = _attachments(body, options)
    fields = SubmissionFields.model_validate(body.model_dump(include=set(SubmissionFields.model_fields)))
    raw = service.submission_document(fields, accepted, language=language)
    try:
        stored = service.store_submission(
            database,
            source=options.name,
            fields=fields,
            attachments=accepted,
            raw=raw,
            dedupe_key=service.api_dedupe_key(idempotency_key, client=client, secret_key=intake.secret_key),
            language=language,
            via="api",
            acknowledge=options.acknowledge,
            organisation=intake.organisation,
        )
        service.ensure_same_body(database, stored, raw)
    except StorageFailed as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            STORAGE_FAILED.format(cause=exc.cause),
            headers={"Retry-After": "30"},
        ) from None
    except IdempotencyConflict:
        service.REFUSED.labels("api", "idempotency_conflict").inc()
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "This Idempotency-Key was already used for a different message. Send a new message with "
            "a new key; to repeat the earlier one, send exactly the same body.",
        ) from None
    return stored


def _attachments(body: WebformRequest, options: WebformOptions) -> list[IncomingAttachment]:
    uploads = []
    for index, item in enumerate(body.attachments):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(
                ("body", "attachments", index, "content_base64"), "not valid base64 (standard alphabet)"
            ) from None
        uploads.append(attachments.Upload(item.filename, content))
    try:
        return attachments.check(uploads, options)
    except AttachmentRejected as exc:
        service.REFUSED.labels("api", "attachment").inc()
        loc = ("body", "attachments") if exc.index is None else ("body", "attachments", exc.index)
        raise _invalid(loc, attachment_message(exc, "en")) from None


def _invalid(loc: tuple[str | int, ...], message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message, "input": None}])


def _invalid_body(exc: ValidationError) -> RequestValidationError:
    """The body's errors as FastAPI reports them (`loc` from "body"), without echoing the input."""
    errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_input=False)]
    return RequestValidationError(errors)


@router.post(
    "/webhook/{source}",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_ERRORS,
        401: {"description": "Signature missing, wrong or outside the 5-minute window."},
        404: {"description": "No enabled webhook source with this name."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": WebhookEvent.model_json_schema()}},
        }
    },
)
async def receive_webhook(
    source: str, request: Request, response: Response, intake: IntakeDep, database: DatabaseDep
) -> Receipt:
    """Take in one event from another platform, signed with HMAC-SHA256 over `f"{timestamp}." + body`.

    Headers: `X-Signaal-Timestamp` (unix seconds, within 5 minutes of the server's clock) and
    `X-Signaal-Signature: sha256=<hex>`. The event's `id` makes redeliveries idempotent.
    """
    hook = intake.webhook_source(source)
    body = await request.body()
    now = intake.clock()
    signature = request.headers.get(signatures.SIGNATURE_HEADER)
    try:
        signatures.verify(
            hook.secret,
            timestamp=request.headers.get(signatures.TIMESTAMP_HEADER),
            signature=signature,
            body=body,
            now=now,
        )
        intake.replays.check(hook.name, signature or "", body, now=now)
    except SignatureRejected as exc:
        service.REFUSED.labels("webhook", "signature").inc()
        log.warning("webhook delivery refused", source=hook.name, reason=exc.reason)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, exc.reason, headers={"WWW-Authenticate": "Signature"}
        ) from None
    try:
        event = WebhookEvent.model_validate_json(body, context={"now": now})
    except ValidationError as exc:
        service.REFUSED.labels("webhook", "invalid").inc()
        raise _invalid_body(exc) from None
    try:
        stored = await run_in_threadpool(
            lambda: service.store_webhook_event(
                database, source=hook, event=event, body=body, organisation=intake.organisation
            )
        )
    except StorageFailed as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            STORAGE_FAILED.format(cause=exc.cause).replace("Idempotency-Key", "event id"),
            headers={"Retry-After": "30"},
        ) from None
    if not stored.created:
        response.status_code = status.HTTP_200_OK
    return Receipt(reference=stored.reference, duplicate=not stored.created)
