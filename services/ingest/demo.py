"""A small demo set, stored through the real ingest path (`signaal demo seed`)."""

from __future__ import annotations

import datetime as dt
import json

from shared.config import OrganisationConfig
from shared.normalise import Incoming

DEMO_SOURCE = "demo"

# (channel, sender, subject, text, automated)
_DEMO: list[tuple[str, str, str, str, bool]] = [
    (
        "email",
        "j.devries@example.nl",
        "Container niet geleegd",
        "Geachte heer/mevrouw,\n\nVoor de derde keer deze maand is onze container aan de Lindelaan niet geleegd. "
        "Ik heb al twee keer gebeld en er is nog steeds niets gebeurd. Dit is echt onacceptabel.\n\nMet vriendelijke groet,\nJan de Vries",
        False,
    ),
    (
        "webform",
        "a.jansen@example.nl",
        "Parkeervergunning",
        "Ik heb zes weken geleden een parkeervergunning aangevraagd en nog steeds geen reactie ontvangen. "
        "Niemand reageert op mijn mails.",
        False,
    ),
    (
        "social",
        "@burger_ams@example.social",
        "",
        "@gemeente al weken geen antwoord op mijn vraag over de bouwvergunning. Van het kastje naar de muur gestuurd.",
        False,
    ),
    (
        "email",
        "p.bakker@example.nl",
        "Bezwaar aanslag",
        "Hierbij maak ik bezwaar tegen de aanslag onroerendezaakbelasting 2026. De WOZ-waarde is veel te hoog vastgesteld.",
        False,
    ),
    (
        "email",
        "expat.john@example.com",
        "Residence registration",
        "This is the third time I'm writing about my registration appointment. Still no answer, and I'm fed up.",
        False,
    ),
    (
        "webform",
        "m.ali@example.nl",
        "Lantaarnpaal",
        "De lantaarnpaal voor huisnummer 14 in de Dorpsstraat is kapot. Graag repareren.",
        False,
    ),
    (
        "email",
        "s.peters@example.nl",
        "Bedankt",
        "Hartelijk dank voor de snelle hulp met mijn paspoortaanvraag. Alles is goed geregeld.",
        False,
    ),
    (
        "social",
        "@fietser@example.social",
        "",
        "Wat een belachelijke situatie op het fietspad bij het station, al maanden kapot. #gemeente",
        False,
    ),
    (
        "webform",
        "k.smit@example.nl",
        "Vraag over afvalpas",
        "Hoe kan ik een nieuwe afvalpas aanvragen? Ik ben verhuisd naar de Molenweg.",
        False,
    ),
    (
        "email",
        "l.vermeer@example.nl",
        "Terugbelverzoek",
        "U zou mij vorige week terugbellen over mijn WMO-aanvraag, maar ik ben niet teruggebeld. "
        "Ik ben erg teleurgesteld in de gang van zaken.",
        False,
    ),
    (
        "email",
        "mailer-daemon@example.net",
        "Undelivered Mail Returned to Sender",
        "This is the mail system. I'm sorry to have to inform you that your message could not be delivered.",
        True,
    ),
    (
        "email",
        "r.dekker@example.nl",
        "Automatisch antwoord: uw bericht",
        "Ik ben afwezig tot en met maandag en heb beperkt toegang tot mijn e-mail.",
        True,
    ),
    (
        "social",
        "@buurvrouw@example.social",
        "",
        "Complaint: the noise from the construction site starts at 6am every day. Unacceptable.",
        False,
    ),
    (
        "webform",
        "h.visser@example.nl",
        "Openingstijden",
        "Wat zijn de openingstijden van het stadskantoor op zaterdag?",
        False,
    ),
]


# Used by `signaal demo seed` only when the configuration names no departments or handlers, so the
# demo shows real routing (rules, hints, handlers by load) instead of one waiting queue.
DEMO_ORGANISATION = OrganisationConfig.model_validate(
    {
        "organisation": "Gemeente Voorbeeld (demo)",
        "default_department": "Frontoffice",
        "departments": [
            {
                "name": "Frontoffice",
                "description": "Algemene vragen en klachten die nergens anders thuishoren.",
                "lead_email": "teamleider.frontoffice@example.nl",
            },
            {
                "name": "Afval en reiniging",
                "description": "Huisvuil, containers, grofvuil, afvalpas en zwerfafval.",
                "keywords": ["container", "afval", "grofvuil", "afvalpas", "vuilnis"],
                "lead_email": "teamleider.afval@example.nl",
            },
            {
                "name": "Parkeren en verkeer",
                "description": "Parkeervergunningen, fietspaden, verkeer en straatverlichting.",
                "keywords": ["parkeervergunning", "parkeren", "fietspad", "lantaarnpaal"],
                "lead_email": "teamleider.parkeren@example.nl",
            },
            {
                "name": "Burgerzaken",
                "description": "Paspoort, rijbewijs, inschrijving, verhuizing, WMO en terugbelverzoeken.",
                "keywords": ["paspoort", "registration", "inschrijving", "wmo"],
                "lead_email": "teamleider.burgerzaken@example.nl",
            },
        ],
        "handlers": [
            {
                "name": "Anna Smit",
                "email": "anna.smit@example.nl",
                "departments": ["Frontoffice"],
                "languages": ["nl", "en"],
            },
            {
                "name": "Pieter de Boer",
                "email": "pieter.deboer@example.nl",
                "departments": ["Afval en reiniging"],
            },
            {
                "name": "Fatima El Amrani",
                "email": "fatima.elamrani@example.nl",
                "departments": ["Parkeren en verkeer", "Burgerzaken"],
                "languages": ["nl", "en"],
            },
            {"name": "Bram Visser", "email": "bram.visser@example.nl", "departments": ["Burgerzaken"]},
        ],
        "rules": [
            {
                "name": "afval",
                "description": "Alles over containers en afval gaat naar Afval en reiniging.",
                "department": "Afval en reiniging",
                "keywords": ["container", "afval", "grofvuil"],
            },
            {
                "name": "parkeren",
                "description": "Parkeervergunningen gaan naar Parkeren en verkeer.",
                "department": "Parkeren en verkeer",
                "keywords": ["parkeervergunning", "fietspad"],
            },
            {
                "name": "burgerzaken",
                "description": "Paspoort, inschrijving en WMO gaan naar Burgerzaken.",
                "department": "Burgerzaken",
                "keywords": ["paspoort", "registration", "inschrijving", "wmo"],
            },
        ],
    }
)


def organisation_for_demo(configured: OrganisationConfig) -> OrganisationConfig:
    """The configured organisation, or the demo one when the configuration has no people in it."""
    return configured if configured.departments or configured.handlers else DEMO_ORGANISATION


def demo_messages(now: dt.datetime) -> list[Incoming]:
    """The demo set as connectors would deliver it; fixed keys make re-seeding a no-op."""
    messages = []
    for index, (channel, sender, subject, text, automated) in enumerate(_DEMO):
        raw = json.dumps({"from": sender, "subject": subject, "text": text}, ensure_ascii=False).encode()
        messages.append(
            Incoming(
                channel=channel,
                source=DEMO_SOURCE,
                dedupe_key=f"demo-{index:03d}",
                raw=raw,
                text=text,
                subject=subject,
                sender_address=sender,
                received_at=now - dt.timedelta(hours=3 * (len(_DEMO) - index)),
                is_automated=automated,
                automated_reason="demo: automated mail" if automated else None,
            )
        )
    return messages
