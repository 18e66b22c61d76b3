"""Labelled examples from CSV files (and, for retraining, from staff feedback in the database)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.classifier.exceptions import TrainingDataError

_TRUE = {"1", "true", "yes", "ja", "complaint", "klacht"}
_FALSE = {"0", "false", "no", "nee", "not_complaint", "geen"}


@dataclass
class Example:
    text: str
    label: int
    language: str = ""
    channel: str = ""
    split: str = ""
    source: str = ""
    weight: float = 1.0  # how much this example counts in training (staff feedback counts more)
    extra: dict[str, str] = field(default_factory=dict)


def read_csv(
    path: Path, *, text_column: str = "text", label_column: str = "label", split: str | None = None
) -> list[Example]:
    """Rows of one CSV; `split` keeps only rows whose `split` column has that value (if the column exists)."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise TrainingDataError(f"{path}: file not found.") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for needed in (text_column, label_column):
            if needed not in columns:
                raise TrainingDataError(
                    f"{path}: no column {needed!r} (columns: {', '.join(columns) or 'none'}); "
                    "name the columns with --text-column / --label-column."
                )
        examples = []
        for line, row in enumerate(reader, start=2):
            label = _label(row[label_column], path, line)
            example = Example(
                text=row[text_column] or "",
                label=label,
                language=row.get("language") or "",
                channel=row.get("channel") or "",
                split=row.get("split") or "",
                source=str(path),
                extra={k: v for k, v in row.items() if k in ("category", "domain") and v},
            )
            if split is None or "split" not in columns or example.split == split:
                examples.append(example)
    return examples


def read_all(
    paths: Sequence[Path], *, text_column: str = "text", label_column: str = "label", split: str | None = None
) -> list[Example]:
    examples = [
        e for p in paths for e in read_csv(p, text_column=text_column, label_column=label_column, split=split)
    ]
    if not examples:
        raise TrainingDataError("No labelled rows found in " + ", ".join(str(p) for p in paths) + ".")
    return examples


def require_both_classes(examples: Iterable[Example]) -> None:
    labels = {e.label for e in examples}
    if labels != {0, 1}:
        raise TrainingDataError("Training needs examples of both classes (label 0 and label 1).")


def _label(value: str | None, path: Path, line: int) -> int:
    cleaned = (value or "").strip().lower()
    if cleaned in _TRUE:
        return 1
    if cleaned in _FALSE:
        return 0
    raise TrainingDataError(f"{path}, line {line}: label {value!r} is not 0/1 (or true/false).")
