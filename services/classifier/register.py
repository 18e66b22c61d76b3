"""A draft entry for the national algorithm register (algoritmes.overheid.nl), from a model's manifest.

Dutch government organisations publish the algorithms they use. The draft follows the
register's main fields (name, purpose, human control, data, working, metrics, risks,
legal basis, version); what only the organisation knows (contact, department, link to
its own policy) is left as a clear placeholder. Everything measured comes from the
manifest, so the entry cannot drift from the model it describes.
"""

from __future__ import annotations

from typing import Any

PLACEHOLDER = "«in te vullen door de organisatie»"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "Engels"}
CHANNEL_NAMES = {
    "email": "e-mail",
    "webform": "webformulier",
    "social": "sociale media",
    "phone": "telefoonnotitie",
    "letter": "brief",
}


DUTCH_COLUMNS = ("deel", "berichten", "klachten", "precisie", "recall", "AP", "precisie bij recall ≥ 0,95")
DUTCH_ALL = "alle berichten"


def metrics_table(
    report: dict[str, Any],
    *,
    names: dict[str, str] | None = None,
    columns: tuple[str, ...] = DUTCH_COLUMNS,
    everything: str = DUTCH_ALL,
) -> list[str]:
    """Markdown rows: precision, recall, AP and precision at recall ≥ 0.95, overall and per group."""
    names = names or {}

    def cell(value: Any) -> str:
        return "–" if value is None else f"{value:.2f}"

    def row(label: str, n: dict[str, Any]) -> str:
        return (
            f"| {label} | {n['n']} | {n['positives']} | {cell(n.get('precision'))} | "
            f"{cell(n.get('recall'))} | {cell(n.get('ap'))} | {cell(n.get('p_at_r95'))} |"
        )

    lines = [
        "| " + " | ".join(columns) + " |",
        "|---|" + "---:|" * (len(columns) - 1),
        row(everything, report["all"]),
    ]
    for column in ("language", "channel"):
        for value, numbers in report.get(column, {}).items():
            lines.append(row(names.get(value, value), numbers))
    return lines


