#!/usr/bin/env python3
"""Build data/seed/messages.csv for the Signaal complaint classifier.

Deterministic, standard library only. All text comes from the hand-written
building blocks in ./seedparts/ (written for the Signaal project, EUPL-1.2).

Usage:
    python make_seed.py            # writes messages.csv next to this file
    python make_seed.py --check    # writes, then prints counts and overlap checks
    python make_seed.py --stdout   # writes the CSV to stdout instead

Held-out split: every pool of building blocks (situations, kernels, full message
bodies, social posts, greetings, closings, report openers, objection parts, ...)
is cut into a train part and a held-out part by position (item index % 5 == 2 is
held out). Held-out rows are built only from held-out blocks and train rows only
from train blocks, so no held-out message shares a hand-written sentence with a
training message (apart from fill-in values such as street names and dates).

Supplement (v2): rows built from seedparts/*_supplement.py are appended after all
v1 rows, with their own random stream (SUPPLEMENT_SEED) created after the v1 rows
are built, so the first 2,249 rows stay byte-identical. Same split rule, same
channel wrappers and fill-ins; ids continue per language (nl-1423…, en-0828…).
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import sys
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from seedparts import common  # noqa: E402
from seedparts import en_blocks, en_full, en_social  # noqa: E402
from seedparts import nl_blocks, nl_full, nl_social  # noqa: E402
from seedparts import en_supplement, nl_supplement  # noqa: E402

SEED = 20240917
SUPPLEMENT_SEED = 20261129  # separate stream: v1 rows must not move
HELDOUT_MOD = 5
HELDOUT_RESIDUE = 2
HELDOUT_SHARE = 0.2

POSITIVE = [
    "explicit_complaint", "implicit_waiting", "implicit_pillar_to_post",
    "implicit_promise_broken", "implicit_repeated_contact", "sarcasm",
    "rhetorical_question", "formal_objection", "mixed_praise_dissatisfaction",
]
NEGATIVE = [
    "neg_neutral_report", "neg_question_how_to_object", "neg_negated_dissatisfaction",
    "neg_thanks_after_resolution", "neg_sad_life_event", "neg_information_request",
    "neg_praise", "neg_other",
]
CATEGORIES = POSITIVE + NEGATIVE

# Rows per (language, category). Chosen so that nl > 62 %, label 1 ~ 45 %.
TARGETS = {
    "nl": {
        "explicit_complaint": 75, "implicit_waiting": 75, "implicit_pillar_to_post": 70,
        "implicit_promise_broken": 70, "implicit_repeated_contact": 75, "sarcasm": 70,
        "rhetorical_question": 70, "formal_objection": 72, "mixed_praise_dissatisfaction": 70,
        "neg_neutral_report": 95, "neg_question_how_to_object": 100,
        "neg_negated_dissatisfaction": 95, "neg_thanks_after_resolution": 95,
        "neg_sad_life_event": 85, "neg_information_request": 120, "neg_praise": 95,
        "neg_other": 90,
    },
    "en": {
        "explicit_complaint": 44, "implicit_waiting": 44, "implicit_pillar_to_post": 40,
        "implicit_promise_broken": 40, "implicit_repeated_contact": 42, "sarcasm": 42,
        "rhetorical_question": 40, "formal_objection": 42, "mixed_praise_dissatisfaction": 42,
        "neg_neutral_report": 55, "neg_question_how_to_object": 58,
        "neg_negated_dissatisfaction": 56, "neg_thanks_after_resolution": 56,
        "neg_sad_life_event": 48, "neg_information_request": 70, "neg_praise": 56,
        "neg_other": 52,
    },
}

MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}
WEEKS = {
    "nl": ["vijf", "zes", "zeven", "acht", "negen", "tien", "elf", "twaalf", "veertien"],
    "en": ["five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fourteen"],
}
NUMS = {"nl": ["drie", "vier", "vijf", "zes"], "en": ["three", "four", "five", "six"]}
MONTHS_N = {"nl": ["twee", "drie", "vier", "vijf"], "en": ["two", "three", "four", "five"]}
TIMES = {
    "nl": ["veertig minuten", "drie kwartier", "ruim een uur", "52 minuten", "een half uur"],
    "en": ["forty minutes", "forty-five minutes", "over an hour", "52 minutes", "half an hour"],
}

# Templates for joining two neutral reports into one message (label 0).
REPORT_PAIR_JOIN = {
    "nl": ["{a} Daarnaast: {b}", "Twee dingen. {a} En verder: {b}", "{a} Ook zag ik dat: {b}",
           "{a}\n\nNog iets anders in dezelfde buurt: {b}", "Tijdens mijn rondje vanochtend zag ik het volgende. {a} Verder: {b}"],
    "en": ["{a} Also: {b}", "Two things. {a} And: {b}", "{a}\n\nSomething else nearby: {b}",
           "On my walk this morning I noticed the following. {a} Also: {b}"],
}


def split_of(index: int) -> str:
    return "heldout" if index % HELDOUT_MOD == HELDOUT_RESIDUE else "train"


def part(pool, split):
    """Items of a pool that belong to a split (stable, by position)."""
    return [item for i, item in enumerate(pool) if split_of(i) == split]


def tagged(text: str):
    """Split an optional 'A|', 'M|' or 'P|' tag from a block."""
    if len(text) > 2 and text[1] == "|" and text[0] in "AMP":
        return text[0], text[2:]
    return "", text


class Lang:
    def __init__(self, code):
        self.code = code
        if code == "nl":
            self.blocks, self.full, self.social = nl_blocks, nl_full, nl_social
        else:
            self.blocks, self.full, self.social = en_blocks, en_full, en_social


def make_ctx(rng: random.Random, lang: str) -> dict:
    if lang == "nl":
        first = rng.choice(common.FIRST_NAMES)
        last = rng.choice(common.LAST_NAMES)
    else:
        first = rng.choice(common.EXPAT_FIRST_NAMES)
        last = rng.choice(common.EXPAT_LAST_NAMES)
    place = rng.choice(common.PLACES)
    day = rng.randint(1, 28)
    month = rng.choice(MONTHS[lang])
    # date2 is never earlier than date (same year assumed)
    m2 = min(11, MONTHS[lang].index(month) + rng.randint(0, 2))
    month2 = MONTHS[lang][m2]
    day2 = rng.randint(day + 1, 28) if (month2 == month and day < 28) else rng.randint(1, 28)
    if month2 == month and day2 <= day:
        month2 = MONTHS[lang][min(11, m2 + 1)]
    year = rng.choice(["2022", "2023", "2024", "2025"])
    pattern = rng.randrange(5)
    if pattern == 0:
        case = f"Z-{year}-{rng.randint(100000, 999999)}"
    elif pattern == 1:
        case = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXZ") for _ in range(2)) + str(rng.randint(1000000, 9999999))
    elif pattern == 2:
        case = f"{year}/{rng.randint(10000, 99999)}"
    elif pattern == 3:
        case = f"BZ{rng.randint(100000, 999999)}"
    else:
        case = f"{rng.randint(1000, 9999)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}"
    euros = rng.choice([87, 142, 312, 468, 640, 975, 1240, 2310, 3875, 5120])
    cents = rng.choice([0, 0, 50, 15, 80])
    if lang == "nl":
        euros_s = f"{euros:,}".replace(",", ".")
        amount = f"€ {euros_s}" + (f",{cents:02d}" if cents else "")
    else:
        amount = f"€{euros:,}" + (f".{cents:02d}" if cents else "")
    gem = "@gemeente" + place.replace(" ", "")
    return {
        "name": f"{first} {last}", "fname": first, "street": rng.choice(common.STREETS),
        "nr": str(rng.randint(2, 180)), "place": place, "date": f"{day} {month}",
        "date2": f"{day2} {month2}", "case": case, "weeks": rng.choice(WEEKS[lang]),
        "months": rng.choice(MONTHS_N[lang]), "n": rng.choice(NUMS[lang]),
        "time": rng.choice(TIMES[lang]), "amount": amount, "phone": rng.choice(common.PHONES),
        "gem": gem, "child": rng.choice(common.CHILD_NAMES),
    }


def fill(text: str, ctx: dict) -> str:
    return text.format_map(ctx)


def casual(text: str) -> str:
    """Sloppy typing: all lower case, no final full stop."""
    t = text.lower()
    return t[:-1] if t.endswith(".") else t


class Builder:
    def __init__(self, lang: Lang, split: str, rng: random.Random):
        self.L = lang
        self.split = split
        self.rng = rng
        b = lang.blocks
        self.g_formal = part(b.GREETINGS_FORMAL, split)
        self.g_informal = part(b.GREETINGS_INFORMAL, split)
        self.c_formal = part(b.CLOSINGS_FORMAL, split)
        self.c_informal = part(b.CLOSINGS_INFORMAL, split)
        self.intros = part(b.INTROS, split)
        self.asks = part(b.ASKS, split)
        self.situations = [tagged(s) for s in part(b.SITUATIONS, split)]

    # -- channel renderers -------------------------------------------------
    def email(self, body: str, ctx: dict, formal_bias: float = 0.6) -> str:
        rng = self.rng
        formal = rng.random() < formal_bias
        greeting = rng.choice(self.g_formal if formal else self.g_informal)
        closing = rng.choice(self.c_formal if formal else self.c_informal)
        blocks = [greeting]
        if rng.random() < 0.3:
            blocks.append(fill(rng.choice(self.intros), ctx))
        blocks.append(body)
        if rng.random() < 0.5:
            blocks.append(fill(rng.choice(self.asks), ctx))
        sig = rng.random()
        if sig < 0.45:
            signature = ctx["name"]
        elif sig < 0.6:
            signature = f"{ctx['name']}\n{ctx['street']} {ctx['nr']}\n{ctx['place']}"
        elif sig < 0.75:
            tel = "Tel." if self.L.code == "nl" else "Phone:"
            signature = f"{ctx['name']}\n{tel} {ctx['phone']}"
        elif sig < 0.9:
            signature = ctx["fname"]
        else:
            lab = "Zaaknummer:" if self.L.code == "nl" else "Reference:"
            signature = f"{ctx['name']}\n{lab} {ctx['case']}"
        blocks.append(f"{closing}\n{signature}")
        return "\n\n".join(blocks)

    def webform(self, body: str, ctx: dict) -> str:
        rng = self.rng
        text = body
        r = rng.random()
        if r < 0.12:
            lab = "Zaaknummer" if self.L.code == "nl" else "Reference"
            text = f"{lab}: {ctx['case']}\n{text}"
        elif r < 0.22:
            if len(text) > 1 and text[1].islower():
                text = text[0].lower() + text[1:]
            text = f"{rng.choice(self.g_informal)} {text}"
        if rng.random() < 0.15:
            if text[-1:].isalnum():
                text += "."
            text = f"{text} {fill(rng.choice(self.asks), ctx)}"
        if rng.random() < 0.12:
            sep = "Groet, " if self.L.code == "nl" else "Thanks, "
            text = f"{text}\n{sep}{ctx['fname']}"
        if "\n" not in text and rng.random() < 0.07:
            text = casual(text)
        return text

    def long(self, body_tpl: str, channel: str, formal_bias: float = 0.6) -> str:
        ctx = make_ctx(self.rng, self.L.code)
        body = fill(body_tpl, ctx)
        if channel == "email":
            return self.email(body, ctx, formal_bias)
        return self.webform(body.replace("\n\n", " ") if self.rng.random() < 0.5 else body, ctx)

    def social(self, tpl: str) -> str:
        return fill(tpl, make_ctx(self.rng, self.L.code))

    # -- composers -----------------------------------------------------------
    def kernel_pairs(self, category: str):
        """All compatible (situation, kernel) pairs for this split, shuffled."""
        kernels = [tagged(k) for k in part(self.L.blocks.KERNELS[category], self.split)]
        pairs = []
        for si, (stag, stext) in enumerate(self.situations):
            if category == "neg_praise" and stag == "P":
                continue
            for ki, (ktag, ktext) in enumerate(kernels):
                if ktag and ktag != stag:
                    continue
                pairs.append((si, ki, stext, ktext))
        self.rng.shuffle(pairs)
        # Spread usage: interleave so that each kernel is used before any is reused.
        by_kernel = {}
        for p in pairs:
            by_kernel.setdefault(p[1], []).append(p)
        used_sit = {}
        ordered = []
        while any(by_kernel.values()):
            for ki in sorted(by_kernel):
                lst = by_kernel[ki]
                if not lst:
                    continue
                # prefer the least used situation for this kernel
                lst.sort(key=lambda p: used_sit.get(p[0], 0))
                p = lst.pop(0)
                used_sit[p[0]] = used_sit.get(p[0], 0) + 1
                ordered.append(p)
        return ordered

    def compose_kernel(self, stext: str, ktext: str, channel: str) -> str:
        sep = "\n\n" if (channel == "email" and self.rng.random() < 0.35) else " "
        return self.long(stext + sep + ktext, channel)

    def objection_bodies(self):
        f = self.L.full
        decisions = part(f.OBJECTION_DECISIONS, self.split)
        openers = part(f.OBJECTION_OPENERS, self.split)
        intros = part(f.OBJECTION_GROUND_INTROS, self.split)
        requests = part(f.OBJECTION_REQUESTS, self.split)
        rng = self.rng
        while True:
            d, grounds = rng.choice(decisions)
            opener = rng.choice(openers).replace("{d}", d)
            k = 1 if len(grounds) == 1 or rng.random() < 0.5 else 2
            chosen = rng.sample(grounds, k)
            intro = rng.choice(intros)
            req = rng.sample(requests, 1 if rng.random() < 0.6 else 2)
            paras = [opener]
            g = " ".join(chosen)
            paras.append(f"{intro} {g}".strip() if intro else g)
            paras.append(" ".join(req))
            yield "\n\n".join(paras)

    def report_body(self, report: str) -> str:
        rng = self.rng
        b = self.L.blocks
        openers = part(b.REPORT_OPENERS, self.split)
        extras = part(b.REPORT_EXTRAS, self.split)
        text = report
        if rng.random() < 0.6:
            text = f"{rng.choice(openers)} {text}"
        if rng.random() < 0.55:
            text = f"{text} {rng.choice(extras)}"
        return text


def channel_cycle(rng: random.Random):
    """Email / webform, roughly balanced but not strictly alternating."""
    state = rng.random() < 0.5
    while True:
        yield "email" if state else "webform"
        if rng.random() < 0.8:
            state = not state


def build_category(lang: Lang, category: str, split: str, target: int, rng: random.Random):
    B = Builder(lang, split, rng)
    rows = []  # (text, channel)
    chans = channel_cycle(rng)
    seen = set()

    def add(text, channel):
        if text in seen:
            return False
        seen.add(text)
        rows.append((text, channel))
        return True

    for tpl in part(lang.social.SOCIAL.get(category, []), split):
        add(B.social(tpl), "social")

    f = lang.full
    full_items = []
    if category in f.FULL:
        full_items = part(f.FULL[category], split)
    elif category == "neg_neutral_report":
        full_items = part(f.REPORTS, split)
    elif category == "neg_question_how_to_object":
        full_items = part(f.HOW_TO_OBJECT, split)
    elif category == "neg_sad_life_event":
        full_items = part(f.SAD_EVENTS, split)
    elif category == "neg_other":
        full_items = part(f.OTHER, split)

    first_channel = {}
    for i, tpl in enumerate(full_items):
        ch = next(chans)
        body = B.report_body(tpl) if category == "neg_neutral_report" else tpl
        add(B.long(body, ch), ch)
        first_channel[i] = ch

    # Composed rows.
    if category in lang.blocks.KERNELS:
        for _si, _ki, stext, ktext in B.kernel_pairs(category):
            if len(rows) >= target:
                break
            ch = next(chans)
            add(B.compose_kernel(stext, ktext, ch), ch)
    elif category == "formal_objection":
        gen = B.objection_bodies()
        tries = 0
        while len(rows) < target and tries < 5000:
            tries += 1
            ch = next(chans)
            add(B.long(next(gen), ch, formal_bias=0.85), ch)
    elif category == "neg_question_how_to_object":
        ctxs = part(f.HOW_CONTEXTS, split)
        qs = part(f.HOW_GENERIC, split)
        pairs = [(c, q) for c in ctxs for q in qs]
        rng.shuffle(pairs)
        for c, q in pairs:
            if len(rows) >= target:
                break
            ch = next(chans)
            add(B.long(f"{c} {q}", ch), ch)
    elif category == "neg_neutral_report":
        reps = part(f.REPORTS, split)
        joins = REPORT_PAIR_JOIN[lang.code]
        tries = 0
        while len(rows) < target and tries < 2000 and len(reps) > 1:
            tries += 1
            a, b = rng.sample(reps, 2)
            if len(b) > 1 and b[1].islower():
                b = b[0].lower() + b[1:]
            ch = next(chans)
            add(B.long(rng.choice(joins).format(a=a, b=b), ch), ch)

    # Last resort: render full bodies a second time in the other long channel.
    i = 0
    while len(rows) < target and full_items and i < 3 * len(full_items):
        idx = i % len(full_items)
        ch = "webform" if first_channel.get(idx) == "email" else "email"
        body = B.report_body(full_items[idx]) if category == "neg_neutral_report" else full_items[idx]
        if add(B.long(body, ch), ch):
            REUSED["count"] += 1
        i += 1
    return rows[:target] if len(rows) > target else rows


def build_rows():
    rng = random.Random(SEED)
    out = []
    for code in ("nl", "en"):
        lang = Lang(code)
        lang_rows = []
        for cat in CATEGORIES:
            total = TARGETS[code][cat]
            n_held = round(total * HELDOUT_SHARE)
            for split, n in (("train", total - n_held), ("heldout", n_held)):
                for text, channel in build_category(lang, cat, split, n, rng):
                    label = 1 if cat in POSITIVE else 0
                    lang_rows.append([text, label, code, channel, cat, split])
        rng.shuffle(lang_rows)
        for i, r in enumerate(lang_rows, 1):
            out.append([f"{code}-{i:04d}"] + r)
    return out


# Existing pools the supplement reuses for channel rendering (greetings, closings, ...).
WRAPPER_POOLS = [
    "GREETINGS_FORMAL", "GREETINGS_INFORMAL", "CLOSINGS_FORMAL", "CLOSINGS_INFORMAL",
    "INTROS", "ASKS", "REPORT_OPENERS", "REPORT_EXTRAS",
]


def supplement_lang(code: str) -> Lang:
    """A Lang whose text pools are the supplement's, with the v1 wrappers and fill-ins."""
    supp = nl_supplement if code == "nl" else en_supplement
    lang = Lang(code)
    wrappers = {name: getattr(lang.blocks, name) for name in WRAPPER_POOLS}
    lang.blocks = SimpleNamespace(**wrappers, SITUATIONS=supp.SITUATIONS, KERNELS=supp.KERNELS)
    # Only FULL is read for the supplement's categories; the v1-only pools are empty here.
    lang.full = SimpleNamespace(FULL=supp.FULL, REPORTS=[], HOW_TO_OBJECT=[], SAD_EVENTS=[], OTHER=[],
                                HOW_CONTEXTS=[], HOW_GENERIC=[])
    lang.social = SimpleNamespace(SOCIAL=supp.SOCIAL)
    return lang


