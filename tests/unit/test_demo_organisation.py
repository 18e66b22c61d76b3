"""`signaal demo seed` brings a small organisation only when the configuration has none of its own."""

from __future__ import annotations

from services.ingest import demo
from shared.config import OrganisationConfig


def test_an_empty_configuration_gets_the_demo_organisation() -> None:
    organisation = demo.organisation_for_demo(OrganisationConfig())
    assert organisation is demo.DEMO_ORGANISATION
    assert {d.name for d in organisation.departments} >= {"Frontoffice", "Afval en reiniging"}
    assert organisation.handlers and organisation.rules


def test_an_organisations_own_departments_are_never_replaced_by_the_demo() -> None:
    own = OrganisationConfig.model_validate({"departments": [{"name": "Klantcontact"}]})
    assert demo.organisation_for_demo(own) is own
