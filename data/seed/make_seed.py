#!/usr/bin/env python3
"""Build data/seed/messages.csv for the Signaal complaint classifier.

Deterministic, standard library only. The text comes from the hand-written building blocks
in ./seedparts/, the wrapper texts in ./wrappers/<language>.json and the free-written
messages in ./free/*.jsonl (all written for the Signaal project, EUPL-1.2).

Usage:
    python make_seed.py              # writes messages.csv next to this file
    python make_seed.py --check      # writes, then prints counts and overlap checks
    python make_seed.py --stdout     # writes the CSV to stdout instead
    python make_seed.py --free DIR   # reads the v3 messages from DIR instead of ./free
    python make_seed.py --tables     # prints the count tables of README.md (writes nothing)

Editions (EDITIONS): the file is built edition by edition, each with its own
random.Random(seed) and appended after the editions before it, so adding an edition (or
rows to v3) never changes an earlier row; ids continue per language.
  v1 (SEED): situations + kernels, full bodies, social posts, objections, ... per category.
  v2 (SUPPLEMENT_SEED): seedparts/*_supplement.py, hard negatives on everyday topics.
  v3 (FREE_SEED): free/*.jsonl, one message per line, labelled by kind (data/LABELLING.md).

Held-out split, v1 and v2: every pool of building blocks (situations, kernels, full message
bodies, social posts, greetings, closings, report openers, objection parts, ...) is cut into
a train part and a held-out part by position (item index % 5 == 2 is held out). Held-out rows
are built only from held-out blocks and train rows only from train blocks, so no held-out
message shares a hand-written sentence with a training message (apart from fill-in values
such as street names and dates). v3: the sha256 of the text decides (20 % held out); the
wrappers added to some v3 emails come from the part of each wrapper pool of the row's split.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
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
FREE_SEED = 20270415  # v3 (free-written rows): its own stream again
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


WRAPPER_DIR = os.path.join(HERE, "wrappers")
# Wrapper pools every language file must have. The v1 pools (greetings ... report extras) keep
# the order they had in seedparts/*_blocks.py, so part() splits them exactly as before.
WRAPPER_KEYS = [
    "greetings_formal", "greetings_informal", "closings_formal", "closings_informal",
    "intros", "asks", "report_openers", "report_extras",
]


@functools.lru_cache(maxsize=None)
def load_wrappers(code: str) -> dict:
    """wrappers/<code>.json: lists of wrapper texts per pool (keys starting with '_' are notes)."""
    path = os.path.join(WRAPPER_DIR, f"{code}.json")
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    missing = [k for k in WRAPPER_KEYS if k not in data]
    if missing:
        raise SystemExit(f"{path}: missing wrapper pools {missing}")
    return {k: v for k, v in data.items() if not k.startswith("_")}


class Lang:
    def __init__(self, code):
        self.code = code
        if code == "nl":
            self.blocks, self.full, self.social = nl_blocks, nl_full, nl_social
        else:
            self.blocks, self.full, self.social = en_blocks, en_full, en_social
        self.wrappers = load_wrappers(code)


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
        w = lang.wrappers
        self.g_formal = part(w["greetings_formal"], split)
        self.g_informal = part(w["greetings_informal"], split)
        self.c_formal = part(w["closings_formal"], split)
        self.c_informal = part(w["closings_informal"], split)
        self.intros = part(w["intros"], split)
        self.asks = part(w["asks"], split)
        self.situations = [tagged(s) for s in part(lang.blocks.SITUATIONS, split)]

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
        openers = part(self.L.wrappers["report_openers"], self.split)
        extras = part(self.L.wrappers["report_extras"], self.split)
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


# Which pool of full bodies a category reads, when it is not in the language's FULL table.
FULL_POOLS = {
    "neg_neutral_report": "REPORTS",
    "neg_question_how_to_object": "HOW_TO_OBJECT",
    "neg_sad_life_event": "SAD_EVENTS",
    "neg_other": "OTHER",
}
# Categories whose full bodies are dressed before rendering (Builder method name).
BODY_DRESSERS = {"neg_neutral_report": "report_body"}


def full_pool(full, category: str) -> list:
    """The full bodies of a category: FULL[category] first, else the pool named in FULL_POOLS."""
    if category in full.FULL:
        return full.FULL[category]
    name = FULL_POOLS.get(category)
    return getattr(full, name) if name else []


def dress(B: "Builder", category: str, body: str) -> str:
    name = BODY_DRESSERS.get(category)
    return getattr(B, name)(body) if name else body


# -- composers: fill a category up to its target with composed rows ---------------------------
# Each takes (B, category, target, rows, add, chans): the split's Builder, the rows built so far,
# add(text, channel) and the channel cycle. They draw from B.rng in a fixed order.

def compose_kernels(B, category, target, rows, add, chans):
    """Situation + kernel pairs (the default for every category with kernels)."""
    for _si, _ki, stext, ktext in B.kernel_pairs(category):
        if len(rows) >= target:
            break
        ch = next(chans)
        add(B.compose_kernel(stext, ktext, ch), ch)


def compose_objections(B, category, target, rows, add, chans):
    """Formal objections: decision + opener + grounds + requests."""
    gen = B.objection_bodies()
    tries = 0
    while len(rows) < target and tries < 5000:
        tries += 1
        ch = next(chans)
        add(B.long(next(gen), ch, formal_bias=0.85), ch)


def compose_how_to_object(B, category, target, rows, add, chans):
    """A neutral context + a generic procedural question."""
    f = B.L.full
    ctxs = part(f.HOW_CONTEXTS, B.split)
    qs = part(f.HOW_GENERIC, B.split)
    pairs = [(c, q) for c in ctxs for q in qs]
    B.rng.shuffle(pairs)
    for c, q in pairs:
        if len(rows) >= target:
            break
        ch = next(chans)
        add(B.long(f"{c} {q}", ch), ch)


def compose_report_pairs(B, category, target, rows, add, chans):
    """Two neutral defect reports joined in one message."""
    rng = B.rng
    reps = part(B.L.full.REPORTS, B.split)
    joins = REPORT_PAIR_JOIN[B.L.code]
    tries = 0
    while len(rows) < target and tries < 2000 and len(reps) > 1:
        tries += 1
        a, b = rng.sample(reps, 2)
        if len(b) > 1 and b[1].islower():
            b = b[0].lower() + b[1:]
        ch = next(chans)
        add(B.long(rng.choice(joins).format(a=a, b=b), ch), ch)


COMPOSERS = {
    "formal_objection": compose_objections,
    "neg_question_how_to_object": compose_how_to_object,
    "neg_neutral_report": compose_report_pairs,
}


def composer_for(lang: "Lang", category: str):
    """COMPOSERS[category]; categories with kernels default to compose_kernels; else None."""
    if category in COMPOSERS:
        return COMPOSERS[category]
    return compose_kernels if category in lang.blocks.KERNELS else None


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

    full_items = part(full_pool(lang.full, category), split)
    first_channel = {}
    for i, tpl in enumerate(full_items):
        ch = next(chans)
        add(B.long(dress(B, category, tpl), ch), ch)
        first_channel[i] = ch

    # Composed rows.
    composer = composer_for(lang, category)
    if composer is not None:
        composer(B, category, target, rows, add, chans)

    # Last resort: render full bodies a second time in the other long channel.
    i = 0
    while len(rows) < target and full_items and i < 3 * len(full_items):
        idx = i % len(full_items)
        ch = "webform" if first_channel.get(idx) == "email" else "email"
        if add(B.long(dress(B, category, full_items[idx]), ch), ch):
            REUSED["count"] += 1
        i += 1
    return rows[:target] if len(rows) > target else rows


def next_id(earlier, code: str) -> int:
    """The first free id number of a language after the rows of earlier editions."""
    return sum(1 for r in earlier if r[3] == code) + 1


def build_rows(rng: random.Random, earlier=(), free_dir=None):
    """Edition v1: every category of both languages, stratified by category and split."""
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
        for i, r in enumerate(lang_rows, next_id(earlier, code)):
            out.append([f"{code}-{i:04d}"] + r)
    return out


def supplement_lang(code: str) -> Lang:
    """A Lang whose text pools are the supplement's, with the language's wrappers and fill-ins."""
    supp = nl_supplement if code == "nl" else en_supplement
    lang = Lang(code)  # keeps the language's wrappers (wrappers/<code>.json)
    lang.blocks = SimpleNamespace(SITUATIONS=supp.SITUATIONS, KERNELS=supp.KERNELS)
    # Only FULL is read for the supplement's categories; the v1-only pools are empty here.
    lang.full = SimpleNamespace(FULL=supp.FULL, REPORTS=[], HOW_TO_OBJECT=[], SAD_EVENTS=[], OTHER=[],
                                HOW_CONTEXTS=[], HOW_GENERIC=[])
    lang.social = SimpleNamespace(SOCIAL=supp.SOCIAL)
    return lang


def build_supplement_rows(rng: random.Random, earlier, free_dir=None):
    """Edition v2: supplement rows, ids continuing after the earlier ids of each language."""
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
        for i, r in enumerate(lang_rows, next_id(earlier, code)):
            out.append([f"{code}-{i:04d}"] + r)
    return out


# -- edition v3: free-written messages ---------------------------------------------------------

FREE_DIR = os.path.join(HERE, "free")
LABELLING = os.path.join(HERE, os.pardir, "LABELLING.md")
FREE_KEYS = ("text", "label", "language", "channel", "kind", "organisation", "writer")
FREE_CHANNELS = ("email", "webform", "social", "phone", "letter")
FREE_HELDOUT_PERCENT = 20   # sha256 of the text decides: the same text always lands in the same split
FREE_WRAP_SHARE = 0.25      # share of the email rows, per language and label, that get extra wrappers
WEEKDAYS = {
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}


@functools.lru_cache(maxsize=None)
def kind_labels(path: str = LABELLING) -> dict:
    """kind -> label, read from the table under '## Kinds' in data/LABELLING.md."""
    kinds = {}
    in_kinds = False
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("## "):
                in_kinds = line.strip() == "## Kinds"
                continue
            m = re.match(r"\|\s*`([a-z_]+)`\s*\|\s*([01])\s*\|", line) if in_kinds else None
            if m:
                kinds[m.group(1)] = int(m.group(2))
    if not kinds:
        raise SystemExit(f"{path}: no kind table under '## Kinds'")
    return kinds


def label_of(category: str):
    """The label a v1/v2 category or a v3 kind fixes (None if unknown)."""
    if category in CATEGORIES:
        return 1 if category in POSITIVE else 0
    return kind_labels().get(category)


def free_split(text: str) -> str:
    h = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    return "heldout" if h % 100 < FREE_HELDOUT_PERCENT else "train"


def read_free(free_dir: str):
    """Validated records of every free/*.jsonl file, sorted by file name, in line order."""
    kinds = kind_labels()
    records = []
    if not free_dir or not os.path.isdir(free_dir):
        return records
    for name in sorted(os.listdir(free_dir)):
        if not name.endswith(".jsonl"):
            continue
        path = os.path.join(free_dir, name)
        with open(path, encoding="utf-8", newline="") as fh:
            lines = fh.read().split("\n")
        for lineno, line in enumerate(lines, 1):
            shown = os.path.relpath(path, HERE) if os.path.abspath(path).startswith(HERE + os.sep) else path
            where = f"{shown}:{lineno}"
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                if lineno == len(lines):  # last line, no newline yet: still being written
                    print(f"warning: {where}: incomplete last line skipped", file=sys.stderr)
                    continue
                raise SystemExit(f"{where}: not JSON ({exc})") from None
            if not isinstance(rec, dict) or any(k not in rec for k in FREE_KEYS):
                raise SystemExit(f"{where}: needs the keys {', '.join(FREE_KEYS)}")
            text, label, kind = rec["text"], rec["label"], rec["kind"]
            if not isinstance(text, str) or not text.strip():
                raise SystemExit(f"{where}: empty text")
            if kind not in kinds:
                raise SystemExit(f"{where}: kind {kind!r} is not in the table of data/LABELLING.md")
            if type(label) is not int or label != kinds[kind]:
                raise SystemExit(f"{where}: label {label!r} disagrees with kind {kind!r} "
                                 f"(label {kinds[kind]} in data/LABELLING.md)")
            if rec["language"] not in ("nl", "en"):
                raise SystemExit(f"{where}: language {rec['language']!r} is not nl or en")
            if rec["channel"] not in FREE_CHANNELS:
                raise SystemExit(f"{where}: channel {rec['channel']!r} is not one of {FREE_CHANNELS}")
            records.append(dict(rec, text=text.strip(), where=where))
    return records


NAME_PARTICLES = {"van", "de", "der", "den", "te", "ter", "ten", "het", "'t", "el", "al", "da", "von", "bin", "ben",
                  "heer", "mevrouw"}


def signer(text: str):
    """The name a message already ends with ("Groet,\nJ. de Wit", "Kind regards, Liam O'Connor"), or None."""
    line = text.rstrip().rsplit("\n", 1)[-1]
    if line.count(",") > 1:
        return None
    last = line.rsplit(",", 1)[-1].strip()
    words = last.split()
    if not 1 <= len(words) <= 6 or len(last) > 40 or not words[0][:1].isupper() or re.search(r"[\d@:!?]", last):
        return None
    if all(w[:1].isupper() or w.lower() in NAME_PARTICLES for w in words) and len(words) > 1:
        return last
    return None


def wrap_free(text: str, code: str, organisation: str, split: str, rng: random.Random) -> str:
    """Add a signature, a 'sent from' line, a disclaimer and/or a quoted or forwarded neutral
    mail from the organisation, all from the split's part of the wrapper pools."""
    w = load_wrappers(code)

    def pick(key):
        return rng.choice(part(w[key], split))

    ctx = make_ctx(rng, code)
    name = signer(text)
    if name:  # the signature repeats the name the writer signed with
        ctx.update(name=name, fname=name.split()[0])
    org, domain = w["organisations"].get(organisation, w["organisations"]["other"])
    slug = re.sub(r"[^a-z0-9]", "", ctx["place"].lower())
    ctx.update(
        time=f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}",  # a clock time here
        weekday=rng.choice(WEEKDAYS[code]),
        org=org.format(place=ctx["place"]), domain=domain.format(placeslug=slug),
    )
    ctx["subject"] = fill(pick("subjects"), ctx)
    sig = rng.random() < 0.5
    sent = rng.random() < 0.3
    disc = rng.random() < 0.35
    r = rng.random()
    quote = "quoted" if r < 0.35 else "forwarded" if r < 0.5 else ""
    if not (sig or sent or disc or quote):
        sig, sent, disc, quote = [(True, False, False, ""), (False, True, False, ""),
                                  (False, False, True, ""), (False, False, False, "quoted")][rng.randrange(4)]
    blocks = [text]
    if sig:
        blocks.append(fill(pick("signatures"), ctx))
    if sent:
        blocks.append(pick("sent_from"))
    if disc:
        blocks.append(pick("disclaimers"))
    if quote:
        mail = [fill(s, ctx) for s in pick("org_mails")]
        if quote == "quoted":
            blocks.append(fill(pick("quote_attributions"), ctx) + "\n" + "\n".join(f"> {s}" for s in mail))
        else:
            blocks.append(fill(pick("forward_headers"), ctx) + "\n\n" + "\n".join(mail))
    return "\n\n".join(blocks)


def build_free_rows(rng: random.Random, earlier, free_dir: str = FREE_DIR):
    """Edition v3: the free-written messages of free/*.jsonl, each once, split by a hash of
    the text; a share of the email rows gets extra (neutral) wrappers."""
    seen = {r[1] for r in earlier}
    records = []
    for rec in read_free(free_dir):
        if rec["text"] in seen:
            FREE_SKIPPED.append(rec["where"])
            continue
        seen.add(rec["text"])
        rec["split"] = free_split(rec["text"])
        records.append(rec)
    # Same share for both labels (and languages): sample the email rows of each group.
    chosen = set()
    for code in ("nl", "en"):
        for label in (0, 1):
            idx = [i for i, r in enumerate(records)
                   if r["language"] == code and r["label"] == label and r["channel"] == "email"]
            chosen.update(rng.sample(idx, round(FREE_WRAP_SHARE * len(idx))))
    out = []
    for code in ("nl", "en"):
        i = next_id(earlier, code)
        for n, r in enumerate(records):
            if r["language"] != code:
                continue
            text = r["text"]
            if n in chosen:
                text = wrap_free(text, code, r["organisation"], r["split"], rng)
            out.append([f"{code}-{i:04d}", text, r["label"], code, r["channel"], r["kind"], r["split"]])
            i += 1
    return out


# Texts of free/*.jsonl skipped because an earlier row has the same text (file:line).
FREE_SKIPPED = []

# Editions in build order: (name, seed, builder). A builder is called as
# builder(random.Random(seed), rows of the editions before it, free_dir) and returns its rows
# ([id, text, label, language, channel, category, split]). Each edition has its own stream and
# sees the earlier rows only for ids and duplicates, so adding an edition at the end never
# changes an earlier row.
EDITIONS = [
    ("v1", SEED, build_rows),
    ("v2", SUPPLEMENT_SEED, build_supplement_rows),
    ("v3", FREE_SEED, build_free_rows),
]


def build_editions(free_dir: str = FREE_DIR):
    """[(edition name, rows)] in file order."""
    REUSED["count"] = 0
    FREE_SKIPPED.clear()
    rows, out = [], []
    for name, seed, builder in EDITIONS:
        new = builder(random.Random(seed), list(rows), free_dir)
        rows += new
        out.append((name, new))
    return out


def build_csv(free_dir: str = FREE_DIR) -> str:
    """The whole of messages.csv as a string."""
    buf = io.StringIO()
    write_csv([r for _name, rows in build_editions(free_dir) for r in rows], buf)
    return buf.getvalue()


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


def nearest_train(rows):
    """For each held-out row, (highest 4-gram Jaccard with any train row, id), highest first.
    Uses an inverted index from shingle to train rows, so only rows sharing a shingle are compared."""
    from collections import Counter, defaultdict
    index = defaultdict(list)
    sizes = []
    for r in rows:
        if r["split"] == "train":
            s = shingles(r["text"])
            for g in s:
                index[g].append(len(sizes))
            sizes.append(len(s))
    worst = []
    for r in rows:
        if r["split"] != "heldout":
            continue
        s = shingles(r["text"])
        inter = Counter()
        for g in s:
            inter.update(index.get(g, ()))
        best = max((n / (len(s) + sizes[t] - n) for t, n in inter.items()), default=0.0)
        worst.append((best, r["id"]))
    worst.sort(reverse=True)
    return worst


def check(path: str, edition_of: dict):
    from collections import Counter
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    n = len(rows)
    print(f"rows: {n}")
    print("editions:", dict(Counter(edition_of.get(r["id"], "?") for r in rows)))
    lang = Counter(r["language"] for r in rows)
    print(f"language: {dict(lang)}  nl share = {lang['nl'] / n:.3f}")
    lab = Counter(r["label"] for r in rows)
    print(f"label: {dict(lab)}  label-1 share = {lab['1'] / n:.3f}")
    print("channel x language:", dict(sorted(Counter((r["language"], r["channel"]) for r in rows).items())))
    sp = Counter(r["split"] for r in rows)
    print(f"split: {dict(sp)}  heldout share = {sp['heldout'] / n:.3f}")
    old = [r for r in rows if edition_of.get(r["id"]) in ("v1", "v2")]
    print("v1+v2 category (lang, total, heldout):")
    for cat in CATEGORIES:
        for code in ("nl", "en"):
            sub = [r for r in old if r["category"] == cat and r["language"] == code]
            ch = Counter(r["channel"] for r in sub)
            print(f"  {cat:32s} {code} {len(sub):4d} heldout={sum(r['split'] == 'heldout' for r in sub):3d}"
                  f"  email={ch['email']:3d} webform={ch['webform']:3d} social={ch['social']:3d}")
    free = [r for r in rows if edition_of.get(r["id"]) == "v3"]
    print(f"v3 kind (lang, total, heldout), {len(free)} rows, "
          f"{len(FREE_SKIPPED)} free rows skipped as duplicates:")
    for kind, label in kind_labels().items():
        for code in ("nl", "en"):
            sub = [r for r in free if r["category"] == kind and r["language"] == code]
            if not sub:
                continue
            ch = Counter(r["channel"] for r in sub)
            print(f"  {kind:26s} {label} {code} {len(sub):4d} heldout={sum(r['split'] == 'heldout' for r in sub):3d}"
                  + "".join(f" {c}={ch[c]:3d}" for c in FREE_CHANNELS))
    texts = [r["text"] for r in rows]
    print("duplicate texts:", n - len(set(texts)))
    print("empty texts:", sum(1 for t in texts if not t.strip()))
    print("ids unique:", len({r["id"] for r in rows}) == n)
    bad = [r["id"] for r in rows if label_of(r["category"]) is None or str(label_of(r["category"])) != r["label"]]
    print("label/category-or-kind mismatches:", len(bad), bad[:10])
    left = [t for t in texts if re.search(r"\{[a-z0-9_]+\}", t)]
    print("unfilled slots:", len(left))
    # Near-duplicate check between held-out and train (4-gram Jaccard).
    worst = nearest_train(rows)
    print("heldout->train max 4-gram Jaccard: top 5", [(round(b, 2), i) for b, i in worst[:5]])
    print("heldout items with Jaccard > 0.5:", sum(1 for b, _ in worst if b > 0.5))


def markdown_tables(editions) -> str:
    """The count tables of README.md (all editions; v3 per language, channel and kind)."""
    rows = [r for _name, rs in editions for r in rs]
    free = [r for name, rs in editions if name == "v3" for r in rs]
    ones = lambda rs: sum(1 for r in rs if r[2] == 1)  # noqa: E731
    held = lambda rs: sum(1 for r in rs if r[6] == "heldout")  # noqa: E731
    out = ["All editions:", "", "| language | " + " | ".join(FREE_CHANNELS) + " | total |",
           "|---|" + "---:|" * (len(FREE_CHANNELS) + 1)]
    for code in ("nl", "en", None):
        rs = [r for r in rows if code in (None, r[3])]
        share = f" ({len(rs) / len(rows) * 100:.1f} %)" if code == "nl" else ""
        out.append(f"| {code or 'all'} | " + " | ".join(f"{sum(1 for r in rs if r[4] == c):,}" for c in FREE_CHANNELS)
                   + f" | {len(rs):,}{share} |")
    out += ["", "| split | label 1 | label 0 | total |", "|---|---:|---:|---:|"]
    for split in ("train", "heldout", None):
        rs = [r for r in rows if split in (None, r[6])]
        pct = (lambda k: f" ({k / len(rs) * 100:.1f} %)") if split is None else (lambda k: "")
        out.append(f"| {split or 'all'} | {ones(rs):,}{pct(ones(rs))} | {len(rs) - ones(rs):,}{pct(len(rs) - ones(rs))}"
                   f" | {len(rs):,} |")
    out += ["", f"v3 ({len(free):,} rows):", "", "| language | label 1 | label 0 | total | heldout |",
            "|---|---:|---:|---:|---:|"]
    for code in ("nl", "en", None):
        rs = [r for r in free if code in (None, r[3])]
        pct = f" ({held(rs) / len(rs) * 100:.1f} %)" if code is None and rs else ""
        out.append(f"| {code or 'all'} | {ones(rs):,} | {len(rs) - ones(rs):,} | {len(rs):,} | {held(rs):,}{pct} |")
    out += ["", "| channel | nl | en | total |", "|---|---:|---:|---:|"]
    for c in FREE_CHANNELS:
        n = [sum(1 for r in free if r[4] == c and r[3] == code) for code in ("nl", "en")]
        out.append(f"| {c} | {n[0]:,} | {n[1]:,} | {sum(n):,} |")
    out += ["", "| kind | label | nl | en | heldout | total |", "|---|:-:|---:|---:|---:|---:|"]
    for kind, label in kind_labels().items():
        rs = [r for r in free if r[5] == kind]
        if rs:
            out.append(f"| `{kind}` | {label} | {sum(1 for r in rs if r[3] == 'nl')} | "
                       f"{sum(1 for r in rs if r[3] == 'en')} | {held(rs)} | {len(rs)} |")
    return "\n".join(out) + "\n"


def main(argv):
    free_dir = FREE_DIR
    if "--free" in argv:
        free_dir = argv[argv.index("--free") + 1]
    if "--stdout" in argv:
        sys.stdout.write(build_csv(free_dir))
        return
    if "--tables" in argv:
        sys.stdout.write(markdown_tables(build_editions(free_dir)))
        return
    editions = build_editions(free_dir)
    path = os.path.join(HERE, "messages.csv")
    buf = io.StringIO()
    write_csv([r for _name, rows in editions for r in rows], buf)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
    print(f"wrote {sum(len(rows) for _n, rows in editions)} rows to {path} ("
          + ", ".join(f"{name}: {len(rows)}" for name, rows in editions) + ")")
    print(f"rows that re-render a body already used in the other long channel: {REUSED['count']}")
    if FREE_SKIPPED:
        print(f"free rows skipped, text already present: {len(FREE_SKIPPED)} ({', '.join(FREE_SKIPPED[:5])}"
              + (", …" if len(FREE_SKIPPED) > 5 else "") + ")")
    if "--check" in argv:
        check(path, {r[0]: name for name, rows in editions for r in rows})


if __name__ == "__main__":
    main(sys.argv[1:])