def entry(manifest: dict[str, Any], *, organisation: str = PLACEHOLDER) -> str:
    """The draft register entry in Dutch, as Markdown."""
    metrics = manifest.get("metrics", {})
    independent = metrics.get("independent_test")
    points = manifest.get("operating_points", {})
    training = manifest.get("training", {})
    lines = [
        f"# Algoritmeregister — conceptbeschrijving: Signaal klachtherkenning ({manifest['version']})",
        "",
        "*Concept, gemaakt met `signaal model register-entry` uit het manifest van het model. Controleer "
        "en vul aan voordat u het publiceert.*",
        "",
        "## Algemene informatie",
        "",
        "- **Naam:** Signaal klachtherkenning",
        f"- **Organisatie:** {organisation}",
        "- **Status:** in gebruik (concept van de beschrijving)",
        f"- **Versie van het model:** `{manifest['version']}`, getraind op {manifest['created'][:10]}",
        "- **Type algoritme:** zelflerend (logistische regressie op tekstkenmerken en een taalmodel)",
        f"- **Contact:** {PLACEHOLDER}",
        "",
        "## Doel en impact",
        "",
        "Burgers schrijven de organisatie via e-mail, webformulieren, sociale media, telefoon en balie. "
        "De Nationale ombudsman ziet *elke uiting van ontevredenheid* als een klacht, ook als de schrijver "
        "het geen klacht noemt. Het algoritme leest elk binnenkomend bericht en markeert berichten waarin "
        "ontevredenheid over het handelen van de organisatie doorklinkt, zodat een medewerker de burger "
        "snel persoonlijk kan benaderen en het probleem kan oplossen. Het algoritme neemt geen besluit "
        "over een burger: het bepaalt alleen welke berichten een medewerker als eerste ziet.",
        "",
        "## Menselijke tussenkomst",
        "",
        "- Elk gemarkeerd bericht wordt door een medewerker gelezen, die het signaal bevestigt of afwijst.",
        "- Berichten die niet gemarkeerd zijn, worden niet weggegooid en niet automatisch afgehandeld; ze "
        "blijven in Signaal opgeslagen.",
        "- Tekst die geen leesbare taal is (verkeerde tekenset, willekeurige tekens) krijgt de band "
        "*onleesbaar* en gaat naar de frontoffice om zelf te bekijken.",
        "- De zinnen die de score het meest bepaalden worden bij elk signaal getoond (uitlegbaarheid).",
        "- Bevestigingen en afwijzingen van medewerkers worden gebruikt om het model opnieuw te trainen; een "
        "nieuwe versie wordt alleen actief als hij op een onafhankelijke kalibratieset niet slechter "
        "presteert.",
        "",
        "## Data",
        "",
        f"- **Trainingsdata:** {training.get('rows', '?')} berichten ({training.get('positives', '?')} "
        "klachten), voor het project geschreven voorbeeldberichten in het Nederlands en Engels "
        "(`data/seed/`); geen echte burgerberichten. Na ingebruikname komen daar de beoordelingen van "
        "medewerkers bij.",
        "- **Onafhankelijke evaluatieset:** berichten geschreven door andere schrijvers, die de "
        "trainingsdata nooit hebben gezien (`data/eval/`). "
        + (
            "Drempels zijn gekozen op het kalibratiedeel; de cijfers hieronder komen uitsluitend van het "
            "testdeel."
            if points
            else "De drempel van dit model is niet op die set gekozen."
        ),
        "- **Persoonsgegevens:** berichten van burgers zijn persoonsgegevens (AVG). Het model bewaart geen "
        "berichten; de organisatie legt bewaartermijnen vast in Signaal.",
        "",
        "## Technische werking",
        "",
        f"- Taalmodel (encoder): `{manifest['encoder']['id']}`, lagen "
        f"{', '.join(str(x) for x in manifest['encoder']['layers'])}, lokaal uitgevoerd (geen externe "
        "dienst, geen gegevens naar derden).",
        "- Tekstkenmerken: letter- en woordcombinaties (n-grammen); aanhef, ondertekening, handtekening, "
        "disclaimers en geciteerde eerdere e-mail worden vóór het scoren weggelaten.",
        "- Beslisregel per taal: een bericht wordt gemarkeerd als de score boven de drempel van zijn taal "
        "ligt; de band *hoog* geldt waar bijna elk gemarkeerd bericht een klacht was.",
    ]
    for code, point in points.items():
        lines.append(
            f"  - {LANGUAGE_NAMES.get(code, code)}: drempel {point['threshold']:.3f}, *hoog* vanaf "
            f"{point['high_threshold']:.3f} (gekozen op {point['n']} berichten van het kalibratiedeel, "
            f"recall ≥ {point['recall_target']:.2f})"
        )
    lines += ["", "## Prestaties op de onafhankelijke testset", ""]
    if independent:
        lines += [
            "Precisie: welk deel van de gemarkeerde berichten echt een klacht was. Recall: welk deel van de "
            "klachten gemarkeerd werd. AP en precisie bij recall ≥ 0,95 zijn onafhankelijk van de drempel.",
            "",
            *metrics_table(independent, names={**LANGUAGE_NAMES, **CHANNEL_NAMES}),
        ]
    else:
        lines.append("Dit model is niet gemeten op de onafhankelijke set; meet het voordat u publiceert.")
    lines += [
        "",
        "## Risico's en bekende beperkingen",
        "",
        "- De trainingsdata is voor het project geschreven, niet afkomstig uit echte post; echte berichten "
        "kunnen anders zijn. Blijf steekproeven van niet-gemarkeerde berichten bekijken.",
        "- Het model mist soms ontevredenheid die heel indirect is verwoord, en markeert soms neutrale "
        "berichten met klachtwoorden. Een medewerker beslist altijd.",
        "- Andere talen dan Nederlands en Engels worden gescoord met de algemene drempel en zijn niet "
        "gemeten.",
        "- Het model beoordeelt de inhoud van een bericht, niet de persoon: het gebruikt geen naam, adres, "
        "leeftijd of andere persoonskenmerken als invoer.",
        "",
        "## Wettelijke grondslag",
        "",
        "- Algemene wet bestuursrecht, hoofdstuk 9 (klachtbehandeling), en de klachtregeling van de "
        f"organisatie: {PLACEHOLDER}.",
        "- AVG: verwerking van persoonsgegevens voor de behandeling van klachten en vragen.",
    ]
    return "\n".join(lines) + "\n"
