"""The seed data generator (data/seed/make_seed.py): it rebuilds messages.csv byte for byte, the
hand-written editions v1 and v2 never change, and every row's label agrees with its category or kind."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import random
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / "data" / "seed"
MESSAGES = SEED_DIR / "messages.csv"

# sha256 of the v1 + v2 part of messages.csv (header and the 2,632 rows up to nl-1725 / en-0907).
V1_V2_SHA256 = "9fb50e2181312ecbfe5fb5a91fe0c626609e70cff541235092a91019fb78552c"
V1_V2_ROWS = 2632
V1_V2_LAST = {"nl": 1725, "en": 907}


def load_make_seed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_seed", SEED_DIR / "make_seed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_seed() -> ModuleType:
    return load_make_seed()


@pytest.fixture(scope="module")
def v1_v2_csv(make_seed: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_seed.build_csv(free_dir=str(tmp_path_factory.mktemp("no_free")))


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def kind_table() -> dict[str, int]:
    """kind -> label from the '## Kinds' table of data/LABELLING.md, read here independently."""
    text = (ROOT / "data" / "LABELLING.md").read_text(encoding="utf-8")
    section = text.split("\n## Kinds", 1)[1].split("\n## ", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^\|\s*`([a-z_]+)`\s*\|\s*([01])\s*\|", section, re.M)}


def test_the_generator_rebuilds_messages_csv_byte_for_byte(make_seed: ModuleType) -> None:
    built = make_seed.build_csv()
    on_disk = MESSAGES.read_bytes().decode("utf-8")
    assert built == on_disk, "messages.csv is stale: run python data/seed/make_seed.py"


def test_v1_and_v2_do_not_depend_on_the_free_files(v1_v2_csv: str) -> None:
    assert hashlib.sha256(v1_v2_csv.encode("utf-8")).hexdigest() == V1_V2_SHA256
    assert MESSAGES.read_bytes().startswith(v1_v2_csv.encode("utf-8"))
    rows = rows_of(v1_v2_csv)
    assert len(rows) == V1_V2_ROWS
    for code, last in V1_V2_LAST.items():
        ids = [r["id"] for r in rows if r["language"] == code]
        assert ids and sorted(ids) == [f"{code}-{i:04d}" for i in range(1, last + 1)]


def test_every_label_agrees_with_its_category_or_kind(make_seed: ModuleType) -> None:
    kinds = kind_table()
    assert kinds["question"] == 0 and kinds["treatment"] == 1 and len(kinds) >= 20
    rows = rows_of(MESSAGES.read_text(encoding="utf-8"))
    wrong = []
    for r in rows:
        if r["category"] in kinds:
            expected = kinds[r["category"]]
        elif r["category"].startswith("neg_"):
            expected = 0
        else:
            assert r["category"] in make_seed.POSITIVE, r["id"]
            expected = 1
        if int(r["label"]) != expected:
            wrong.append(r["id"])
    assert wrong == []
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"] for r in rows}) == len(rows)


def free_row(text: str, kind: str = "question", label: int = 0, channel: str = "email") -> str:
    return (
        json.dumps(
            {
                "text": text,
                "label": label,
                "language": "nl",
                "channel": channel,
                "kind": kind,
                "organisation": "gemeente",
                "writer": "test",
            },
            ensure_ascii=False,
        )
        + "\n"
    )


def test_free_rows_continue_the_ids_keep_their_split_and_skip_known_texts(
    make_seed: ModuleType, v1_v2_csv: str, tmp_path: Path
) -> None:
    known = rows_of(v1_v2_csv)[0]["text"]
    texts = [f"Wanneer is het zwembad in wijk {i} open?" for i in range(12)]
    (tmp_path / "a.jsonl").write_text(
        "".join(free_row(t) for t in texts[:6]) + free_row(known), encoding="utf-8"
    )
    first = rows_of(make_seed.build_csv(free_dir=str(tmp_path)))
    assert first[:V1_V2_ROWS] == rows_of(v1_v2_csv)
    new = first[V1_V2_ROWS:]
    assert [r["id"] for r in new] == [f"nl-{i:04d}" for i in range(1726, 1732)]
    assert {r["category"] for r in new} == {"question"} and {r["label"] for r in new} == {"0"}

    (tmp_path / "b.jsonl").write_text("".join(free_row(t) for t in texts[6:]), encoding="utf-8")
    second = rows_of(make_seed.build_csv(free_dir=str(tmp_path)))
    split = {r["text"].split("\n\n")[0]: r["split"] for r in second[V1_V2_ROWS:]}
    assert len(split) == len(texts)
    for r in new:
        assert split[r["text"].split("\n\n")[0]] == r["split"]


def test_a_label_that_disagrees_with_the_kind_is_rejected_by_file_and_line(
    make_seed: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "bad.jsonl").write_text(
        free_row("Waar vind ik het formulier?")
        + free_row("Hoe maak ik bezwaar?", kind="how_to_object", label=1),
        encoding="utf-8",
    )
    with pytest.raises(SystemExit, match=r"bad\.jsonl:2: label 1 disagrees with kind 'how_to_object'"):
        make_seed.build_csv(free_dir=str(tmp_path))


def test_wrappers_of_held_out_rows_come_only_from_the_held_out_part(make_seed: ModuleType) -> None:
    rng = random.Random(7)
    for code in ("nl", "en"):
        pools = make_seed.load_wrappers(code)
        train_only = [t for key in ("disclaimers", "sent_from") for t in make_seed.part(pools[key], "train")]
        for _ in range(200):
            text = make_seed.wrap_free("Kunt u mij helpen?", code, "uwv", "heldout", rng)
            assert "{" not in text
            assert not [t for t in train_only if t in text.split("\n\n")]
