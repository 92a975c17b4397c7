"""Tokenizer and recursive-descent parser for Scopus-style queries (the Aurora SDG queries).

Why a hand-written parser: the Aurora queries are data from outside, and the curated term lists
are edited by people. Nothing here evaluates code or builds a regular expression from raw input;
a query becomes a small immutable AST that :mod:`ssehub.sdg.keywords.engine` compiles once.

Supported syntax (Scopus advanced search, the subset the Aurora queries use and a bit more):

- ``"loose phrase"`` and ``{exact phrase}``: a sequence of words; both are matched the same way
  (accent- and case-insensitive, punctuation ignored), because we search running text, not an
  index of fields.
- bare words (``poverty``); adjacent operands with no operator between them are ANDed, as in Scopus.
- wildcards inside words: ``*`` (zero or more word characters) and ``?`` (exactly one).
- ``OR``, ``AND``, ``AND NOT``, ``W/n`` (within n words, any order), ``PRE/n`` (the left operand
  precedes the right one by at most n words); operators are case-insensitive, ``n`` is 0..255.
- field prefixes such as ``TITLE-ABS-KEY( ... )``, ``TITLE( ... )``: accepted and ignored (the
  whole text is searched).

Precedence follows Scopus, which is *not* the usual one: ``OR`` binds tightest, then ``W/n`` and
``PRE/n``, then ``AND``, and ``AND NOT`` last. So ``a OR b AND c`` is ``(a OR b) AND c`` and
``a AND b AND NOT c`` is ``(a AND b) AND NOT c``. As in Scopus, ``AND``/``AND NOT`` may not appear
inside an operand of a proximity operator (the result would have no position to measure from).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DISTANCE = 255
MAX_QUERY_LENGTH = 20_000
MAX_DEPTH = 64

# One word of a phrase: letters/digits (plus combining marks) and the wildcards * and ?.
WORD_CHARS = r"(?:[^\W_]|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])"
_PHRASE_WORD = re.compile(rf"(?:{WORD_CHARS}|[*?])+")


class ParseError(ValueError):
    """A query could not be parsed; ``position`` is the character offset of the problem."""

    def __init__(self, message: str, query: str = "", position: int | None = None) -> None:
        self.message = message
        self.query = query
        self.position = position
        where = f" at character {position}" if position is not None else ""
        snippet = ""
        if query and position is not None:
            snippet = f": ...{query[max(0, position - 20):position + 20]!r}..."
        super().__init__(f"{message}{where}{snippet}")


# ----------------------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Phrase:
    """A sequence of word patterns that must occur on consecutive words (one word = a phrase)."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AndNot:
    left: Node
    right: Node


@dataclass(frozen=True)
class Near:
    """``W/n`` (``ordered=False``) or ``PRE/n`` (``ordered=True``): at most n words in between."""

    left: Node
    right: Node
    distance: int
    ordered: bool


Node = Phrase | Or | And | AndNot | Near


# ------------------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class Token:
    kind: str  # LPAREN RPAREN PHRASE WORD AND OR ANDNOT NEAR FIELD EOF
    value: str
    position: int
    distance: int = 0
    ordered: bool = False


_SPACE = re.compile(r"\s+")
_NEAR = re.compile(r"(W|PRE)/(\d+)", re.IGNORECASE)
_FIELD = re.compile(r"([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\s*\(", re.IGNORECASE)
_BARE = re.compile(rf"(?:{WORD_CHARS}|[*?\-'’.])+")
_NOT_AFTER_AND = re.compile(r"\s+NOT(?![\w*?])", re.IGNORECASE)
_OPERATORS = {"and": "AND", "or": "OR", "not": "NOT"}
# Scopus field codes: a bare word followed by "(" is a field only if it is one of these.
_FIELDS = {
    "title-abs-key", "title-abs", "title", "abs", "key", "authkey", "indexterms", "all",
    "title-abs-key-auth", "srctitle",
}