def build_supplement_rows(v1_rows):
    """Supplement rows, ids continuing after the v1 ids of each language."""
    rng = random.Random(SUPPLEMENT_SEED)
    out = []
    for code in ("nl", "en"):
        lang = supplement_lang(code)
        composed = (nl_supplement if code == "nl" else en_supplement).COMPOSED
        lang_rows = []
        for cat in CATEGORIES:
            c_total = composed.get(cat, 0)
            c_held = round(c_total * HELDOUT_SHARE)
            for split, c in (("train", c_total - c_held), ("heldout", c_held)):
                # Every social post and full body in the split once, plus the composed rows.
                n = (len(part(lang.social.SOCIAL.get(cat, []), split))
                     + len(part(lang.full.FULL.get(cat, []), split)) + c)
                if n == 0:
                    continue
                rows = build_category(lang, cat, split, n, rng)
                if len(rows) != n:
                    raise SystemExit(f"supplement {code}/{cat}/{split}: built {len(rows)} of {n} rows")
                for text, channel in rows:
                    label = 1 if cat in POSITIVE else 0
                    lang_rows.append([text, label, code, channel, cat, split])
        rng.shuffle(lang_rows)
        first = sum(1 for r in v1_rows if r[3] == code) + 1
        for i, r in enumerate(lang_rows, first):
            out.append([f"{code}-{i:04d}"] + r)
    return out


