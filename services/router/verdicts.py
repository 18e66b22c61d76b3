"""What the classifier said about a message, as the router reads it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Classification, Message


def latest_classification(session: Session, message_id: int) -> Classification | None:
    """The message's newest verdict (a retrained model may have scored it again)."""
    return session.scalars(
        select(Classification)
        .where(Classification.message_id == message_id)
        .order_by(Classification.id.desc())
        .limit(1)
    ).first()


def language_of(session: Session, message: Message) -> str | None:
    """The language the sender wrote in: detected by the classifier, else the channel's (web form)."""
    classification = latest_classification(session, message.id)
    return (classification.language if classification else None) or message.language
