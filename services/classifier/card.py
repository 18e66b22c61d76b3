"""The model card: what a model folder holds, how it was made, and how well it does, from its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.classifier import chunks

DESIGN = """\
## Method

- **Features.** Two parts, concatenated:
  1. *Hashed n-grams* work in any language. They are character n-grams of 2–5 characters within
     word boundaries, plus word unigrams and bigrams. Each kind is hashed into 2^18 columns and
     weighted by sublinear TF × IDF, with the IDF learned from the training rows and stored.
     Each block is L2-normalised.
  2. *Encoder layers* come from `{encoder}`, run offline. The encoder is cut to its first
     {max_layer} layers. The mean-pooled outputs of layers {layers} are each L2-normalised and
     concatenated ({dim} values). It runs on ONNX Runtime with int8 weights (`encoder.onnx`,
     exported at training time).{tuning}
- **Head.** Logistic regression with C={C} and balanced class weights.
- **Threshold.** It is chosen on out-of-fold predictions ({folds}-fold CV on the training rows)
  as the highest score at which recall is still ≥ {recall_target}. The target is set above 0.95 so
  that held-out recall stays ≥ 0.95. The `high` band starts where out-of-fold precision reaches 0.9.
- **First pass.** An n-gram-only head runs without the encoder. It settles a message as *not a
  complaint* when its score is below {cutoff}. Out of fold, that cut-off cost at most 0.5 % of
  recall, and it settled {settled:.0%} of the training messages.
- **Long texts.** These are cut into windows of whole sentences, at most {max_tokens} tokens each.
  The n-gram first pass reads every window, and the whole text as the sum of its windows. The
  encoder reads the windows the first pass finds most suspicious first, skips those it settles
  as not dissatisfied, always includes the opening window (the new part of an email), and reads
  at most {max_windows} windows per message. It stops early once a window reaches the `high`
  band, because more windows cannot change the decision. The message scores the maximum over
  the windows read, and its phrases come from the window with that score.
- **Why flagged.** Each n-gram contributes its weight × its value. These contributions are spread
  over the words they cover. Runs of adjacent words that push the score up become phrases, with
  offsets into the text. The strongest sentence is reported too.
"""

LIMITATIONS = """\
## Limitations

- The seed data is written for the project (see `data/seed/README.md`), not taken from real citizen
  mail. Real traffic will differ, so retrain with staff feedback (`signaal train --from-feedback`).
- The default encoder is English. Dutch relies mostly on the n-gram features, which are weaker on
  paraphrase and sarcasm that share few words with the training data.
- The threshold favours recall: about one flagged message in three or four is not a complaint.
  Staff dismiss those in the queue, and their dismissals become training labels.
- Cue words that the seed data ties to complaints can flag a harmless message on their own. For
  example, "again" or "weer" is a repeated-contact cue, so "Thank you, the streetlight works
  again." scores high. A neutral question right after a pending application ("I applied for a
  passport on 3 March. Can I make an appointment to collect it?") can still land just above the
  threshold. Staff feedback is the remedy.
- Scores are not calibrated probabilities. The classes were balanced in training, so compare a
  score with the threshold, not with 0.5.
- Automated mail (bounces, auto-replies) never reaches the model. The stage routes it to
  `automated` first.
