"""Outgoing headers stay one line each, whatever the citizen's text encodes (issue 18, finding 1)."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
from email.message import EmailMessage

import pytest

from shared import interpreter, mailer, outbox
from shared.exceptions import ConfigError
from shared.settings import Environment, SmtpSecurity

ORGANISATION_FROM = "Gemeente Voorbeeld <noreply@voorbeeld.example.nl>"
ATTACK = (
    "x\r\nReply-To: evil@attacker.example\r\nContent-Type: text/html\r\n\r\n"
    "<html><a href='https://attacker.example'>Betaal hier</a></html>"
)


def encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


CONFIG = mailer.SmtpConfig(
    host="127.0.0.1",
    port=25,
    security=SmtpSecurity.none,
    username="",
    password=mailer.SecretStr(""),
    from_address=ORGANISATION_FROM,
    timeout=5.0,
)


def built(**overrides: object) -> EmailMessage:
    """Build a receipt, then read its bytes back as a receiving mail server would."""
    values: dict[str, object] = {
        "recipient": "j.jansen@example.nl",
        "subject": "Ontvangen",
        "body": "Uw referentienummer is SG-ABCD-1234.",
        "message_id": "<signaal.1.20261202@voorbeeld.example.nl>",
        "auto_submitted": "auto-replied",
        "reference": "SG-ABCD-1234",
    }
    values.update(overrides)
    message = mailer.build(CONFIG, mailer.Outgoing(**values), now=dt.datetime.now(dt.UTC))  # type: ignore[arg-type]
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def assert_not_forged(message: EmailMessage) -> None:
    assert message.get_all("Reply-To") is None
    assert message.get_content_type() == "text/plain"
    assert not message.is_multipart()
    assert "<html>" not in message.get_content()
    assert message["From"] == ORGANISATION_FROM


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param(f"Ontvangen: {encoded_word(ATTACK)}", id="encoded-once"),
        pytest.param(f"Ontvangen: {encoded_word(encoded_word(ATTACK))}", id="encoded-twice"),
        pytest.param(encoded_word(encoded_word(encoded_word(encoded_word(ATTACK)))), id="encoded-four-times"),
        pytest.param("x\r\nReply-To: evil@attacker.example", id="raw-crlf"),
        pytest.param("x\u2028Reply-To: evil@attacker.example\x85\x0b\x0c\x1c\x1d\x1e\x00", id="separators"),
    ],
)
def test_an_encoded_line_break_in_the_subject_never_adds_a_header_or_body(subject: str) -> None:
    message = built(subject=subject)
    assert_not_forged(message)
    assert "evil@attacker.example" not in (message["Reply-To"] or "")
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]


def test_a_forged_message_id_is_dropped_from_the_threading_headers() -> None:
    forged = f"<{encoded_word(ATTACK)}@mail.example>"
    message = built(in_reply_to=forged, references=(forged, "<eerder@mail.example.nl>"))
    assert_not_forged(message)
    assert message["In-Reply-To"] is None
    assert message["References"] is None


def test_a_forged_reference_is_dropped_and_the_rest_kept() -> None:
    forged = f"<{encoded_word(ATTACK)}@mail.example>"
    message = built(in_reply_to="<vraag@mail.example.nl>", references=(forged, "<eerder@mail.example.nl>"))
    assert_not_forged(message)
    assert message["References"] == "<eerder@mail.example.nl> <vraag@mail.example.nl>"


def test_an_address_that_is_an_encoded_word_is_not_a_valid_recipient() -> None:
    forged = encoded_word(ATTACK.replace(" ", "")) + "@example.com"
    assert outbox.valid_address(forged) is None
    with pytest.raises(ValueError, match="encoded words"):
        built(recipient=forged)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=?utf-8?q?caf=C3=A9?= in de Molenweg", "café in de Molenweg"),
        ("Lekkage\nstraat", "Lekkage straat"),
        ("a\x00b\tc", "a b c"),
        ("kosten 2+2=?", "kosten 2+2= ?"),
    ],
)
def test_header_values_are_decoded_then_flattened(value: str, expected: str) -> None:
    assert mailer.header_value(value) == expected


def test_header_values_are_bounded_after_decoding() -> None:
    value = mailer.header_value(encoded_word("é" * 300), limit=200)
    assert value == "é" * 200


def test_a_huge_subject_is_cut_and_never_decoded_into_a_second_line() -> None:
    value = mailer.header_value("woord " * 200_000 + encoded_word(ATTACK))
    assert len(value) <= mailer.MAX_HEADER_CHARS
    assert "Reply-To" not in value


def test_production_refuses_a_python_with_the_email_header_injection_bug() -> None:
    with pytest.raises(ConfigError, match=r"3\.11\.7.*CVE-2024-6923.*3\.11\.10"):
        interpreter.require_patched(Environment.production, (3, 11, 7))


@pytest.mark.parametrize("version", [(3, 11, 10), (3, 11, 14), (3, 12, 0), (3, 13, 1)])
def test_production_accepts_a_patched_python(version: tuple[int, int, int]) -> None:
    interpreter.require_patched(Environment.production, version)


def test_development_runs_on_an_unpatched_python() -> None:
    interpreter.require_patched(Environment.development, (3, 11, 7))
