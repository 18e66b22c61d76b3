"""Email normalisation rules, one behaviour per test: splitting, charsets, automation, limits, errors."""

from __future__ import annotations

import datetime as dt
import email
import time
from email import policy

import pytest

from shared import mailparts
from shared.mail import automated_reason, parse_email
from shared.normalise import Incoming


def mail(body: bytes | str, *headers: str, content_type: str = "text/plain; charset=utf-8") -> bytes:
    """A small raw message: the given header lines, a Content-Type, a blank line, the body."""
    lines = ["From: Jan Voorbeeld <Jan.Voorbeeld@Example.NL>", "Subject: Klacht", *headers]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    head = "\r\n".join(lines).encode() + b"\r\n\r\n"
    return head + (body.encode() if isinstance(body, str) else body)


def parse(raw: bytes, **options: object) -> Incoming:
    return parse_email(raw, source="test", dedupe_key="k", **options)  # type: ignore[arg-type]


# Splitting new text from quoted replies and signatures.

DUTCH_GMAIL_REPLY = """Beste meneer,

De stoep ligt er nog steeds los.

Met vriendelijke groet,
Marieke

Op di 3 nov 2026 om 10:12 schreef Gemeente Voorbeeldstad <
info@voorbeeldstad.example.nl>:

> Geachte mevrouw,
> Wij nemen uw melding in behandeling.
"""


def test_a_dutch_attribution_and_its_quote_go_to_quoted_text_and_the_closing_stays() -> None:
    new, quoted = mailparts.split_reply(DUTCH_GMAIL_REPLY)

    assert new.endswith("Met vriendelijke groet,\nMarieke")
    assert quoted.startswith("Op di 3 nov 2026 om 10:12 schreef")
    assert "> Wij nemen uw melding in behandeling." in quoted


def test_an_english_attribution_quote_and_dash_dash_signature_are_split_off() -> None:
    attribution = "On Tue, 3 Nov 2026 at 10:12, City <c@example.nl> wrote:"
    text = f"Still no refund.\n\n{attribution}\n> Paid soon.\n\n--\nJohn\n"

    new, quoted = mailparts.split_reply(text)

    assert new == "Still no refund."
    assert quoted == f"{attribution}\n> Paid soon.\n\n--\nJohn"


@pytest.mark.parametrize(
    "block",
    [
        "-----Oorspronkelijk bericht-----\nVan: Gemeente\nVerzonden: dinsdag 3 november 2026 10:12\n",
        "-----Original Message-----\nFrom: City\nSent: Tuesday, November 3, 2026 10:12 AM\n",
        "Van: Gemeente <info@example.nl>\nVerzonden: dinsdag 3 november 2026 10:12\nAan: Jan\n",
        "________________________________\nFrom: City <info@example.nl>\nSent: Tuesday 10:12\nTo: Jan\n",
    ],
    ids=["oorspronkelijk-bericht", "original-message", "van-verzonden", "underscores-from-sent"],
)
def test_outlook_quote_blocks_go_to_quoted_text(block: str) -> None:
    text = f"Dit is nog steeds niet opgelost.\n\nMet vriendelijke groet, Jan\n\n{block}\nEerdere tekst.\n"

    new, quoted = mailparts.split_reply(text)

    assert new == "Dit is nog steeds niet opgelost.\n\nMet vriendelijke groet, Jan"
    assert quoted.startswith(block.split("\n", 1)[0])
    assert quoted.endswith("Eerdere tekst.")


@pytest.mark.parametrize("signature", ["Verzonden vanaf mijn iPhone", "Sent from my iPhone"])
def test_a_mobile_signature_and_what_follows_it_are_quoted(signature: str) -> None:
    new, quoted = mailparts.split_reply(f"De lamp is kapot.\n\n{signature}\n\n> eerder bericht")

    assert new == "De lamp is kapot."
    assert quoted == f"{signature}\n\n> eerder bericht"


def test_common_closings_are_not_cut() -> None:
    text = "Ik wacht al weken.\n\nMet vriendelijke groet,\nJan Voorbeeld\n06-12345678"

    assert mailparts.split_reply(text) == (text, "")


