"""Every text the router's notification mails use, in one place (Dutch: the organisation is Dutch).

What goes into these mails, and what deliberately does not: mail leaves Signaal
(it is forwarded, kept in mailboxes beyond our retention and purge), so a mail
names the signal by its reference and says why it was flagged (the classifier's
phrases, at most three short ones) but never carries the citizen's message, name
or address; the link opens everything behind a login.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shared import workdays

PHRASES = 3  # at most this many flagged phrases per mail
PHRASE_CHARS = 80

CHANNELS = {"email": "e-mail", "webform": "webformulier", "social": "sociale media", "webhook": "koppeling"}
BANDS = {"high": "hoog", "possible": "mogelijk", "none": "laag", "unreadable": "onleesbaar"}
KINDS = {"informal": "persoonlijk contact (informele afhandeling)", "formal": "formele klachtbehandeling"}
WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
FOOTER = "Dit bericht is automatisch verstuurd door Signaal; u kunt er niet op antwoorden."


@dataclass(frozen=True)
class Mail:
    """A subject and body template; `{footer}` is filled in for every mail."""

    subject: str
    body: str

    def fill(self, values: dict[str, Any]) -> tuple[str, str]:
        return self.subject.format(**values), self.body.format(footer=FOOTER, **values)


ASSIGNMENT = Mail(
    subject="Nieuw signaal {reference}: persoonlijk contact vóór {due}",
    body="""Beste {handler},

Er is een signaal van onvrede aan u toegewezen. Neem persoonlijk contact op met
de burger, bij voorkeur telefonisch, en los het probleem zo mogelijk direct op.

Referentie:    {reference}
Kanaal:        {channel}
Afdeling:      {department}
Inschatting:   {band} (score {score})
Contact vóór:  {due}

Waarom gemarkeerd:
{phrases}

Waarom bij u:  {reason}
{persistent}
Open het signaal: {link}

Het bericht zelf en de gegevens van de afzender staan alleen in Signaal.

{footer}
""",
)

DIGEST = Mail(
    subject="Signaal: {count} contactmoment(en) vandaag of te laat ({date})",
    body="""Beste {handler},

Dit zijn uw signalen waarvoor het contactmoment vandaag is of al voorbij.
{sections}
Uw werklijst: {queue_link}

{footer}
""",
)
DIGEST_OVERDUE = "Te laat ({count}):"
DIGEST_TODAY = "Vandaag ({count}):"
DIGEST_LINE = "  - {reference} · {department} · {kind} · uiterlijk {due} · {link}"

ESCALATION = Mail(
    subject="Termijn verstreken: signaal {reference} ({department})",
    body="""Beste teamleider van {department},

Voor signaal {reference} is de termijn verstreken zonder dat het is afgehandeld.

Soort:         {kind}
Termijn:       {due}
Status:        {status}
Behandelaar:   {handler}

Wilt u zorgen dat de burger alsnog snel persoonlijk contact krijgt, of het signaal
aan iemand anders toewijzen?

Open het signaal: {link}

{footer}
""",
)
PERSISTENT = (
    "\nLet op: deze afzender neemt aanhoudend contact op (meerdere signalen kort na elkaar);\n"
    "de eerdere signalen staan in Signaal bij dit signaal.\n"
)
NOBODY = "nog niemand (het signaal wacht in de wachtrij van de afdeling)"
STATUSES = {
    "open": "open, nog geen contact",
    "contacted": "contact gehad, nog niet afgerond",
}


def when(moment: dt.datetime) -> str:
    """`ma 30-11-2026 17:00` in Amsterdam time."""
    local = moment.astimezone(workdays.AMSTERDAM)
    return f"{WEEKDAYS[local.weekday()]} {local:%d-%m-%Y %H:%M}"


def day(moment: dt.datetime) -> str:
    local = moment.astimezone(workdays.AMSTERDAM)
    return f"{WEEKDAYS[local.weekday()]} {local:%d-%m-%Y}"


def phrase_lines(phrases: list[dict[str, object]]) -> str:
    """The classifier's strongest phrases, shortened, one per line (or a line saying there are none)."""
    lines = []
    for phrase in phrases[:PHRASES]:
        text = " ".join(str(phrase.get("text", "")).split())
        if len(text) > PHRASE_CHARS:
            text = text[: PHRASE_CHARS - 1].rstrip() + "…"
        if text:
            lines.append(f'  - "{text}"')
    return "\n".join(lines) or "  (geen zinsdelen vastgelegd; zie de score)"
