"""The router on SQLite and PostgreSQL: rules, hints, default team, handler choice, waiting queue."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from services.router import explain, waiting
from services.router.stage import RouteStage
from shared.config import Routing
from shared.db import Database
from shared.models import Absence, Assignment, AuditEntry, FollowUp, Handler, Message, RoutingRule, Signal
from shared.pipeline import Worker, WorkerConfig
from shared.settings import get_settings
from shared.states import State
from tests.processes import wait_until
from tests.routing import (
    around_today,
    base_url,
    classified,
    classified_messages,
    handler,
    handler_id,
    organise,
    route,
    routed,
)

DEPARTMENTS = [{"name": "Afval"}, {"name": "Parkeren"}]


def test_the_first_matching_rule_decides(database: Database) -> None:
    organise(
        database,
        departments=DEPARTMENTS,
        rules=[
            {
                "name": "afval",
                "description": "Afval naar Afval.",
                "department": "Afval",
                "keywords": ["container"],
            },
            {"name": "alles-email", "department": "Parkeren", "channel": ["webform"]},
        ],
    )
    message = classified(database, "De container is weer niet geleegd.")
    route(database)

    _, assignment, _, department = routed(database, message)
    assert (department, assignment.rule) == ("Afval", "afval")
    assert assignment.explanation[0] == explain.part(
        "route.rule",
        rule="afval",
        description="Afval naar Afval.",
        department="Afval",
        conditions=[explain.part("condition.keywords", keyword="container")],
    )
    assert assignment.reason.startswith(
        "Regel 'afval' (Afval naar Afval.) is van toepassing: het bericht bevat 'container'. "
        "Doorgestuurd naar Afval."
    )


def test_a_rule_matches_only_when_all_its_conditions_hold(database: Database) -> None:
    rule = {"name": "afval-per-mail", "department": "Afval", "keywords": ["container"], "channel": ["email"]}
    organise(database, departments=DEPARTMENTS, rules=[rule])
    message = classified(database, "De container is weer niet geleegd.", channel="webform")
    route(database)

    _, assignment, _, department = routed(database, message)
    assert (department, assignment.rule) == ("Frontoffice", "default-team")


def test_sender_domain_regex_and_band_conditions_route_to_their_department(database: Database) -> None:
    rule = {
        "name": "parkeren",
        "department": "Parkeren",
        "sender_domain": ["bedrijf.nl"],
        "regex": r"naheffing\w*\s+\d+",
        "band": ["high"],
    }
    organise(database, departments=DEPARTMENTS, rules=[rule])
    message = classified(
        database, "Mijn naheffingsaanslag 12345 klopt niet.", sender_address="a@post.bedrijf.nl"
    )
    route(database)

    _, assignment, _, department = routed(database, message)
    assert department == "Parkeren"
    conditions = assignment.explanation[0]["params"]["conditions"]
    # In any order: PostgreSQL's JSONB does not keep the order of a rule's condition keys.
    assert sorted(conditions, key=lambda part: part["key"]) == [
        explain.part("condition.band", band="high"),
        explain.part("condition.regex", match="naheffingsaanslag 12345"),
        explain.part("condition.sender_domain", domain="post.bedrijf.nl"),
    ]
    assert "het domein van de afzender is post.bedrijf.nl" in assignment.reason


@pytest.mark.parametrize(
    ("score", "department", "rule", "dutch", "english"),
    [
        (
            0.8,
            "Parkeren",
            "department-hint",
            "stelde Parkeren voor met zekerheid 0,80 (drempel 0,60)",
            "suggested Parkeren with confidence 0.80 (threshold 0.60)",
        ),
        (
            0.4,
            "Frontoffice",
            "default-team",
            "Parkeren met 0,40, lag onder de drempel 0,60",
            "(Parkeren, 0.40) was below the threshold 0.60",
        ),
    ],
    ids=["above-threshold", "below-threshold"],
)
def test_without_a_matching_rule_the_hint_decides_above_its_threshold_else_the_default_team(
    database: Database, score: float, department: str, rule: str, dutch: str, english: str
) -> None:
    organise(database, departments=DEPARTMENTS)
    message = classified(database, hints=[{"department": "Parkeren", "score": score}])
    route(database, Routing(hint_threshold=0.6))

    _, assignment, _, routed_to = routed(database, message)
    assert (routed_to, assignment.rule) == (department, rule)
    assert dutch in assignment.reason
    assert english in explain.render(assignment.explanation, "en")


def test_an_assignment_reads_the_same_in_dutch_and_english(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", capacity=4)])
    message = classified(database, hints=[])
    route(database)

    _, assignment, _, _ = routed(database, message)
    assert [part["key"] for part in assignment.explanation] == ["route.default.no_hint", "route.handler"]
    assert (
        assignment.reason
        == explain.render(assignment.explanation, "nl")
        == (
            "Geen regel van toepassing en de classificatie gaf geen afdelingssuggestie. Doorgestuurd naar "
            "het standaardteam Frontoffice. Behandelaar: Anna Smit, de minst belaste beschikbare "
            "(0 van 4 open opvolgingen)."
        )
    )
    assert explain.render(assignment.explanation, "en") == (
        "No rule matched and the classifier gave no department hint. Sent to the default team "
        "Frontoffice. Handler: Anna Smit, the least loaded available (0 of 4 open follow-ups)."
    )


def test_the_least_loaded_present_handler_gets_the_signal(database: Database) -> None:
    organise(
        database,
        departments=DEPARTMENTS,
        handlers=[handler("Anna Smit", "Afval"), handler("Bram Visser", "Afval", absences=[around_today()])],
        rules=[{"name": "afval", "department": "Afval", "keywords": ["container"]}],
    )
    messages = classified_messages(database, ["container kapot"] * 3)
    route(database)

    assert {routed(database, m)[2] for m in messages} == {"Anna Smit"}


def test_handlers_at_capacity_get_nothing_and_the_signal_waits_visibly(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", capacity=2)])
    messages = classified_messages(database, ["een", "twee", "drie"])
    route(database)

    signal, assignment, handler_name, _ = routed(database, messages[2])
    assert [routed(database, m)[2] for m in messages[:2]] == ["Anna Smit", "Anna Smit"]
    assert handler_name is None and signal.waiting_since is not None
    assert assignment.explanation[-1] == explain.part(
        "route.waits", department="Frontoffice", passed_over=[explain.part("passed.at_capacity", count=1)]
    )
    assert (
        "Niemand in Frontoffice kan het nu aannemen (1 heeft geen ruimte meer); "
        "het wacht in de wachtrij van het team." in assignment.reason
    )
    assert "Nobody in Frontoffice can take it now (1 at capacity); it waits in the team's queue." in (
        explain.render(assignment.explanation, "en")
    )


def test_only_handlers_who_speak_the_language_get_the_signal(database: Database) -> None:
    organise(
        database,
        handlers=[
            handler("Anna Smit", "Frontoffice"),
            handler("Bram Visser", "Frontoffice", languages=["nl", "en"]),
        ],
    )
    messages = classified_messages(database, ["Still no answer", "Again nothing"], language="en")
    route(database)

    assert {routed(database, m)[2] for m in messages} == {"Bram Visser"}


def test_a_language_nobody_available_speaks_still_gets_a_handler_and_the_reason_says_so(
    database: Database,
) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice")])
    message = classified_messages(database, ["Nog steeds geen antwoord"], language="tr")[0]
    route(database)

    signal, assignment, handler_name, _ = routed(database, message)
    assert (handler_name, signal.waiting_since) == ("Anna Smit", None)
    assert assignment.explanation[-1] == explain.part("route.language_fallback", language="tr")
    assert assignment.reason.endswith("Niemand die beschikbaar is spreekt 'tr'.")


def test_a_handler_named_in_the_message_is_passed_over_and_the_reason_says_so(database: Database) -> None:
    organise(
        database,
        handlers=[handler("Pieter de Boer", "Frontoffice"), handler("Anna Smit", "Frontoffice", capacity=50)],
    )
    message = classified(database, "Meneer P. de Boer was aan de telefoon erg onbeleefd tegen mij.")
    route(database)

    _, assignment, handler_name, _ = routed(database, message)
    assert handler_name == "Anna Smit"
    assert explain.part("route.conflict", handler="Pieter de Boer") in assignment.explanation
    assert "Pieter de Boer wordt in het bericht genoemd (Awb 9:7) en behandelt het dus niet." in (
        assignment.reason
    )
    assert "Pieter de Boer is named in the message (Awb 9:7), so not them." in (
        explain.render(assignment.explanation, "en")
    )


def test_a_waiting_signal_is_assigned_when_the_handler_returns(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", absences=[around_today()])])
    message = classified(database)
    route(database)
    assert routed(database, message)[2] is None
    assert waiting.assign_waiting(database, base_url=base_url()) == 0

    with database.transaction() as session:
        session.execute(update(Absence).values(end=around_today()["start"]))
    assert waiting.assign_waiting(database, base_url=base_url()) == 1

    signal, assignment, handler_name, _ = routed(database, message)
    assert (handler_name, assignment.rule, signal.waiting_since) == ("Anna Smit", "waiting-queue", None)
    assert assignment.explanation[0]["key"] == "route.waited"
    assert assignment.reason.startswith("Wachtte sinds ")
    assert "in de wachtrij van Frontoffice; Anna Smit kan het nu aannemen" in assignment.reason
    assert explain.render(assignment.explanation, "en").startswith("Waited in the queue of Frontoffice since")


def test_a_waiting_signal_is_assigned_when_capacity_frees_up(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", capacity=1)])
    first, second = classified_messages(database, ["een", "twee"])
    route(database)
    assert routed(database, second)[2] is None

    with database.transaction() as session:
        signal = session.scalars(select(Signal).where(Signal.message_id == first)).one()
        session.execute(update(FollowUp).where(FollowUp.signal_id == signal.id).values(status="resolved"))
    waiting.assign_waiting(database, base_url=base_url())

    assert routed(database, second)[2] == "Anna Smit"


def test_routing_again_never_creates_a_second_assignment(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice")])
    message = classified(database)
    route(database)
    with database.transaction() as session:
        session.execute(update(Message).where(Message.id == message).values(state=State.classified))
    route(database)

    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Assignment)) == 1
        assert session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_a_thousand_signals_are_spread_fairly_over_five_handlers(database: Database) -> None:
    names = ["Anna Smit", "Bram Visser", "Chris Jong", "Dewi Bakker", "Eva Mulder"]
    organise(database, handlers=[handler(n, "Frontoffice", capacity=400) for n in names])
    classified_messages(database, [f"klacht {n}" for n in range(1000)])
    Worker(RouteStage(get_settings()), database, WorkerConfig(batch_size=100)).drain()

    with database.session() as session:
        rows = session.execute(select(Signal.handler_id, func.count()).group_by(Signal.handler_id)).all()
        loads = dict(rows)
    assert None not in loads and len(loads) == 5
    assert max(loads.values()) <= 1.1 * min(loads.values())


def test_two_route_workers_never_give_a_handler_more_than_capacity(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", capacity=5)])
    classified_messages(database, [f"klacht {n}" for n in range(30)])
    workers = [Worker(RouteStage(get_settings()), database, WorkerConfig(batch_size=3)) for _ in range(2)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    with database.session() as session:
        held = session.scalar(
            select(func.count()).where(Signal.handler_id == handler_id(database, "Anna Smit"))
        )
        waiting_count = session.scalar(select(func.count()).where(Signal.waiting_since.is_not(None)))
    assert (held, waiting_count) == (5, 25)


def test_the_configuration_is_applied_once_and_audited(database: Database) -> None:
    config = {
        "departments": DEPARTMENTS,
        "handlers": [handler("Anna Smit", "Afval", "Parkeren", capacity=3, absences=[around_today()])],
        "rules": [{"name": "afval", "department": "Afval", "keywords": ["container"]}],
    }
    organise(database, **config)
    organise(database, **config)  # a restart changes nothing

    with database.session() as session:
        anna = session.scalars(select(Handler)).one()
        assert (anna.capacity, sorted(d.name for d in anna.departments), len(anna.absences)) == (
            3,
            ["Afval", "Parkeren"],
            1,
        )
        assert session.scalars(select(RoutingRule.conditions)).one() == {"keywords": ["container"]}
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "system:config")).all()
    assert sorted(actions) == sorted(
        ["department.create"] * 3 + ["handler.create", "absence.create", "rule.create"]
    )


def test_a_changed_configuration_updates_the_handler(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", capacity=3)])
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", capacity=8)])

    with database.session() as session:
        assert session.scalars(select(Handler.capacity)).one() == 8


def test_the_waiting_pass_runs_by_itself_until_stopped(database: Database) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", absences=[around_today()])])
    message = classified(database)
    route(database)
    stop = threading.Event()
    thread = threading.Thread(
        target=waiting.WaitingPass(database, interval=0.1, base_url=base_url()).run, args=(stop,)
    )
    thread.start()
    try:
        with database.transaction() as session:
            session.execute(update(Absence).values(end=around_today()["start"]))
        wait_until(lambda: routed(database, message)[2] == "Anna Smit", timeout=30, what="the waiting pass")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_department_nobody_can_serve_does_not_hold_up_another_departments_queue(
    database: Database,
) -> None:
    organise(
        database,
        departments=DEPARTMENTS,
        handlers=[handler("Anna Smit", "Frontoffice", absences=[around_today()])],
        rules=[{"name": "afval", "department": "Afval", "keywords": ["container"]}],
    )
    stuck = classified_messages(database, ["container vol"] * 3)
    served = classified(database, "Al weken geen reactie.")
    route(database)
    with database.transaction() as session:
        session.execute(update(Absence).values(end=around_today()["start"]))

    assert waiting.assign_waiting(database, base_url=base_url()) == 1
    assert routed(database, served)[2] == "Anna Smit"
    assert {routed(database, m)[2] for m in stuck} == {None}