def test_bottom_posted_answers_between_quotes_stay_new_text() -> None:
    text = "On 3 Nov 2026, City wrote:\n> Wanneer was dat?\n\nGisteren om 8 uur.\n> En waar?\nKerkstraat."

    new, quoted = mailparts.split_reply(text)

    assert new == "Gisteren om 8 uur.\nKerkstraat."
    assert quoted == "On 3 Nov 2026, City wrote:\n> Wanneer was dat?\n\n> En waar?"


def test_a_sentence_starting_with_on_is_not_an_attribution() -> None:
    text = "On the corner someone wrote:\ngraffiti everywhere."

    assert mailparts.split_reply(text) == (text, "")


def test_a_message_that_is_only_a_quote_keeps_everything_as_new_text() -> None:
    text = "> Geachte heer,\n> uw melding is afgehandeld."

    assert mailparts.split_reply(text) == (text, "")


def test_parse_email_splits_the_reply_and_keeps_both_parts() -> None:
    incoming = parse(mail(DUTCH_GMAIL_REPLY))

    assert "De stoep ligt er nog steeds los." in incoming.text
    assert "Met vriendelijke groet," in incoming.text
    assert "Wij nemen uw melding in behandeling." in incoming.quoted_text
    assert "Wij nemen" not in incoming.text


def test_format_flowed_soft_breaks_are_joined_but_the_signature_line_is_not() -> None:
    body = "Dit is een lange \r\nregel.\r\n-- \r\nJan\r\n"

    incoming = parse(mail(body, content_type="text/plain; charset=utf-8; format=flowed"))

    assert incoming.text == "Dit is een lange regel."
    assert incoming.quoted_text == "--\nJan"


# Charsets.


@pytest.mark.parametrize(
    ("data", "label", "expected", "fell_back"),
    [
        ("één".encode(), "utf-8", "één", False),
        ("€ 95,00 geërgerd".encode("cp1252"), "utf-8", "€ 95,00 geërgerd", True),
        ("“vergeten” €".encode("cp1252"), "iso-8859-1", "“vergeten” €", False),
        ("geëmigreerde".encode(), "iso-8859-1", "geëmigreerde", True),
        ("ontevreden ë".encode(), "x-unknown-foo", "ontevreden ë", True),
        ("geërgerd".encode("latin-1"), None, "geërgerd", True),
        (b"plain ascii", None, "plain ascii", False),
        ("zoë".encode("utf-16"), "utf-16", "zoë", False),
        (b"\x81\x8d", "utf-8", "\x81\x8d", True),
        (b"tekst", "base64", "tekst", False),
    ],
    ids=[
        "utf8",
        "utf8-label-cp1252-bytes",
        "latin1-label-read-as-cp1252",
        "latin1-label-utf8-bytes",
        "unknown-label",
        "undeclared-8bit",
        "undeclared-ascii",
        "utf16",
        "undefined-in-cp1252-latin1-last",
        "codec-that-is-no-charset",
    ],
)
def test_decode_bytes_falls_back_sensibly(
    data: bytes, label: str | None, expected: str, fell_back: bool
) -> None:
    assert mailparts.decode_bytes(data, label) == (expected, fell_back)


def test_a_charset_fallback_is_noted_in_meta() -> None:
    incoming = parse(mail("Ik ben geërgerd, € 95".encode("cp1252")))

    assert incoming.text == "Ik ben geërgerd, € 95"
    assert incoming.meta["charset_fallback"] is True


def test_raw_latin1_bytes_in_headers_are_decoded() -> None:
    raw = mail("tekst").replace(b"Subject: Klacht", "Subject: Geërgerd over café".encode("latin-1"))

    assert parse(raw).subject == "Geërgerd over café"


# Attachments and structure.

PDF = b"%PDF-1.4 fake"


def multipart(*parts: bytes, kind: str = "mixed") -> bytes:
    body = b"".join(b"--XYZ\r\n" + part + b"\r\n" for part in parts) + b"--XYZ--\r\n"
    return mail(body, "MIME-Version: 1.0", content_type=f'multipart/{kind}; boundary="XYZ"')


