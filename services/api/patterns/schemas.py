"""What the patterns endpoints answer."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class GroupOut(BaseModel):
    id: int
    label: str = Field(description="Working title: the first signal's subject or opening words")
    size: int = Field(description="Signals in the group (within `days`, when asked)")
    first_at: dt.datetime
    last_at: dt.datetime
    signal_ids: list[int]


class GroupList(BaseModel):
    threshold: float = Field(description="Similarity at or above which signals are grouped")
    window_days: int = Field(description="Signals are compared with those of this many days around them")
    groups: list[GroupOut]


class SenderSignalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    band: str
    created_at: dt.datetime
    persistent_contact: bool


class SameSender(BaseModel):
    signal_id: int
    persistent_contact: bool = Field(description="The sender reached the persistent-contact threshold")
    others: list[SenderSignalOut] = Field(description="Other signals from the same sender, oldest first")


class ContactOut(BaseModel):
    sender: str = Field(
        description="The sender's address as Signaal compares it (lower case; phone as digits)"
    )
    signal_ids: list[int] = Field(description="Their signals in the window, oldest first")
    last_at: dt.datetime


class ContactList(BaseModel):
    messages: int = Field(description="Signals within `days` that make a sender persistent contact")
    days: int
    contacts: list[ContactOut]
