"""The hub's query language, parsed into a small AST that every backend translates.

Users write what they know from web search: words, ``"exact phrases"``, ``-exclude``, ``OR``,
``title:`` and ``author:`` fields and a prefix ``coop*``. The parser never raises: an
unbalanced quote closes at the end, a stray operator is dropped, the engines' own syntax
characters (``+ ( ) [ ] { } ^ ~ : \\ /`` and friends) are just separators, so a malformed or
hostile query is searched as plain words. Backends never see the user's string, only this AST,
so neither tantivy's query syntax nor SQL can be injected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ssehub.search.text import is_stopword, words

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 32
FIELDS = {"title": "title", "titre": "title", "titulo": "title", "author": "author",
          "auteur": "author", "autor": "author", "creator": "author"}

# Tokens: a quoted phrase (closing quote optional), an OR, or a run of non-space characters.
TOKEN_RE = re.compile(r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?"(?P<phrase>[^"]*)"?|(?P<bare>\S+)')


@dataclass(frozen=True)
class Term:
    """A word (already folded). ``prefix`` for ``coop*``; ``field`` is None for all fields."""

    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    """Words that must appear in this order."""

    words: tuple[str, ...]
    field: str | None = None


@dataclass
class Clause:
    """One conjunct: any of ``options`` must match (``OR``); ``optional`` clauses (stop words)
    only help ranking; ``negated`` ones exclude."""

    options: list[Term | Phrase]
    negated: bool = False
    optional: bool = False


@dataclass
class ParsedQuery:
    """A conjunction of clauses, plus the plain text used for embeddings and snippets."""

    clauses: list[Clause] = field(default_factory=list)
    text: str = ""
    truncated: bool = False

    @property
    def positive(self) -> list[Clause]:
        return [c for c in self.clauses if not c.negated]

    @property
    def negative(self) -> list[Clause]:
        return [c for c in self.clauses if c.negated]

    @property
    def is_empty(self) -> bool:
        """True when nothing positive is left to match (browse view, or only exclusions)."""
        return not self.positive

    def highlight_terms(self) -> list[str]:
        out: list[str] = []
        for clause in self.positive:
            for option in clause.options:
                out.extend(option.words if isinstance(option, Phrase) else [option.text])
        return out


def _atom(token: re.Match[str]) -> tuple[bool, Term | Phrase | None]:
    """Turn one token into a (negated, Term/Phrase) pair; None when nothing searchable."""
    if token.group("phrase") is not None:
        negated = bool(token.group("neg"))
        fld = FIELDS.get((token.group("field") or "").lower())
        parts = words(token.group("phrase"))
        if not parts:
            return negated, None
        if len(parts) == 1:
            return negated, Term(parts[0], fld)
        return negated, Phrase(tuple(parts), fld)
    bare = token.group("bare")
    negated = False
    if bare.startswith("-") and len(bare) > 1:
        negated, bare = True, bare[1:]
    fld = None
    name, sep, rest = bare.partition(":")
    if sep and name.lower() in FIELDS and rest:
        fld, bare = FIELDS[name.lower()], rest
    prefix = bare.endswith("*")
    parts = words(bare)
    if not parts:
        return negated, None
    if len(parts) == 1:
        # A prefix needs a few letters, or it would expand to half the dictionary.
        return negated, Term(parts[0], fld, prefix=prefix and len(parts[0]) >= 2)
    # "drinking-water", "l'eau", "a/b": the parts of one written word, in order.
    return negated, Phrase(tuple(parts), fld)


def parse(raw: str | None) -> ParsedQuery:
    """Parse a user's query; never raises. Over-long queries are cut (``truncated``)."""
    raw = (raw or "").replace("\x00", " ")
    truncated = len(raw) > MAX_QUERY_CHARS
    raw = raw[:MAX_QUERY_CHARS]
    # Typographic quotes are quotes too (« » in French, “ ” elsewhere).
    raw = re.sub(r"[«»“”„]", '"', raw)
    clauses: list[Clause] = []
    pending_or = False
    for token in TOKEN_RE.finditer(raw):
        if token.group("bare") in ("OR", "|", "||"):
            pending_or = bool(clauses) and not clauses[-1].negated
            continue
        if token.group("bare") in ("AND", "&&", "+", "-", "NOT"):
            continue
        negated, atom = _atom(token)
        if atom is None:
            continue
        if pending_or and not negated:
            previous = clauses[-1]
            previous.options.append(atom)
            previous.optional = False
        else:
            stop = isinstance(atom, Term) and not atom.prefix and is_stopword(atom.text)
            clauses.append(Clause([atom], negated=negated, optional=stop and not negated))
        pending_or = False
        if len(clauses) >= MAX_CLAUSES:
            truncated = True
            break
    # A query of stop words only ("the", "de la") still has to find something.
    if clauses and all(c.optional or c.negated for c in clauses):
        for clause in clauses:
            clause.optional = False
    # The text to embed keeps the user's own wording (accents matter to the encoder).
    plain = re.sub(r'(^|\s)-\S+|\b(OR|AND|NOT)\b|[A-Za-z]+:(?=\S)|["*«»“”„()\[\]{}^~+\\]',
                   " ", raw)
    plain = re.sub(r"\s+", " ", plain).strip()
    return ParsedQuery(clauses, plain if clauses else "", truncated)