def tokenize(query: str) -> list[Token]:
    """Split a query into tokens; raise :class:`ParseError` on anything unexpected."""
    if len(query) > MAX_QUERY_LENGTH:
        raise ParseError(f"query longer than {MAX_QUERY_LENGTH} characters", query, 0)
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i = _SPACE.match(query, i).end()
            continue
        if char == "(":
            tokens.append(Token("LPAREN", "(", i))
            i += 1
            continue
        if char == ")":
            tokens.append(Token("RPAREN", ")", i))
            i += 1
            continue
        if char in "\"{“”":
            closing = "}" if char == "{" else ("”" if char == "“" else '"')
            end = query.find(closing, i + 1)
            if end < 0 and closing == "”":
                end = query.find('"', i + 1)
            if end < 0:
                raise ParseError("unterminated phrase", query, i)
            tokens.append(Token("PHRASE", query[i + 1:end], i))
            i = end + 1
            continue
        near = _NEAR.match(query, i)
        if near and (near.end() == n or not query[near.end()].isalnum()):
            distance = int(near.group(2))
            if distance > MAX_DISTANCE:
                raise ParseError(f"proximity distance above {MAX_DISTANCE}", query, i)
            ordered = near.group(1).upper() == "PRE"
            tokens.append(Token("NEAR", near.group(0), i, distance, ordered))
            i = near.end()
            continue
        field = _FIELD.match(query, i)
        if field and field.group(1).lower() in _FIELDS:
            tokens.append(Token("FIELD", field.group(1), i))
            i = field.end() - 1  # the "(" becomes its own token
            continue
        bare = _BARE.match(query, i)
        if bare:
            word = bare.group(0)
            operator = _OPERATORS.get(word.lower())
            if operator == "AND":
                after = _NOT_AFTER_AND.match(query, bare.end())
                if after:
                    tokens.append(Token("ANDNOT", "AND NOT", i))
                    i = after.end()
                    continue
                tokens.append(Token("AND", word, i))
            elif operator == "OR":
                tokens.append(Token("OR", word, i))
            elif operator == "NOT":
                raise ParseError("NOT must follow AND (use AND NOT)", query, i)
            else:
                tokens.append(Token("WORD", word, i))
            i = bare.end()
            continue
        raise ParseError(f"unexpected character {char!r}", query, i)
    tokens.append(Token("EOF", "", n))
    return tokens


def phrase_words(text: str) -> tuple[str, ...]:
    """The word patterns of a phrase, split as running text is split (punctuation separates)."""
    return tuple(_PHRASE_WORD.findall(text))


# ------------------------------------------------------------------------------------ parser


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, token: Token | None = None) -> ParseError:
        token = token or self.current
        return ParseError(message, self.query, token.position)

    def parse(self) -> Node:
        if self.current.kind == "EOF":
            raise self.error("empty query")
        node = self.and_not()
        if self.current.kind != "EOF":
            raise self.error(f"unexpected {self.current.value or self.current.kind!r}")
        return node

    def and_not(self) -> Node:
        node = self.conjunction()
        while self.current.kind == "ANDNOT":
            self.advance()
            node = AndNot(node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        children = [self.proximity()]
        while True:
            kind = self.current.kind
            if kind == "AND":
                self.advance()
            elif kind not in ("LPAREN", "PHRASE", "WORD", "FIELD"):
                break  # implicit AND only between operands that can start a term
            children.append(self.proximity())
        return children[0] if len(children) == 1 else And(tuple(children))

    def proximity(self) -> Node:
        node = self.disjunction()
        while self.current.kind == "NEAR":
            token = self.advance()
            right = self.disjunction()
            for operand in (node, right):
                if _contains_boolean(operand):
                    raise self.error("AND / AND NOT cannot be used inside a W/n or PRE/n operand",
                                     token)
            node = Near(node, right, token.distance, token.ordered)
        return node

    def disjunction(self) -> Node:
        children = [self.primary()]
        while self.current.kind == "OR":
            self.advance()
            children.append(self.primary())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def primary(self) -> Node:
        token = self.current
        if token.kind == "FIELD":
            self.advance()
            return self.group()
        if token.kind == "LPAREN":
            return self.group()
        if token.kind in ("PHRASE", "WORD"):
            self.advance()
            words = phrase_words(token.value)
            if not words:
                raise self.error("empty phrase", token)
            for word in words:
                if not word.strip("*?"):
                    raise self.error(f"a wildcard needs at least one letter: {word!r}", token)
            return Phrase(words)
        if token.kind == "EOF":
            raise self.error("unexpected end of query (missing operand or ')')")
        raise self.error(f"expected a term or '(' but found {token.value!r}")

    def group(self) -> Node:
        opening = self.current
        if opening.kind != "LPAREN":
            raise self.error("expected '('")
        self.advance()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"parentheses nested deeper than {MAX_DEPTH}")
        if self.current.kind == "RPAREN":
            raise self.error("empty parentheses")
        node = self.and_not()
        if self.current.kind != "RPAREN":
            raise self.error("missing ')' for the '(' opened here", opening)
        self.advance()
        self.depth -= 1
        return node


def _contains_boolean(node: Node) -> bool:
    if isinstance(node, And | AndNot):
        return True
    if isinstance(node, Or):
        return any(_contains_boolean(child) for child in node.children)
    if isinstance(node, Near):
        return _contains_boolean(node.left) or _contains_boolean(node.right)
    return False


def parse(query: str) -> Node:
    """Parse a Scopus-style query into an AST; raise :class:`ParseError` with a position if bad."""
    if not isinstance(query, str):
        raise ParseError(f"query must be a string, not {type(query).__name__}")
    return _Parser(query).parse()


def to_string(node: Node) -> str:
    """Render an AST back to fully parenthesised query text (for debugging and tests)."""
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Or):
        return "(" + " OR ".join(to_string(c) for c in node.children) + ")"
    if isinstance(node, And):
        return "(" + " AND ".join(to_string(c) for c in node.children) + ")"
    if isinstance(node, AndNot):
        return f"({to_string(node.left)} AND NOT {to_string(node.right)})"
    operator = "PRE" if node.ordered else "W"
    return f"({to_string(node.left)} {operator}/{node.distance} {to_string(node.right)})"
