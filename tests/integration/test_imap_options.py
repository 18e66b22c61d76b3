"""An IMAP mailbox's configuration: mistakes are refused at start-up with the field named (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from services.ingest import connectors
from services.ingest.connectors.imap import ImapConnector
from shared.config import OrganisationConfig
from shared.exceptions import ConfigError

BASE = {"name": "info", "kind": "imap", "host": "imap.example.nl", "username": "info@example.nl"}


def build(**options: Any) -> ImapConnector:
    config = OrganisationConfig.model_validate(
        {"connectors": [{"name": "web", "kind": "fake"}, {**BASE, "password_env": "IMAP_PW", **options}]}
    )
    built = connectors.build_all(config)
    connector = built[-1]
    assert isinstance(connector, ImapConnector)
    return connector


def refusal(**options: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        build(**options)
    return str(caught.value)


def test_defaults_are_implicit_tls_on_993_inbox_and_leaving_mail_alone() -> None:
    settings = build().settings
    assert (settings.security, settings.port, settings.folders, settings.after_store) == (
        "tls",
        993,
        ["INBOX"],
        "nothing",
    )
    assert settings.idle and settings.max_message_bytes == 25 * 1024 * 1024


def test_starttls_defaults_to_port_143() -> None:
    assert build(security="starttls").settings.port == 143


def test_password_in_the_file_is_refused_with_the_alternatives() -> None:
    message = refusal(password="geheim")
    assert "connectors[1].password" in message and "password_env" in message
    assert "geheim" not in message


def test_plain_without_allow_plain_is_refused() -> None:
    assert "allow_plain" in refusal(security="plain")


def test_move_without_a_folder_is_refused() -> None:
    assert "move_to" in refusal(after_store="move")


def test_moving_into_a_watched_folder_is_refused() -> None:
    assert "move_to must not be one of the watched folders" in refusal(after_store="move", move_to="INBOX")


def test_two_ways_to_sign_in_is_refused() -> None:
    assert "exactly one of" in refusal(password_file="/run/secrets/imap")


def test_delete_is_not_an_option() -> None:
    assert "connectors[1].after_store" in refusal(after_store="delete")


def test_unknown_option_is_named() -> None:
    assert "connectors[1].foldres" in refusal(foldres=["INBOX"])


def test_token_provider_that_cannot_be_imported_is_named() -> None:
    message = refusal(password_env=None, token_provider="no_such_package.tokens:get")
    assert "connectors[1].token_provider" in message