"""


def render(manifest: dict[str, Any]) -> str:
    encoder = manifest["encoder"]
    metrics = manifest.get("metrics", {})
    cv = metrics.get("cv", {})
    lines = [
        f"# Model card: {manifest['version']}",
        "",
        f"- **Version:** `{manifest['version']}`, trained {manifest['created']}.",
        f"- **Task:** does a citizen's message express dissatisfaction (a complaint in the Ombudsman's "
        f"sense)? Output: a score, a decision at threshold {manifest['threshold']:.4f}, a band "
        f"(`high` from {manifest['high_threshold']:.4f}), and the phrases that drove the score.",
        f"- **Files:** {', '.join(f'`{name}`' for name in manifest['files'])}, and `manifest.json` "
        "(sha256 of each file, checked on load). No pickle anywhere.",
        f"- **Training data:** {manifest['training']['rows']} rows ({manifest['training']['positives']} "
        f"complaints) from {', '.join(Path(s).name for s in manifest['training']['sources'])}. This is "
        "the train split of the project's seed set, written for Signaal. How it was made is "
        "described in `data/seed/README.md`. The held-out split was never used for fitting.",
        "",
        DESIGN.format(
            encoder=encoder["id"],
            max_layer=max(encoder["layers"]),
            layers=", ".join(str(x) for x in encoder["layers"]),
            dim=encoder["dim"],
            max_tokens=encoder["max_tokens"],
            max_windows=(manifest.get("long_texts") or {}).get(
                "max_encoded_windows", chunks.MAX_ENCODED_WINDOWS
            ),
            tuning=_tuning(encoder.get("finetune")),
            C=manifest["head"]["C"],
            folds=cv.get("folds", "?"),
            recall_target=manifest["recall_target"],
            cutoff=(manifest.get("first_pass") or {}).get("cutoff"),
            settled=metrics.get("cv_first_pass_settled_share", 0.0),
        ),
        "## Metrics",
        "",
        f"At the stored threshold ({manifest['threshold']:.4f}).",
        "",
        "| data | n | precision | recall | F1 | macro-F1 |",
        "|---|---:|---:|---:|---:|---:|",
        _row(f"training rows, {cv.get('folds', '?')}-fold CV (out of fold)", cv),
    ]
    lines += _independent(manifest)
    heldout = metrics.get("heldout")
    if heldout:
        lines.append(_row("**held-out split**", heldout))
        for column, groups in heldout.get("by", {}).items():
            for value, numbers in groups.items():
                lines.append(_row(f"held-out, {column} = {value}", numbers))
    lines += ["", LIMITATIONS]
    return "\n".join(lines)


ENGLISH_COLUMNS = ("part", "messages", "complaints", "precision", "recall", "AP", "P@R≥0.95")


def _independent(manifest: dict[str, Any]) -> list[str]:
    """Operating points per language and the figures on the independent set's test part."""
    from services.classifier import register

    lines: list[str] = []
    points = manifest.get("operating_points") or {}
    if points:
        lines += [
            "",
            "**Operating points per language**, chosen on the calibration part of the independent set",
            "",
        ]
        lines += [
            f"- `{code}`: flag from {p['threshold']:.4f} (recall ≥ {p['recall_target']} on {p['n']} "
            f"calibration messages), `high` from {p['high_threshold']:.4f} "
            f"(precision ≥ {p['high_precision']})"
            for code, p in points.items()
        ]
    test = (manifest.get("metrics") or {}).get("independent_test")
    if test:
        lines += [
            "",
            "**Independent test part** (`data/eval/`, written by writers who never saw the training data; "
            "never used to choose anything). AP and P@R≥0.95 do not depend on the threshold.",
            "",
            *register.metrics_table(test, columns=ENGLISH_COLUMNS, everything="all"),
            "",
            "At the stored threshold on the generator's own held-out split (below) the figures look better, "
            "because that split comes from the same generator as the training rows.",
        ]
    return lines


def _tuning(finetune: dict[str, Any] | None) -> str:
    if not finetune:
        return " Its weights are the published ones."
    return (
        f"\n     Before export, these layers were **fine-tuned** on the training rows: "
        f"{finetune['epochs']} epochs of class-balanced cross-entropy through a temporary linear layer "
        f"(AdamW, learning rate {finetune['learning_rate']:g}, batches of {finetune['batch_size']}, "
        "seeded). The out-of-fold predictions below tune a separate encoder per fold, so no row was "
        "scored by an encoder trained on it."
    )


def _row(name: str, numbers: dict[str, Any]) -> str:
    if not numbers:
        return f"| {name} | | | | | |"
    return (
        f"| {name} | {numbers['n']} | {numbers['precision']:.3f} | {numbers['recall']:.3f} | "
        f"{numbers['f1']:.3f} | {numbers['macro_f1']:.3f} |"
    )


def write(model_dir: Path, manifest: dict[str, Any]) -> Path:
    target = model_dir / "MODEL_CARD.md"
    target.write_text(render(manifest) + "\n", encoding="utf-8")
    return target