TEXT_PART = b"Content-Type: text/plain; charset=utf-8\r\n\r\nZie bijlage."


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="=?UTF-8?B?Q2Fmw6kucGRm?="', "Café.pdf"),
        ("attachment; filename*=iso-8859-1''Caf%E9.pdf", "Café.pdf"),
        ("attachment; filename*0*=UTF-8''Caf%C3%A9%20; filename*1*=deel%202.pdf", "Café deel 2.pdf"),
        ('attachment; filename="C:\\fakepath\\brief.pdf"', "brief.pdf"),
        ("attachment", "attachment.pdf"),
    ],
    ids=["rfc2047-in-quotes", "rfc2231-latin1", "rfc2231-continuation", "windows-path", "no-name"],
)
def test_attachment_filenames_are_decoded(disposition: str, expected: str) -> None:
    attachment = (
        b"Content-Type: application/pdf\r\nContent-Disposition: "
        + disposition.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + PDF
    )

    (recorded,) = parse(multipart(TEXT_PART, attachment)).attachments

    assert (recorded.filename, recorded.content_type, recorded.size) == (
        expected,
        "application/pdf",
        len(PDF),
    )


def test_attachment_content_over_the_cap_is_not_kept_but_its_size_is() -> None:
    attachment = (
        b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="a.pdf"\r\n\r\n' + PDF
    )

    (recorded,) = parse(multipart(TEXT_PART, attachment), attachment_cap=5).attachments

    assert (recorded.content, recorded.content_truncated, recorded.size) == (None, True, len(PDF))


def test_html_only_mail_gives_readable_text_and_keeps_the_html() -> None:
    html = "<html><body><p>De container is <b>niet</b> geleegd.</p><script>alert(1)</script></body></html>"

    incoming = parse(mail(html, content_type="text/html; charset=utf-8"))

    assert incoming.text == "De container is niet geleegd."
    assert incoming.html == html


def test_with_plain_and_html_alternatives_the_text_comes_from_the_plain_part() -> None:
    plain = b"Content-Type: text/plain; charset=utf-8\r\n\r\nPlain versie."
    html = b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>HTML versie.</p>"

    incoming = parse(multipart(plain, html, kind="alternative"))

    assert (incoming.text, incoming.html) == ("Plain versie.", "<p>HTML versie.</p>")
    assert incoming.attachments == []


def test_an_attached_message_without_a_name_is_recorded_and_its_text_quoted() -> None:
    inner = b"From: buur@example.nl\r\nSubject: Boete\r\n\r\nIk kreeg ook een boete."
    forwarded = b"Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + inner

    incoming = parse(multipart(TEXT_PART, forwarded))

    (attachment,) = incoming.attachments
    assert (attachment.filename, attachment.content_type) == ("forwarded.eml", "message/rfc822")
    assert attachment.content is not None and b"Ik kreeg ook een boete." in attachment.content
    assert incoming.text == "Zie bijlage."
    assert "Subject: Boete" in incoming.quoted_text
    assert "Ik kreeg ook een boete." in incoming.quoted_text


def test_thread_headers_sender_and_date_are_read() -> None:
    raw = mail(
        "tekst",
        "Message-ID:  <abc.1@example.nl> ",
        "In-Reply-To: <prev@example.nl> (comment)",
        "References: <first@example.nl>\r\n <prev@example.nl>",
        "Date: Tue, 03 Nov 2026 10:12:00 +0100",
        "Reply-To: Balie <Balie@Example.NL>",
    )

    incoming = parse(raw)

    assert incoming.message_id_header == "<abc.1@example.nl>"
    assert incoming.in_reply_to == "<prev@example.nl>"
    assert incoming.references == ["<first@example.nl>", "<prev@example.nl>"]
    assert incoming.received_at == dt.datetime(2026, 11, 3, 9, 12, tzinfo=dt.UTC)
    assert (incoming.sender_name, incoming.sender_address) == ("Jan Voorbeeld", "jan.voorbeeld@example.nl")
    assert incoming.meta["reply_to"] == "balie@example.nl"


# Automated mail: only the outer headers count.


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (["Auto-Submitted: auto-replied"], "Auto-Submitted: auto-replied"),
        (["auto-submitted: Auto-Generated (nightly job)"], "Auto-Submitted: Auto-Generated (nightly job)"),
        (["Auto-Submitted: no"], None),
        (["Auto-Submitted: No (sent by a person)"], None),
        (["X-Auto-Response-Suppress: All"], "X-Auto-Response-Suppress: All"),
        (["X-Autoreply: yes"], "X-Autoreply: yes"),
        (["X-Autorespond: Afwezig"], "X-Autorespond: Afwezig"),
        (["Precedence: bulk"], "Precedence: bulk"),
        (["Precedence: JUNK"], "Precedence: JUNK"),
        (["Precedence: list"], "Precedence: list"),
        (["Precedence: auto_reply"], "Precedence: auto_reply"),
        (["Precedence: normal"], None),
        (["Return-Path: <>"], "Return-Path: <> (null sender)"),
        (["Return-Path: <bounce@example.nl>"], None),
        (["List-Id: <bewoners.example.nl>", "List-Unsubscribe: <mailto:x@example.nl>"], None),
        ([], None),
    ],
)
def test_automated_reason_follows_the_header_rules(headers: list[str], reason: str | None) -> None:
    message = email.message_from_bytes(mail("tekst", *headers), policy=policy.default)

    assert automated_reason(message) == reason


