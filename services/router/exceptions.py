"""Errors of routing and follow-ups that a person can act on; each docstring is the message's gist."""

from __future__ import annotations


class RoutingError(Exception):
    """The routing change was refused; the message says why and what to do instead."""


class NotFound(RoutingError):
    """The department, handler, rule, signal or follow-up does not exist."""


class Conflict(RoutingError):
    """The change contradicts the current state (a name in use, a department still holding signals)."""


class InvalidTransition(RoutingError):
    """A follow-up cannot move from its current state to the one asked for."""


class ExtensionRefused(RoutingError):
    """The formal deadline cannot be extended (not formal, closed, or extended once already)."""


class NotYours(RoutingError):
    """A handler may act only on the signals assigned to them."""
