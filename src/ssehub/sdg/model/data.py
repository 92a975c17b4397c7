"""Training, tuning and held-out sets built from the shared SDG data and the official texts.

Every split is decided by a hash of the *source document* key (synthetic article id, paper id or
DOI, indicator code, target code), never by paragraph, so near-identical paragraphs of one
document never sit on both sides. Buckets are deterministic (sha1), so every run of
``ssehub sdg train`` rebuilds exactly the same sets.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import inspect
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .text import MENTION_RE, clean, mask_goal_mentions, split_paragraphs

GOALS = list(range(1, 18))
SEED = 20240917
PACKAGE_DATA = Path(__file__).resolve().parents[1] / "data"
REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data" / "sdg"

# Weights: title-only Aurora rows are weak evidence (a title rarely says enough), so they count
# less; official target/indicator texts are few but exact, so they count more.
W_AURORA_TITLE = 0.3
W_OFFICIAL = 2.0


@dataclass
class Rows:
    """A labelled set: texts, their goals (list of ints; empty = no SDG), weights, metadata."""

    texts: list[str] = field(default_factory=list)
    labels: list[list[int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)

    def add(self, text: str, labels: Iterable[int], weight: float, source: str, lang: str) -> None:
        self.texts.append(text)
        self.labels.append(sorted(set(labels)))
        self.weights.append(weight)
        self.source.append(source)
        self.lang.append(lang)

    def extend(self, other: Rows) -> None:
        for name in ("texts", "labels", "weights", "source", "lang"):
            getattr(self, name).extend(getattr(other, name))

    def y(self) -> np.ndarray:
        out = np.zeros((len(self.texts), 17), dtype=np.int8)
        for i, labels in enumerate(self.labels):
            for g in labels:
                out[i, g - 1] = 1
        return out

    def __len__(self) -> int:
        return len(self.texts)


def bucket(key: str) -> int:
    """Stable bucket 0..99 of a source-document key."""
    return int(hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:8], 16) % 100


def resolve_data_dir(path: str | Path | None) -> Path:
    """The shared ``sdg`` folder (accepts it or its ``train`` subfolder); clear error if absent."""
    base = Path(path) if path else DEFAULT_SHARED
    if (base / "train").is_dir():
        base = base / "train"
    needed = "sdg_llm_synthetic_seacelo.csv.gz"
    if not (base / needed).is_file():
        raise FileNotFoundError(
            f"SDG training data not found in {base} (expected {needed}); "
            "pass --data PATH to the shared data/sdg folder"
        )
    return base


def parse_labels(value: str) -> list[int]:
    """'3;10' / '3,10' / '3 10' / '[3, 10]' -> [3, 10]; raises ValueError on anything else."""
    parts = [p for p in re.split(r"[;,\s|\[\]]+", str(value).strip()) if p]
    goals = sorted({int(p) for p in parts})
    if any(g not in range(1, 18) for g in goals):
        raise ValueError(f"goal out of 1..17 in {value!r}")
    return goals


def _csv(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _mentioned_goals(text: str) -> set[int]:
    found = set()
    for m in MENTION_RE.finditer(text):
        if m.group(1).lower().startswith(("target", "cible", "meta")):
            continue
        for n in re.findall(r"\d{1,2}(?:\.\w+)*", m.group(0)[len(m.group(1)) :]):
            head = int(n.split(".")[0])
            if 1 <= head <= 17:
                found.add(head)
    return found


@dataclass
class Splits:
    train: Rows
    # Thresholds, the combination weight and the no-SDG floor are tuned here: half of the
    # hand-labelled ORO abstracts (multi-label), 4% of the synthetic articles (one paragraph
    # each) and 10% of the short sentences, so that thresholds suit both abstracts and
    # single-topic paragraphs; Django's docstrings are the tuning negatives.
    tune: Rows
    heldout: dict[str, Rows]  # never trained or tuned on


def build(data_dir: Path, per_article: int = 4, limit_articles: int | None = None) -> Splits:
    """Read everything and split it; ``per_article`` caps synthetic paragraphs per article."""
    rng = random.Random(SEED)
    train, tune = Rows(), Rows()
    held: dict[str, Rows] = {}

    def h(name: str) -> Rows:
        return held.setdefault(name, Rows())

    # 1. Synthetic articles (GPL-3.0): paragraphs, masked; 12% of articles held out.
    rows = _csv(data_dir / "sdg_llm_synthetic_seacelo.csv.gz")
    if limit_articles:
        rows = rows[:: max(1, len(rows) // limit_articles)][:limit_articles]
    for row in rows:
        goal = int(row["sdg"])
        paragraphs = split_paragraphs(row["text"])
        kept = []
        for p in paragraphs:
            others = _mentioned_goals(p) - {goal}
            # Paragraphs about *other* goals (frequent in SDG-17 articles, which discuss every
            # goal) teach "17" for water, hunger...: drop them.
            if others:
                continue
            kept.append(mask_goal_mentions(p))
        if not kept:
            continue
        b = bucket("syn:" + row["id"])
        if b < 12:
            h("synthetic_en").add(rng.choice(kept), [goal], 1.0, "synthetic", "en")
            continue
        if b < 16:  # a tuning slice: thresholds must also fit single-topic paragraphs
            tune.add(rng.choice(kept), [goal], 1.0, "synthetic", "en")
            continue
        rng.shuffle(kept)
        for p in kept[:per_article]:
            train.add(p, [goal], 1.0, "synthetic", "en")

    # 2. Short labelled sentences (Apache-2.0); no document id, so the sentence is the unit.
    for row in _csv(data_dir / "qu_original_data_amrayach.csv"):
        text = mask_goal_mentions(clean(row["text"]))
        if len(text.split()) < 3:
            continue
        b = bucket("qu:" + text)
        target = h("qu_en") if b < 15 else tune if b < 25 else train
        target.add(text, [int(row["sdg"])], 1.0, "qu", "en")

    # 3. National indicator metadata (OGL / MIT): held out by indicator, in both languages,
    #    so the French test rows have no English translation on the training side.
    for row in _csv(data_dir / "national_indicator_metadata_uk_ca.csv"):
        text = mask_goal_mentions(clean(row["text"]))
        goal, lang = int(row["sdg"]), row["lang"]
        if bucket("ind:" + row["indicator"]) < 25:
            h(f"metadata_{lang}").add(text, [goal], 1.0, row["source"], lang)
        else:
            train.add(text, [goal], 1.0, row["source"], lang)

    # 4. Hand-labelled multi-label abstracts (ORO): half tunes thresholds, half is held out.
    for row in _csv(data_dir / "oro_gold_dataset_oacore.csv"):
        text = mask_goal_mentions(clean(_fix_mojibake(row["text"])))
        target = tune if bucket("oro:" + row["id"]) < 50 else h("oro_en")
        target.add(text, parse_labels(row["labels"]), 1.0, "oro", "en")

    # 5. Aurora survey (papers judged relevant by researchers): titles only count less.
    for row in _csv(data_dir / "aurora_survey_final_oacore.csv"):
        text = mask_goal_mentions(clean(row["text"]))
        has_abstract = row["has_abstract"] == "True"
        if bucket("aur:" + row["doi"]) < 12:
            if has_abstract:
                h("aurora_en").add(text, parse_labels(row["labels"]), 1.0, "aurora", "en")
            continue
        weight = 1.0 if has_abstract else W_AURORA_TITLE
        train.add(text, parse_labels(row["labels"]), weight, "aurora", "en")

    # 6. Official goal / target / indicator texts in EN, FR, ES (MIT; UN texts). 30% of targets
    #    (with their indicators) are held out in all three languages.
    for row in _csv(PACKAGE_DATA / "sdg_goals_en_fr_es.csv"):
        for lang in ("en", "fr", "es"):
            text = f"{row[f'short_{lang}']}. {row[f'title_{lang}']}"
            train.add(clean(text), [int(row["code"])], W_OFFICIAL, "official", lang)
    sources = (("sdg_targets_en_fr_es.csv", "code"), ("sdg_indicators_en_fr_es.csv", "target"))
    for name, key in sources:
        for row in _csv(PACKAGE_DATA / name):
            goal = int(row["goal"])
            held_out = bucket("tgt:" + row[key]) < 30
            for lang in ("en", "fr", "es"):
                text = mask_goal_mentions(clean(row.get(f"title_{lang}", "")))
                if len(text.split()) < 3:
                    continue
                if held_out:
                    h(f"official_{lang}").add(text, [goal], 1.0, "official", lang)
                else:
                    train.add(text, [goal], W_OFFICIAL, "official", lang)

    # 7. Negatives ("no SDG"), see negatives().
    neg = negatives(data_dir)
    for text, src, lang in neg:
        if src in ("python-stdlib", "garbage"):
            train.add(text, [], 1.0, src, lang)
        elif src == "django-source":
            tune.add(text, [], 1.0, src, lang)
        else:
            h(f"negatives_{lang}").add(text, [], 1.0, src, lang)
    return Splits(train=train, tune=tune, heldout=held)


def _fix_mojibake(text: str) -> str:
    """The ORO abstracts were double-decoded (Mac Roman): 'Women‚Äôs' -> 'Women’s'."""
    if "‚Ä" not in text and "√" not in text:
        return text
    try:
        return text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def negatives(data_dir: Path) -> list[tuple[str, str, str]]:
    """Texts that address no SDG, found honestly on this machine (no such set is in the data).

    - python-stdlib: docstrings of standard-library modules (software documentation; train);
    - garbage: random bytes and random letters (train);
    - django-source: docstrings of Django's own modules (tune the "no SDG" floor);
    - licences: paragraphs of the licence texts beside the training data (held out, EN);
    - django-l10n-fr/es: Django's French and Spanish UI translations, joined into paragraphs
      (held out, FR/ES).
    They are off-topic *technical* text: they teach "software/legal text is no SDG" and measure
    that, but a real non-SDG research abstract (pure mathematics, say) is not represented.
    """
    import ast
    import email
    import json as json_mod
    import logging
    import pathlib
    import sqlite3
    import string
    import textwrap
    import unittest

    import django

    rng = random.Random(SEED)
    out: list[tuple[str, str, str]] = []

    def docstrings(module_paths: Iterable[Path], src: str, cap: int) -> None:
        n = 0
        for path in module_paths:
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef):
                    doc = ast.get_docstring(node)
                    if doc and len(doc.split()) >= 12:
                        out.append((clean(doc)[:1500], src, "en"))
                        n += 1
                        if n >= cap:
                            return

    std = sorted(
        {Path(inspect.getfile(m)) for m in (email, json_mod, logging, pathlib, sqlite3, string,
                                             textwrap, unittest)}
    )
    std_files: list[Path] = []
    for f in std:
        std_files.extend(sorted(f.parent.glob("*.py")) if f.name == "__init__.py" else [f])
    std_dir = Path(inspect.getfile(ast)).parent
    std_files += sorted(std_dir.glob("[a-m]*.py"))
    docstrings(std_files, "python-stdlib", 1500)
    dj = Path(django.__file__).parent
    docstrings(sorted((dj / "db" / "models").rglob("*.py")), "django-source", 400)

    for _ in range(300):
        n = rng.randint(5, 400)
        raw = bytes(rng.randrange(256) for _ in range(n)).decode("latin-1")
        out.append((clean(raw) or "x", "garbage", "en"))
        letters = " ".join(
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 12)))
            for _ in range(rng.randint(1, 60))
        )
        out.append((letters, "garbage", "en"))

    for lic in sorted((data_dir / "licences").glob("*.txt")):
        for p in split_paragraphs(lic.read_text(encoding="utf-8", errors="replace"), 20)[:60]:
            out.append((p[:1500], "licences", "en"))
    for lang in ("fr", "es"):
        po = dj / "conf" / "locale" / lang / "LC_MESSAGES" / "django.po"
        if not po.is_file():
            continue
        msgs = [
            m.replace('\\"', '"')
            for m in re.findall(r'^msgstr "(.+)"$', po.read_text(encoding="utf-8"), re.M)
            if len(m.split()) >= 3
        ]
        for i in range(0, min(len(msgs), 1000), 5):
            out.append((" ".join(msgs[i : i + 5]), f"django-l10n-{lang}", lang))
    return out


def write_rows(rows: Rows, path: Path) -> None:
    """Held-out set as gzipped JSONL: {"text", "labels": "3;10", "lang", "source"}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        columns = zip(rows.texts, rows.labels, rows.lang, rows.source, strict=True)
        for text, labels, lang, src in columns:
            record = {"text": text, "labels": ";".join(map(str, labels)), "lang": lang,
                      "source": src}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
