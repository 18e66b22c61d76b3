"""Worst case per stage: 1 MB pathological inputs through each stage's text path.

    .venv/bin/python bench/pathological.py [--size 1000000] [--no-model] [--json]

Issue 18 found regexes that backtrack on citizen text (40,000 dots held the only
classify worker 73 s; 128 KB of unclosed `<script ` held mailbox ingest 23 s). This
feeds inputs of that kind, `--size` characters each, through:

- ingest: `shared.mail.parse_email` on a raw mail carrying the input (as a text body,
  an HTML body, or a header), and `shared.htmltext.html_to_text` on the HTML alone;
- classify: `chunks.sentences`, the n-gram features, and the model's full scoring of
  the text the classify stage reads (`stage.MAX_SCORED_CHARS` of it), flagged so that
  explanations, department hints and language detection run too;
- route: the rules' keyword and regex conditions, the handler-name check, and the
  same-problem vector (`similarity.ngram_vector`).

It prints the worst input and its time per stage; no figure is asserted. A stage that
is linear stays around a second here; a quadratic step would take minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.classifier import chunks, registry  # noqa: E402
from services.classifier import stage as classify_stage  # noqa: E402
from services.classifier.hints import DepartmentText  # noqa: E402
from services.classifier.model import Classifier  # noqa: E402
from services.router import names, rules, similarity  # noqa: E402
from shared import htmltext, mail  # noqa: E402
from shared.models import Message  # noqa: E402
from shared.settings import Settings  # noqa: E402

# A rule pattern that backtracks catastrophically: the time box, not the pattern, bounds it.
CATASTROPHIC_RULE = r"(a+)+$"
DEPARTMENTS = [
    DepartmentText("Afval", "Containers, ophalen van huisvuil", ("container", "afval")),
    DepartmentText("Parkeren", "Vergunningen en boetes", ("parkeren", "naheffing")),
    DepartmentText("Belastingen", "WOZ en aanslagen", ("aanslag", "woz")),
]


def texts(size: int) -> dict[str, str]:
    """Citizen text shaped to hurt regexes and parsers, each `size` characters."""

    def fill(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return {
        "dots": "Ik wacht al weken" + fill("."),
        "!?-runs": "Waarom" + fill("!?"),
        "ellipses": "Nou" + fill("…"),
        "dots-quotes": fill('."'),
        "whitespace": "begin" + fill(" \t") + "einde",
        "newline-spaces": "begin\n" + fill(" ") + "einde",
        "blank-lines": "begin" + fill("\n \n") + "einde",
        "one-word": fill("a"),
        "many-words": fill("klacht "),
        "parentheses": fill("("),
        "no-at-address": fill("x"),
    }


def html_inputs(size: int) -> dict[str, str]:
    def fill(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return {
        "unclosed-script": "<p>Mijn container is niet geleegd.</p>" + fill("<script "),
        "unclosed-style": "<p>Mijn container is niet geleegd.</p>" + fill("<style "),
        "closed-scripts": "<p>Mijn container.</p>" + fill("<script>x</script>"),
        "nested-divs": fill("<div>") + "Mijn container is niet geleegd.",
        "nested-inline": fill("<b><i>") + "Mijn container is niet geleegd.",
        "open-angles": fill("<"),
        "whitespace": "<p>" + fill(" ") + "Mijn container.</p>",
    }


def raw_mails(size: int) -> dict[str, bytes]:
    """Raw mails carrying the inputs where a mail parser meets them: body, HTML body, headers."""
    head = "From: J. Jansen <j.jansen@example.nl>\r\nTo: info@example.nl\r\nMessage-ID: <p@example.nl>\r\n"
    mails = {}
    for name, text in texts(size).items():
        mails[f"text:{name}"] = (
            head + "Subject: Klacht\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text
        ).encode()
    for name, html in html_inputs(size).items():
        mails[f"html:{name}"] = (
            head + "Subject: Klacht\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
        ).encode()
    filler = texts(size)
    mails["header:subject-words"] = (head + f"Subject: {filler['many-words']}\r\n\r\nTekst").encode()
    mails["header:auto-submitted-parens"] = (
        head + f"Auto-Submitted: {filler['parentheses']}\r\n\r\nTekst"
    ).encode()
    mails["header:from-without-at"] = (f"From: {filler['no-at-address']}\r\nSubject: x\r\n\r\nTekst").encode()
    mails["header:references"] = (head + "References: " + "<a@b> " * (size // 6) + "\r\n\r\nTekst").encode()
    return mails


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def worst(cases: dict[str, Callable[[], object]]) -> tuple[str, float]:
    """The slowest case and its seconds (each case runs once: the first run is the one that hurts)."""
    results = {name: timed(call) for name, call in cases.items()}
    name = max(results, key=results.__getitem__)
    return name, results[name]


def ingest_cases(size: int) -> dict[str, Callable[[], object]]:
    cases: dict[str, Callable[[], object]] = {}
    for name, raw in raw_mails(size).items():
        cases[f"parse_email {name}"] = lambda raw=raw, name=name: mail.parse_email(
            raw, source="bench", dedupe_key=name
        )
    for name, html in html_inputs(size).items():
        cases[f"html_to_text {name}"] = lambda html=html: htmltext.html_to_text(html)
    return cases


def scored(text: str) -> str:
    """The text the classify stage hands the model (its length cap included)."""
    return classify_stage._scored_text(Message(text=text, subject=""))


def classify_cases(size: int, classifier: Classifier | None) -> dict[str, Callable[[], object]]:
    cases: dict[str, Callable[[], object]] = {}
    for name, text in texts(size).items():
        cases[f"sentences {name}"] = lambda text=text: chunks.sentences(text)
        if classifier is not None:
            cases[f"features {name}"] = lambda text=text: classifier.ngrams.counts([scored(text)])
            # Threshold 0 flags every text, so each is also explained and given department hints: the
            # stage's most expensive path. Each text is new to the model's cache.
            cases[f"score {name}"] = lambda text=text: classifier.score(
                [scored(text)], threshold=0.0, departments=DEPARTMENTS
            )
    return cases


def route_cases(size: int) -> dict[str, Callable[[], object]]:
    facts_text = {name: text for name, text in texts(size).items()}
    facts_text["a-run"] = "a" * size + "!"
    cases: dict[str, Callable[[], object]] = {}
    for name, text in facts_text.items():
        facts = rules.Facts(channel="email", subject="Klacht", text=text, sender="j@example.nl")
        keyword_rule = rules.ConfiguredRule(
            name="k", description="", department_id=1, department="Afval",
            conditions={"keywords": ["container", "afvalbak"]},
        )  # fmt: skip
        regex_rule = rules.ConfiguredRule(
            name="r", description="", department_id=1, department="Afval",
            conditions={"regex": CATASTROPHIC_RULE},
        )  # fmt: skip
        cases[f"keywords {name}"] = lambda facts=facts, rule=keyword_rule: rule.check(facts)
        cases[f"regex {name}"] = lambda facts=facts, rule=regex_rule: rule.check(facts)
        cases[f"is_named {name}"] = lambda text=text: names.is_named("Petra de Vries", text)
        cases[f"ngram_vector {name}"] = lambda text=text: similarity.ngram_vector(text)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="characters per input (default 1 MB)")
    parser.add_argument("--no-model", action="store_true", help="skip the model's features and scoring")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    classifier = None
    if not args.no_model:
        settings = Settings()
        classifier = Classifier.load(
            registry.resolve(settings.model_dir), threads=settings.classifier_threads
        )
        classifier.score(["Opwarmen van het model."])  # the first call's set-up is not an input's cost
    stages = {
        "ingest": ingest_cases(args.size),
        "classify": classify_cases(args.size, classifier),
        "route": route_cases(args.size),
    }
    results = {stage: worst(cases) for stage, cases in stages.items()}
    if args.json:
        print(json.dumps({s: {"worst_input": n, "seconds": round(t, 3)} for s, (n, t) in results.items()}))
        return
    print(f"inputs of {args.size:,} characters; classify reads {classify_stage.MAX_SCORED_CHARS:,} of them")
    print(f"{'stage':<10} {'worst_input':<44} {'seconds':>8}")
    for stage, (name, seconds) in results.items():
        print(f"{stage:<10} {name:<44} {seconds:>8.3f}")


if __name__ == "__main__":
    main()
