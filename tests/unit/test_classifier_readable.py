"""Unreadable text (binary, wrong charset, random strings) is recognised; real language never is."""

from __future__ import annotations

import base64
import random

import pytest

from services.classifier.readable import unreadable

_RNG = random.Random(7)


@pytest.mark.parametrize(
    "text",
    [
        "Ik wacht al zes weken op mijn huurtoeslag, dit is echt belachelijk.",
        "Waarom duurt het zo lang?? @Belastingdienst #wachten 😡😡",
        "I applied for my residence permit in January, when can I expect a decision?",
        "zaak 2026-0042 ref 12345 tel 06-12345678",
        "Ik heb een vraag over het cafÃ© op de hoek en de vergunning ervan, wie kan mij helpen?",
        "مرحبا، لدي سؤال حول تصريح الإقامة الخاص بي",
        "Здравствуйте, у меня вопрос о моем виде на жительство",
        "ok",
        "👍👍👍",
        "https://example.nl/abc 06-12345678 @gemeente",
        "de lantaarnpaal bij nr 12 is stuk sinds gisteren avond grt",
        "Angstschreeuw bij de hengstsprong, zo heet het toneelstuk in de schouwburg.",
        "Dzien dobry, pisze w sprawie mojego zasilku, ktory nie zostal wyplacony w tym miesiacu.",
        "Merhaba, kira yardimim hakkinda yaziyorum. Bu ay odeme yapilmadi ve kimse telefonu acmiyor.",
        "Salaan, waxaan qorayaa codsigayga sharciga deganaanshaha. Saddex bilood ayaan sugayay jawaab.",
    ],
)
def test_readable_language_is_readable(text: str) -> None:
    assert not unreadable(text)


@pytest.mark.parametrize(
    "text",
    [
        "".join(_RNG.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(80)),
        "asdkjh qwpeoiru zxmcnvb lkjhasd poiuqwe mnbzxcv",
        base64.b64encode(bytes(_RNG.randrange(256) for _ in range(120))).decode(),
        bytes(range(256)).decode("latin-1"),
        bytes(_RNG.randrange(256) for _ in range(200)).decode("cp1252", errors="replace"),
        "مرحبا، لدي سؤال حول تصريح الإقامة الخاص بي".encode().decode("cp1252", errors="replace"),
        "Здравствуйте, у меня вопрос о моем виде на жительство".encode().decode("latin-1"),
        "xQzPkR vBnMaLs qWeRtY zXcVbN",
        "vbprog verqioh ixlnyz pkbsqtjdqiv hxdrwoxevl rccecxpl ulifkduyiw jyyks adxg gtymapxt ozsg",
        "\x00\x01\x02 hello \x03\x04\x05\x06\x07 world \x08\x0b\x0c",
    ],
)
def test_garbled_text_is_unreadable(text: str) -> None:
    assert unreadable(text)
