"""Every awkward mail in tests/data/mail parses to what its manifest entry expects."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from shared.mail import parse_email
from shared.normalise import Incoming

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))


def parse(name: str) -> Incoming:
    return parse_email((CORPUS / name).read_bytes(), source="corpus", dedupe_key=name)


def by_prefix(prefix: str) -> Incoming:
    return parse(next(entry["file"] for entry in MANIFEST if entry["file"].startswith(prefix)))


def test_the_corpus_has_at_least_forty_messages_and_every_file_is_listed() -> None:
    assert len(MANIFEST) >= 40
    assert {entry["file"] for entry in MANIFEST} == {path.name for path in CORPUS.glob("*.eml")}


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_corpus_mail_parses_as_the_manifest_expects(entry: dict[str, Any]) -> None:
    incoming = parse(entry["file"])

    assert incoming.parse_error is None
    assert incoming.channel == "email"
    assert incoming.is_automated is entry["automated"], incoming.automated_reason
    assert (incoming.automated_reason is not None) is entry["automated"]
    if entry["expect_text_contains"] is not None:
        # The README promises expected strings lie in the new (non-quoted) part.
        assert entry["expect_text_contains"] in incoming.text
    assert (incoming.html is not None) is entry["has_html"]
    assert len(incoming.attachments) == entry["attachments"]


@pytest.mark.parametrize(
    ("prefix", "subject", "sender_name"),
    [
        ("20-", "Klacht – café De Gouden Leeuw veroorzaakt overlast", "Renée Voorbeeld-Müller"),
        ("21-", "Geërgerd over café-terras", "Renée Voorbeeld"),
        ("22-", "Klacht over stank bij de vuilstortplaats – dringend", "Renée Voorbeeld"),
        ("23-", "Bezwaar tegen parkeerbeleid – Prinsengracht €€€", "Zoë van der Proef"),
        ("24-", "Bezwaar tegen de kapvergunning voor de eik – ik ben geërgerd, café", "Henk Testers"),
    ],
)
def test_raw_8bit_and_encoded_word_headers_decode_to_the_expected_text(
    prefix: str, subject: str, sender_name: str
) -> None:
    incoming = by_prefix(prefix)

    assert incoming.subject == subject
    assert incoming.sender_name == sender_name


def test_malformed_encoded_words_give_a_best_effort_subject() -> None:
    incoming = by_prefix("25-")

    assert incoming.subject.startswith("Re: Klacht over de bushalte zonder spatie café")
    assert incoming.sender_name == "Jan Voorbeëld"


@pytest.mark.parametrize(
    ("prefix", "filenames"),
    [
        ("73-", ["Bezwaarschrift – geërgerd.pdf", "Foto's van de kapotte stoep.jpg"]),
        ("74-", ["Zienswijze Café-terras €.pdf"]),
        ("75-", ["overzicht schade – €.pdf"]),
        ("76-", ["winmail.dat"]),
        ("11-", ["doorgestuurd.eml"]),
    ],
)
def test_attachment_names_are_decoded(prefix: str, filenames: list[str]) -> None:
    assert [attachment.filename for attachment in by_prefix(prefix).attachments] == filenames


def test_a_zero_byte_attachment_is_recorded_with_size_zero() -> None:
    (attachment,) = by_prefix("77-").attachments

    assert (attachment.filename, attachment.size, attachment.content) == ("leeg.pdf", 0, b"")


def test_broken_from_headers_give_a_best_effort_sender() -> None:
    assert (by_prefix("40-").sender_name, by_prefix("40-").sender_address) == ("Bezorgde Burger", "")
    assert by_prefix("41-").sender_address == "jan@@example.com"
    missing = by_prefix("42-")
    assert missing.sender_address == "onbekend@example.org"
    assert "no From header: sender taken from Return-Path" in missing.meta["warnings"]


def test_unreadable_dates_give_no_received_at() -> None:
    assert [by_prefix(p).received_at for p in ("37-", "38-", "39-")] == [None, None, None]


def test_a_stray_line_in_the_header_block_does_not_push_headers_into_the_body() -> None:
    incoming = by_prefix("43-")

    assert incoming.message_id_header == "<garbagehdr.0001@example.com>"
    assert "Message-ID" not in incoming.text


def test_long_folded_references_are_all_kept() -> None:
    incoming = by_prefix("36-")

    assert len(incoming.references) == 60
    assert all(ref.startswith("<") and ref.endswith(">") for ref in incoming.references)


def test_the_huge_single_line_mail_parses_quickly() -> None:
    raw = next(CORPUS.glob("30-*.eml")).read_bytes()
    started = time.perf_counter()
    incoming = parse_email(raw, source="corpus", dedupe_key="30")
    elapsed = time.perf_counter() - started

    assert len(incoming.text) > 1_000_000
    assert elapsed < 3.0  # about 0.1 s here; a quadratic step would take minutes


def _mutate(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(mutated)) if mutated else 0
        roll = rng.random()
        if roll < 0.4 and mutated:
            mutated[at] = rng.randrange(256)
        elif roll < 0.7:
            mutated[at:at] = rng.choice([b"\r\n", b"--", b"=?utf-8?B?", b"?=", b"\x00", b'"', b"\r\n\r\n"])
        else:
            del mutated[at : at + rng.randint(1, 40)]
    return bytes(mutated)


def test_damaged_corpus_mail_never_makes_the_parser_raise() -> None:
    rng = random.Random(20261103)  # fixed seed: the same 240 damaged messages every run
    for path in sorted(CORPUS.glob("*.eml")):
        if path.stat().st_size > 200_000:
            continue
        data = path.read_bytes()
        for _ in range(3):
            incoming = parse_email(_mutate(data, rng), source="fuzz", dedupe_key=path.name)
            assert isinstance(incoming.text, str)
            assert not any("could not be read" in w for w in incoming.meta.get("warnings", []))
