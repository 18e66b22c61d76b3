"""Build data/eval/messages.csv from the hand-written parts and the scripted garbled rows.

Usage: python data/eval/build.py [--check]

The parts (parts/*.jsonl) were written one message at a time by writers who never read
the training data; see README.md. This script only validates them, adds the `garbled`
rows (which no person writes), numbers the rows and assigns each to the calibration or
the test part by a hash of its text, so adding rows never moves an existing row to the
other part. Standard library only; the output is the same byte for byte on every run.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "messages.csv"
PARTS = HERE / "parts"
LABELLING = HERE.parent / "LABELLING.md"
HEADER = ["id", "text", "label", "language", "channel", "kind", "organisation", "writer", "split"]
KEYS = {"text", "label", "language", "channel", "kind", "organisation", "writer", "note"}
CHANNELS = {"email", "webform", "social", "phone", "letter"}
ORGANISATIONS = {
    *("gemeente", "uwv", "belastingdienst", "toeslagen", "duo", "cjib", "rdw", "svb", "waterschap"),
    *("ggd", "ind", "provincie", "other"),
}
CALIBRATION_SHARE = 40  # percent; thresholds may be chosen there, figures come from the test part
GARBLED_SEED = 20261205
GARBLED_ROWS = 40


def kinds() -> dict[str, int]:
    """The kinds and their labels, read from the shared labelling guide's table."""
    table = {}
    for line in LABELLING.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[1] in ("0", "1"):
            table[cells[0].strip("`")] = int(cells[1])
    return table


def written_rows() -> list[dict[str, str]]:
    labels = kinds()
    rows, seen = [], set()
    for part in sorted(PARTS.glob("*.jsonl")):
        for number, line in enumerate(part.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{part.name}:{number}"
            row = json.loads(line)
            if set(row) - {"note"} != KEYS - {"note"} and set(row) != KEYS:
                raise SystemExit(f"{where}: keys {sorted(row)} differ from {sorted(KEYS)}")
            if row["kind"] not in labels or row["kind"] == "garbled":
                raise SystemExit(f"{where}: unknown kind {row['kind']!r}")
            if int(row["label"]) != labels[row["kind"]]:
                raise SystemExit(f"{where}: kind {row['kind']} has label {labels[row['kind']]}")
            if row["channel"] not in CHANNELS or row["organisation"] not in ORGANISATIONS:
                raise SystemExit(f"{where}: unknown channel or organisation")
            if row["language"] not in ("nl", "en") or not row["text"].strip():
                raise SystemExit(f"{where}: language must be nl or en, and the text not empty")
            if row["text"] in seen:
                continue  # two writers wrote the same short text: keep it once
            seen.add(row["text"])
            rows.append({k: str(row[k]) for k in HEADER if k in row})
    return rows


def garbled_rows() -> list[dict[str, str]]:
    """Text no person wrote: random strings, binary read as text, a wrong character set."""
    rng = random.Random(GARBLED_SEED)
    samples = [
        "Здравствуйте, я пишу по поводу моего разрешения на проживание и хочу узнать статус.",
        "مرحبا، أكتب بخصوص طلبي للحصول على إعانة الإيجار ولم أتلق أي رد حتى الآن",
        "您好，我想询问一下我的居留许可申请的进度，已经等了很久了。",
        "Γεια σας, θα ήθελα να μάθω πότε θα εξεταστεί η αίτησή μου για άδεια παραμονής.",
    ]
    makers = [
        lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz    ") for _ in range(rng.randint(40, 400))),
        lambda: " ".join(
            "".join(rng.choice("qwertyuiopasdfghjklzxcvbnm") for _ in range(rng.randint(3, 11)))
            for _ in range(rng.randint(6, 40))
        ),
        lambda: base64.b64encode(rng.randbytes(rng.randint(60, 600))).decode("ascii"),
        lambda: rng.randbytes(rng.randint(80, 800)).decode("cp1252", errors="replace"),
        lambda: rng.randbytes(rng.randint(80, 800)).decode("latin-1"),
        lambda: rng.choice(samples).encode("utf-8").decode("latin-1"),
        lambda: rng.choice(samples).encode("utf-8").decode("cp1252", errors="replace"),
        lambda: rng.choice(samples).encode("utf-16-le").decode("latin-1"),
    ]
    rows = []
    for n in range(GARBLED_ROWS):
        text = makers[n % len(makers)]()
        rows.append(
            {
                "text": text,
                "label": "0",
                "language": "und",  # no language: reported on its own, not in nl or en
                "channel": rng.choice(["email", "webform"]),
                "kind": "garbled",
                "organisation": "other",
                "writer": "script",
            }
        )
    return rows


def split_of(text: str) -> str:
    bucket = int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16) % 100
    return "calibration" if bucket < CALIBRATION_SHARE else "test"


def build() -> str:
    rows = written_rows() + garbled_rows()
    counters: dict[str, int] = {}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        code = row["language"]
        counters[code] = counters.get(code, 0) + 1
        row["id"] = f"eval-{code}-{counters[code]:04d}"
        row["split"] = split_of(row["text"])
        # CSV cannot hold NUL; a garbled row with one is kept with U+2400 (the NUL symbol) instead.
        row["text"] = row["text"].replace("\x00", "\u2400")
        writer.writerow(row)
    return out.getvalue()


def main(argv: list[str]) -> int:
    content = build()
    if "--check" in argv:
        if OUT.read_bytes().decode("utf-8") != content:
            print(f"{OUT} is not what build.py makes; run python data/eval/build.py", file=sys.stderr)
            return 1
        print(f"{OUT.name} matches its parts")
        return 0
    OUT.write_text(content, encoding="utf-8", newline="")
    print(f"wrote {OUT} ({content.count(chr(10)) - 1} lines incl. multi-line texts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
