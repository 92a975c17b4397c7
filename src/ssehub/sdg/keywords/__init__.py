"""Keyword/query layer of the SDG mapper: explainable, pure-Python, no Django at match time.

It is the "confirmation" side of the mapper: a statistical model proposes goals, and the
keyword layer says which curated queries or terms fired, where, and for which target, so a
label can be shown with its evidence. Three kinds of rules are shipped in ``data/``:

- the Aurora Universities Network SDG queries v5 (English, Scopus syntax, CC BY 4.0);
- curated French and Spanish term lists;
- social and solidarity economy (SSE) terms in EN/FR/ES.

Usage::

    from ssehub.sdg.keywords import match, goal_scores
    for hit in match("Worker cooperatives create decent jobs.", lang="en"):
        print(hit.goal, hit.target, hit.rule_id, [(t.start, t.end, t.text) for t in hit.terms])
    goal_scores("L'égalité entre les femmes et les hommes", lang="fr")  # {5: 0.45, ...}

Long texts are evaluated passage by passage (paragraphs, at most ``PASSAGE_WORDS`` words), so
``AND`` means "in the same passage", as it meant "in the same abstract" for Scopus, and memory
stays bounded whatever the length of the text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from .engine import Rule, RuleSet
from .query import ParseError, parse
from .rules import RuleFileError, all_rules, load_rules, rule_set
from .text import BLANK_LINE, blocks, fold, tokenize

__all__ = [
    "GoalEvidence", "Hit", "MatchedTerm", "ParseError", "RuleFileError", "all_rules",
    "compile_query", "fold", "goal_evidence", "goal_scores", "load_rules", "match", "parse",
    "passages", "rule_set",
]

PASSAGE_WORDS = 300
MAX_TERMS_PER_HIT = 50


@dataclass(frozen=True)
class MatchedTerm:
    """A matched word or phrase: ``text == original_text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """One rule (Aurora query or curated term) that matched the text."""

    goal: int
    target: str | None
    rule_id: str
    source: str  # "aurora", "fr", "es" or "sse"
    lang: str | None
    query: str
    weight: float
    terms: tuple[MatchedTerm, ...]  # first MAX_TERMS_PER_HIT, in text order
    passages: int  # in how many passages the rule matched


@dataclass(frozen=True)
class GoalEvidence:
    """Keyword evidence for one goal, for the combination step."""

    goal: int
    strength: float  # 0..1, see goal_evidence()
    rules: int  # distinct rules that matched
    weighted: float  # sum of the matched rules' weights
    targets: dict[str, int]  # target -> distinct rules that matched it
    hits: tuple[Hit, ...]


Passage = tuple[list[int], list[int], list[str]]


def passages(text: str, max_words: int = PASSAGE_WORDS) -> Iterator[Passage]:
    """Yield ``(starts, ends, folded_words)`` per passage, offsets in ``text``.

    A blank line or ``max_words`` words end a passage, so proximity and AND stay local; long
    texts are tokenised block by block, so memory does not grow with the text."""
    for base, block in blocks(text):
        starts, ends, folded, separators = tokenize(block)
        if not starts:
            continue
        if base:
            starts = [s + base for s in starts]
            ends = [e + base for e in ends]
        cuts = [0]
        if BLANK_LINE.search(block):
            cuts.extend(i + 1 for i, sep in enumerate(separators[:-1]) if sep.count("\n") > 1)
        cuts.append(len(starts))
        for first, stop in zip(cuts, cuts[1:], strict=False):
            for low in range(first, stop, max_words):
                high = min(stop, low + max_words)
                if low == 0 and high == len(starts):
                    yield starts, ends, folded
                else:
                    yield starts[low:high], ends[low:high], folded[low:high]