# Rows whose body is a second rendering (other long channel) of a hand-written body.
REUSED = {"count": 0}

HEADER = ["id", "text", "label", "language", "channel", "category", "split"]


def write_csv(rows, fh):
    w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(rows)


def shingles(text: str, k: int = 4):
    toks = re.findall(r"\w+", text.lower())
    return {" ".join(toks[i:i + k]) for i in range(max(1, len(toks) - k + 1))}


def check(path: str):
    from collections import Counter
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    n = len(rows)
    print(f"rows: {n}")
    lang = Counter(r["language"] for r in rows)
    print(f"language: {dict(lang)}  nl share = {lang['nl'] / n:.3f}")
    lab = Counter(r["label"] for r in rows)
    print(f"label: {dict(lab)}  label-1 share = {lab['1'] / n:.3f}")
    print("channel x language:", dict(Counter((r["language"], r["channel"]) for r in rows)))
    sp = Counter(r["split"] for r in rows)
    print(f"split: {dict(sp)}  heldout share = {sp['heldout'] / n:.3f}")
    print("category (lang, total, heldout):")
    for cat in CATEGORIES:
        for code in ("nl", "en"):
            sub = [r for r in rows if r["category"] == cat and r["language"] == code]
            ch = Counter(r["channel"] for r in sub)
            print(f"  {cat:32s} {code} {len(sub):4d} heldout={sum(r['split'] == 'heldout' for r in sub):3d}"
                  f"  email={ch['email']:3d} webform={ch['webform']:3d} social={ch['social']:3d}")
    texts = [r["text"] for r in rows]
    print("duplicate texts:", n - len(set(texts)))
    print("empty texts:", sum(1 for t in texts if not t.strip()))
    print("ids unique:", len({r["id"] for r in rows}) == n)
    bad = [r for r in rows if (r["label"] == "1") != (r["category"] in POSITIVE)]
    print("label/category mismatches:", len(bad))
    left = [t for t in texts if re.search(r"\{[a-z0-9_]+\}", t)]
    print("unfilled slots:", len(left))
    # Near-duplicate check between held-out and train (4-gram Jaccard).
    train = [(shingles(r["text"]), r) for r in rows if r["split"] == "train"]
    worst = []
    for r in rows:
        if r["split"] != "heldout":
            continue
        s = shingles(r["text"])
        best = 0.0
        for t, _ in train:
            inter = len(s & t)
            if inter:
                j = inter / len(s | t)
                best = max(best, j)
        worst.append((best, r["id"]))
    worst.sort(reverse=True)
    print("heldout->train max 4-gram Jaccard: top 5", [(round(b, 2), i) for b, i in worst[:5]])
    print("heldout items with Jaccard > 0.5:", sum(1 for b, _ in worst if b > 0.5))


def main(argv):
    rows = build_rows()
    rows += build_supplement_rows(rows)
    if "--stdout" in argv:
        write_csv(rows, sys.stdout)
        return
    path = os.path.join(HERE, "messages.csv")
    buf = io.StringIO()
    write_csv(rows, buf)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
    print(f"wrote {len(rows)} rows to {path}")
    print(f"rows that re-render a body already used in the other long channel: {REUSED['count']}")
    if "--check" in argv:
        check(path)


if __name__ == "__main__":
    main(sys.argv[1:])
