"""Load the shipped rule files (Aurora queries, curated FR/ES/SSE terms) and compile them once.

The rule files are data, edited by people: a line that does not parse raises at load time with its
file and line (see :func:`load_rules`), so a typo fails the test suite instead of silently
dropping a term. :func:`rule_set` caches one compiled :class:`RuleSet` per language selection,
built under a lock so concurrent first calls compile only once.
"""

from __future__ import annotations

import csv
import re
import threading
from pathlib import Path

from .engine import AtomTable, Rule, RuleSet, compile_rule
from .query import ParseError

DATA = Path(__file__).resolve().parent / "data"
AURORA_FILE = "aurora_v5_query_lines.csv"
TERM_FILES = ("terms_fr.csv", "terms_es.csv", "terms_sse.csv")
LANGS = ("en", "fr", "es")
_OPERATOR_HINT = re.compile(r'["(){}]|\b(?:W|PRE)/\d+\b')


class RuleFileError(ValueError):
    """A rule file has a bad line; the message names the file, the line and the reason."""


def normalise_target(goal: int, code: str | None) -> str | None:
    """Canonical target code, or None for a goal-level rule ("13.0", empty)."""
    code = (code or "").strip().lower()
    if not code:
        return None
    match = re.fullmatch(r"(\d+)\.?([0-9]+|[a-z])", code)
    if not match or int(match.group(1)) != goal:
        raise RuleFileError(f"target {code!r} is not a target of goal {goal}")
    number = match.group(2)
    if number == "0":
        return None
    return f"{goal}.{int(number) if number.isdigit() else number}"


def term_query(term: str) -> str:
    """A curated term as a query: plain words are one phrase, anything with quotes,
    parentheses or W/n / PRE/n is taken as a query as written."""
    term = term.strip()
    if _OPERATOR_HINT.search(term):
        return term
    return '"' + term + '"'


def aurora_rules(path: Path | None = None) -> list[Rule]:
    """One rule per Aurora query line, tied to its target (goal-level when the target is x.0)."""
    path = path or DATA / AURORA_FILE
    rules = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            goal = int(row["sdg"])
            rules.append(Rule(
                id=f"aurora:{goal}.{row['subquery']}.{row['line']}",
                goal=goal,
                target=normalise_target(goal, row["target"]),
                source="aurora",
                lang="en",
                query=row["query"],
                weight=1.0,
                description=row.get("description", ""),
            ))
    return rules


def term_rules(path: Path) -> list[Rule]:
    """Rules of a curated term file (columns: id, goal, target, lang, term, source, note)."""
    rules = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                goal = int(row["goal"])
                if not 1 <= goal <= 17:
                    raise RuleFileError(f"goal {goal} is not 1..17")
                term = (row.get("term") or "").strip()
                if not term:
                    raise RuleFileError("empty term")
                lang = (row.get("lang") or "").strip() or None
                query = term_query(term)
                single = " " not in term.strip() and not _OPERATOR_HINT.search(term)
                rules.append(Rule(
                    id=row["id"].strip(),
                    goal=goal,
                    target=normalise_target(goal, row.get("target")),
                    source=path.stem.removeprefix("terms_"),
                    lang=lang,
                    query=query,
                    # A lone word is weaker evidence than a phrase or a combination.
                    weight=0.6 if single else 1.0,
                    description=(row.get("note") or "").strip(),
                ))
            except (KeyError, ValueError) as error:
                raise RuleFileError(f"{path.name} line {line}: {error}") from error
    return rules


def load_rules(strict: bool = True) -> tuple[list[Rule], list[tuple[Rule, ParseError]]]:
    """Parse and compile every shipped rule into a fresh atom table (the cached rules used by
    :func:`rule_set` are not touched).

    Returns ``(rules, failures)``. With ``strict`` (the default) the first failure raises
    :class:`RuleFileError`; tests call ``strict=False`` to list every failure at once.
    """
    rules, failures, _ = _load(strict, AtomTable())
    return rules, failures


def _load(strict: bool, atoms: AtomTable):
    rules: list[Rule] = []
    failures: list[tuple[Rule, ParseError]] = []
    candidates = [(rule, True) for rule in aurora_rules()]
    for name in TERM_FILES:
        if (DATA / name).exists():
            candidates.extend((rule, False) for rule in term_rules(DATA / name))
    seen: set[str] = set()
    for rule, plurals in candidates:
        if rule.id in seen:
            raise RuleFileError(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
        try:
            rules.append(compile_rule(rule, atoms, plurals=plurals))
        except ParseError as error:
            if strict:
                raise RuleFileError(f"rule {rule.id} ({rule.query!r}): {error}") from error
            failures.append((rule, error))
    return rules, failures, atoms


_STATE: dict[str, object] = {}
_LOCK = threading.Lock()


def _all_rules() -> tuple[list[Rule], AtomTable]:
    if "rules" not in _STATE:
        with _LOCK:
            if "rules" not in _STATE:
                rules, _, atoms = _load(True, AtomTable())
                _STATE["atoms"] = atoms
                _STATE["rules"] = rules
    return _STATE["rules"], _STATE["atoms"]  # type: ignore[return-value]


def rule_set(lang: str | None = None) -> RuleSet:
    """The compiled rules for a language: its own terms plus language-neutral ones.

    ``en`` uses the Aurora queries; ``fr``/``es`` their curated lists; ``None`` or another
    language uses everything (we do not know which vocabulary the text speaks). Filtering by a
    known language avoids false friends such as Spanish "sea" (a verb) firing the ocean queries.
    """
    key = lang if lang in LANGS else None
    cache_key = f"set:{key}"
    found = _STATE.get(cache_key)
    if found is None:
        rules, atoms = _all_rules()
        with _LOCK:
            found = _STATE.get(cache_key)
            if found is None:
                chosen = [r for r in rules if key is None or r.lang in (key, None)]
                found = _STATE[cache_key] = RuleSet(chosen, atoms)
    return found  # type: ignore[return-value]


def all_rules() -> list[Rule]:
    """Every compiled rule (all languages)."""
    return list(_all_rules()[0])