def _scan(text: str, lang: str | None) -> tuple[list[Hit], int]:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    rules: RuleSet = rule_set(lang)
    found: dict[str, tuple[Rule, dict[tuple[int, int], None], list[int]]] = {}
    n_words = 0
    for starts, ends, folded in passages(text):
        n_words += len(folded)
        for rule, spans in rules.evaluate(folded):
            entry = found.get(rule.id)
            if entry is None:
                entry = found[rule.id] = (rule, {}, [0])
            entry[2][0] += 1
            offsets = entry[1]
            if len(offsets) < MAX_TERMS_PER_HIT:
                for _, _, parts in spans:
                    for first, last in parts:
                        offsets[(starts[first], ends[last])] = None
    hits = []
    for rule, offsets, count in found.values():
        terms = tuple(
            MatchedTerm(start, end, text[start:end])
            for start, end in sorted(offsets)[:MAX_TERMS_PER_HIT]
        )
        hits.append(Hit(rule.goal, rule.target, rule.id, rule.source, rule.lang, rule.query,
                        rule.weight, terms, count[0]))
    hits.sort(key=lambda h: (h.goal, h.terms[0].start if h.terms else 0, h.rule_id))
    return hits, n_words


def match(text: str, lang: str | None = None) -> list[Hit]:
    """Every rule that matches ``text``, sorted by goal then position.

    ``lang`` ("en", "fr", "es") restricts the rules to that language's vocabulary plus the
    language-neutral ones; ``None`` (unknown language) uses all of them.
    """
    return _scan(text, lang)[0]


def goal_evidence(text: str, lang: str | None = None) -> list[GoalEvidence]:
    """Hits grouped by goal with an evidence strength, strongest first.

    ``strength = 1 - exp(-weighted / length_factor)`` where ``weighted`` sums the weights of the
    *distinct* rules that fired for the goal (a rule repeated ten times is still one piece of
    evidence) and ``length_factor = max(1, sqrt(words / 150))``, so a long report needs more
    distinct evidence than a paragraph to reach the same strength. One Aurora query in a
    paragraph gives 0.63, two 0.86, a lone single-word term 0.45.
    """
    hits, n_words = _scan(text, lang)
    length_factor = max(1.0, math.sqrt(n_words / 150))
    grouped: dict[int, list[Hit]] = {}
    for hit in hits:
        grouped.setdefault(hit.goal, []).append(hit)
    result = []
    for goal, goal_hits in grouped.items():
        weighted = sum(h.weight for h in goal_hits)
        targets: dict[str, int] = {}
        for hit in goal_hits:
            if hit.target:
                targets[hit.target] = targets.get(hit.target, 0) + 1
        result.append(GoalEvidence(
            goal=goal,
            strength=round(1 - math.exp(-weighted / length_factor), 4),
            rules=len(goal_hits),
            weighted=weighted,
            targets=targets,
            hits=tuple(goal_hits),
        ))
    result.sort(key=lambda e: (-e.strength, e.goal))
    return result


def goal_scores(text: str, lang: str | None = None) -> dict[int, float]:
    """``{goal: strength}`` for the goals with keyword evidence (see :func:`goal_evidence`)."""
    return {e.goal: e.strength for e in goal_evidence(text, lang)}


def compile_query(query: str, plurals: bool = False):
    """Compile one ad-hoc query (for tests and tools): returns a callable ``text -> bool``-ish
    list of matched ``MatchedTerm`` (empty when the query does not match)."""
    from .engine import AtomTable, compile_rule

    atoms = AtomTable()
    rule = compile_rule(Rule("adhoc", 1, None, "adhoc", None, query), atoms, plurals=plurals)
    single = RuleSet([rule], atoms)

    def run(text: str) -> list[MatchedTerm]:
        offsets: dict[tuple[int, int], None] = {}
        for starts, ends, folded in passages(text):
            for _, spans in single.evaluate(folded):
                for _, _, parts in spans:
                    for first, last in parts:
                        offsets[(starts[first], ends[last])] = None
        return [MatchedTerm(s, e, text[s:e]) for s, e in sorted(offsets)]

    return run

