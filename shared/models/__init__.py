"""All tables, importable from one place (`from shared import models`)."""

from shared.models.base import Base, utcnow
from shared.models.messages import Attachment, Classification, FeedbackLabel, Message, ModelVersion
from shared.models.operations import (
    ApiToken,
    AuditEntry,
    ConnectorCursor,
    ConnectorHealth,
    LoginThrottle,
    Notification,
    StaffSession,
    User,
)
from shared.models.patterns import SignalPattern
from shared.models.routing import (
    Absence,
    Assignment,
    Department,
    FollowUp,
    FollowUpEvent,
    Handler,
    RoutingRule,
    Signal,
    SignalGroup,
)

__all__ = [
    "Absence",
    "ApiToken",
    "Assignment",
    "Attachment",
    "AuditEntry",
    "Base",
    "Classification",
    "ConnectorCursor",
    "ConnectorHealth",
    "Department",
    "FeedbackLabel",
    "FollowUp",
    "FollowUpEvent",
    "Handler",
    "LoginThrottle",
    "Message",
    "ModelVersion",
    "Notification",
    "RoutingRule",
    "Signal",
    "SignalGroup",
    "SignalPattern",
    "StaffSession",
    "User",
    "utcnow",
]
