"""The shared vocabulary: a message's pipeline states (`received → classified → routed`, plus the
side exits), and every other status, kind and role the layers spell alike."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    received = "received"  # stored by ingest, waiting for the classifier
    classified = "classified"  # flagged as a possible complaint, waiting for the router
    routed = "routed"  # signal created and assigned (to a handler or a department queue)
    not_flagged = "not_flagged"  # scored, no dissatisfaction found
    automated = "automated"  # bounce, auto-reply, bulk mail: never flagged nor acknowledged
    quarantined = "quarantined"  # could not be parsed; raw bytes kept for ops
    failed = "failed"  # a stage raised; `failed_stage` and `error` say where and why


TERMINAL_STATES = frozenset({State.routed, State.not_flagged, State.automated})


class Stage(StrEnum):
    ingest = "ingest"
    classify = "classify"
    route = "route"


# Where a stage takes its work from; `signaal retry` puts failed items back here.
STAGE_INPUT: dict[Stage, State] = {
    Stage.classify: State.received,
    Stage.route: State.classified,
}


# The rest of the shared vocabulary: every status, kind and role that more than one layer
# spells. Members compare equal to their strings and bind as strings, so the stored values
# are exactly these.


class Band(StrEnum):
    """How sure the classifier is; staff see each band's meaning in the queue's legend."""

    high = "high"  # dissatisfaction is clear: at the model's high-precision operating point
    possible = "possible"  # above the threshold: likely dissatisfied, a person decides
    none = "none"  # below the threshold: not flagged
    unreadable = "unreadable"  # not readable language (wrong charset, binary, noise): a person looks


class SignalStatus(StrEnum):
    """The status of a Signal: the staff's verdict on whether it is a complaint."""

    new = "new"
    confirmed = "confirmed"
    dismissed = "dismissed"


class FollowUpKind(StrEnum):
    """The kind of a FollowUp: personal contact or the formal procedure (Awb 9:11)."""

    informal = "informal"
    formal = "formal"


class FollowUpStatus(StrEnum):
    """The status of a FollowUp: `open → contacted → resolved | formal | not_a_complaint`."""

    open = "open"
    contacted = "contacted"
    resolved = "resolved"
    formal = "formal"  # moved to the formal procedure (a new formal follow-up)
    not_a_complaint = "not_a_complaint"


# Follow-up states that still ask something of the handler.
OPEN_FOLLOW_UP_STATES = (FollowUpStatus.open, FollowUpStatus.contacted)
CLOSED_FOLLOW_UP_STATES = (FollowUpStatus.resolved, FollowUpStatus.formal, FollowUpStatus.not_a_complaint)


class EventKind(StrEnum):
    """The kind of a FollowUpEvent: a contact with the citizen, a note, or a deadline extension."""

    phone = "phone"
    email = "email"
    visit = "visit"
    note = "note"
    extension = "extension"


# Event kinds that are a contact with the citizen (and so move an open follow-up to contacted).
CONTACT_KINDS = (EventKind.phone, EventKind.email, EventKind.visit)
# Event kinds staff record by hand; `extension` only comes from extending a deadline.
RECORDED_EVENT_KINDS = (*CONTACT_KINDS, EventKind.note)


class NotificationStatus(StrEnum):
    """The status of an outbox Notification."""

    pending = "pending"
    sent = "sent"
    failed = "failed"


class Role(StrEnum):
    """The role of a staff User; admin may do everything."""

    frontoffice = "frontoffice"
    handler = "handler"
    ops = "ops"
    admin = "admin"


# Staff who act on any signal; handlers act only on their own.
ANY_SIGNAL_ROLES = (Role.frontoffice, Role.admin)