def test_a_delivery_report_is_automated() -> None:
    raw = multipart(TEXT_PART, kind="report; report-type=delivery-status")

    incoming = parse(raw)

    assert incoming.is_automated
    assert incoming.automated_reason == "Content-Type: multipart/report; report-type=delivery-status"


def test_a_forwarded_bulk_message_inside_a_persons_mail_is_not_automated() -> None:
    inner = b"From: nieuws@example.nl\r\nPrecedence: bulk\r\nAuto-Submitted: auto-generated\r\n\r\nNieuws."
    forwarded = b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" + inner

    incoming = parse(multipart(TEXT_PART, forwarded))

    assert not incoming.is_automated
    assert incoming.automated_reason is None


# Limits and unreadable input.


def test_an_oversized_mail_is_truncated_flagged_and_still_parsed() -> None:
    raw = mail("Begin van een heel lang bericht. " + "x" * 5000)

    incoming = parse(raw, max_bytes=1000, meta={"folder": "INBOX", "warnings": ["earlier"]})

    assert incoming.raw_truncated is True
    assert incoming.raw == raw[:1000]
    assert incoming.raw_size == len(raw)
    assert incoming.meta["warnings"] == ["earlier", "oversized"]
    assert incoming.meta["folder"] == "INBOX"
    assert incoming.text.startswith("Begin van een heel lang bericht.")
    assert incoming.parse_error is None


def test_a_mail_within_the_limit_is_not_flagged() -> None:
    raw = mail("kort")

    incoming = parse(raw, max_bytes=len(raw))

    assert (incoming.raw_truncated, incoming.raw_size, "warnings" in incoming.meta) == (
        False,
        len(raw),
        False,
    )


def test_the_callers_meta_is_copied_not_changed() -> None:
    given = {"uid": 7}

    incoming = parse(mail("Ik ben geërgerd".encode("cp1252")), meta=given)

    assert given == {"uid": 7}
    assert incoming.meta["uid"] == 7


def deeply_nested(levels: int) -> bytes:
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(levels)
    )
    closing = b"".join(b"\r\n--b%d--" % i for i in reversed(range(levels)))
    return (
        b"From: a@example.nl\r\nMIME-Version: 1.0\r\n"
        + opening
        + b"Content-Type: text/plain\r\n\r\nblad"
        + closing
    )


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", "the message is empty"),
        (b" \r\n\r\n", "the message is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 8, "not an email message"),
        (deeply_nested(400), "too complex to read safely"),
    ],
    ids=["empty", "blank", "binary-file", "absurd-nesting"],
)
def test_what_cannot_be_parsed_gets_a_parse_error_and_keeps_the_raw(raw: bytes, error: str) -> None:
    incoming = parse(raw)

    assert incoming.parse_error is not None and error in incoming.parse_error
    assert incoming.raw == raw
    assert incoming.text == ""


def test_deep_but_parseable_nesting_is_read() -> None:
    assert parse(deeply_nested(60)).text == "blad"


def test_nesting_that_would_make_parsing_slow_is_refused_quickly_with_headers_kept() -> None:
    raw = deeply_nested(120) + b"\r\nregel" * 200_000

    started = time.perf_counter()
    incoming = parse(raw)

    assert time.perf_counter() - started < 2.0  # parsing it would take about 10 s here
    assert incoming.parse_error is not None and "too complex" in incoming.parse_error
    assert incoming.sender_address == "a@example.nl"


def test_a_body_without_headers_is_still_mail() -> None:
    incoming = parse(b"\r\nAlleen een tekst, geen headers.\r\n")

    assert (incoming.parse_error, incoming.text, incoming.sender_address) == (
        None,
        "Alleen een tekst, geen headers.",
        "",
    )
