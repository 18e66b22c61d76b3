"""Pipeline states of a message: `received → classified → routed`, plus the side exits."""

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
