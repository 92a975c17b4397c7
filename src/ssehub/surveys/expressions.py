"""A safe evaluator for the XLSForm/XPath subset used in ``relevant``, ``constraint``,
``calculation``, ``required``, ``read_only`` and ``choice_filter`` columns.

Why our own: the server is the authority on skip logic and validation (a crafted POST must not
store what the form forbids), and form authors are not trusted, so their expressions are
tokenised and parsed into a small AST and walked by a fixed interpreter: never ``eval``, no
attribute access, no loops. Work is bounded: the expression length, the token count and the
nesting depth are capped (deep input gives a ``ParseError``, never a ``RecursionError``), and
``regex()`` runs with a timeout.

Semantics follow XPath 1.0 as ODK/JavaRosa apply it to XLSForms:

- ``${q}`` and ``.`` are nodes whose string value is the answer ("" when unanswered); a
  multiple choice answer is its choice names separated by spaces.
- ``=`` and ``!=``: with a boolean on either side both are compared as booleans, else with a
  number both as numbers, else as strings (so ``${q} = ''`` is true for an empty answer and
  ``${q} = 0`` is false, since ``number('')`` is NaN).
- ``<``, ``<=``, ``>``, ``>=`` compare numbers; NaN compares false with everything.
- ``number()`` of a string that is not an XPath number is NaN; like JavaRosa, an ISO date
  (``2024-05-01``) becomes its day count since 1970-01-01 so that ``. >= today()`` works.
- A node compared with a boolean, or used as a condition, is true because the node exists
  (XPath's node-set rule); write ``${q} != ''`` to test for an answer.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

MAX_EXPRESSION_CHARS = 10_000
MAX_TOKENS = 2_000
MAX_DEPTH = 32
MAX_STRING_CHARS = 100_000
REGEX_TIMEOUT_SECONDS = 0.25


class ExpressionError(Exception):
    """Base class: anything wrong with an expression."""


class ParseError(ExpressionError):
    """The expression cannot be read. ``position`` is the 0-based character offset."""

    def __init__(self, message: str, position: int, expression: str = "") -> None:
        self.message = message
        self.position = position
        self.expression = expression
        super().__init__(_("%(message)s (at character %(position)d)")
                         % {"message": message, "position": position + 1})


class EvaluationError(ExpressionError):
    """The expression was read but cannot be evaluated (unknown function, bad regex...)."""


# --------------------------------------------------------------------------- tokens

@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num str ref name op ( ) , . .. / [ ] end
    value: str
    pos: int


_QUOTES = {"'": "'", '"': '"', "\u2018": "\u2019", "\u201c": "\u201d"}
_OPERATOR_WORDS = {"and", "or", "div", "mod"}
_TWO_CHAR = {"!=", "<=", ">=", "..", "//"}
_ONE_CHAR = set("=<>+-*|(),[]/@")
_NAME_START = re.compile(r"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_REF = re.compile(r"\$\{\s*([A-Za-z_][\w.\-]*)\s*\}")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; ``ParseError`` names the position of the first bad one."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ParseError(_("the expression is longer than %(limit)d characters")
                         % {"limit": MAX_EXPRESSION_CHARS},
                         MAX_EXPRESSION_CHARS, text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if len(tokens) >= MAX_TOKENS:
            raise ParseError(_("the expression has more than %(limit)d parts")
                             % {"limit": MAX_TOKENS}, i, text)
        if ch == "$":
            m = _REF.match(text, i)
            if not m:
                raise ParseError(_("a reference must look like ${question_name}"), i, text)
            tokens.append(Token("ref", m.group(1), i))
            i = m.end()
        elif ch in _QUOTES:
            # Word processors turn ' into ‘ ’ and authors paste them into forms: read the
            # typographic pairs as quotes too (the importer warns about them).
            end = text.find(_QUOTES[ch], i + 1)
            if end < 0:
                raise ParseError(_("this quoted text is never closed"), i, text)
            tokens.append(Token("str", text[i + 1:end], i))
            i = end + 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            assert m is not None  # noqa: S101 - guarded by the test above
            tokens.append(Token("num", m.group(0), i))
            i = m.end()
        elif text.startswith("..", i):
            tokens.append(Token("..", "..", i))
            i += 2
        elif ch == ".":
            tokens.append(Token(".", ".", i))
            i += 1
        elif text[i:i + 2] in _TWO_CHAR:
            tokens.append(Token("op", text[i:i + 2], i))
            i += 2
        elif ch in _ONE_CHAR:
            kind = ch if ch in "(),[]/" else "op"
            tokens.append(Token(kind, ch, i))
            i += 1
        elif ch.isalpha() or ch == "_":
            m = _NAME_START.match(text, i)
            assert m is not None  # noqa: S101 - ch is a letter or underscore
            word = m.group(0)
            # XPath's disambiguation rule: after an operand, and/or/div/mod are operators.
            if word in _OPERATOR_WORDS and tokens and _ends_operand(tokens[-1]):
                tokens.append(Token("op", word, i))
            else:
                tokens.append(Token("name", word, i))
            i = m.end()
        else:
            raise ParseError(_("unexpected character %(char)r") % {"char": ch}, i, text)
    tokens.append(Token("end", "", n))
    return tokens


def _ends_operand(token: Token) -> bool:
    return token.kind in {"num", "str", "ref", "name", ")", ".", "..", "]"}


# --------------------------------------------------------------------------- AST

@dataclass(frozen=True, slots=True)
class Literal:
    value: str | float


@dataclass(frozen=True, slots=True)
class Ref:
    """``${name}``."""

    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Path:
    """``.``, ``..``, ``/data/q``, ``name`` (a child step, e.g. a choice column in a
    choice_filter). ``steps`` are names, ``.`` or ``..``; ``absolute`` starts at the root."""

    steps: tuple[str, ...]
    absolute: bool
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int


Node = Literal | Ref | Path | Unary | Binary | Call

# Lowest precedence first (XPath 1.0 section 3.4/3.5).
_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"or"}),
    frozenset({"and"}),
    frozenset({"=", "!="}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "div", "mod"}),
)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message: str, token: Token | None = None) -> ParseError:
        token = token or self.peek()
        return ParseError(message, token.pos, self.text)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(_("the expression is nested more than %(limit)d levels deep")
                            % {"limit": MAX_DEPTH})

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail(_("the expression is empty"))
        node = self.binary(0)
        if self.peek().kind != "end":
            raise self.fail(_("unexpected %(what)s") % {"what": self.describe(self.peek())})
        return node

    @staticmethod
    def describe(token: Token) -> str:
        return _("end of the expression") if token.kind == "end" else f"{token.value!r}"

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek().kind == "op" and self.peek().value in _LEVELS[level]:
            op = self.advance()
            right = self.binary(level + 1)
            left = Binary(op.value, left, right, op.pos)
        return left

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.value == "-":
            self.advance()
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return Unary("-", operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "num":
            return Literal(float(token.value))
        if token.kind == "str":
            return Literal(token.value)
        if token.kind == "ref":
            return Ref(token.value, token.pos)
        if token.kind == "(":
            self.enter()
            node = self.binary(0)
            self.depth -= 1
            self.expect(")", _("a closing ')'"))
            return node
        if token.kind == "name" and self.peek().kind == "(":
            return self.call(token)
        if token.kind in {"name", ".", "..", "/"}:
            return self.path(token)
        if token.kind == "end":
            raise self.fail(_("the expression ends too early: a value is missing"), token)
        raise self.fail(_("expected a value but found %(what)s") % {"what": self.describe(token)},
                        token)

    def call(self, name: Token) -> Node:
        self.advance()  # (
        args: list[Node] = []
        self.enter()
        if self.peek().kind != ")":
            while True:
                args.append(self.binary(0))
                if self.peek().kind == ",":
                    self.advance()
                    continue
                break
        self.depth -= 1
        self.expect(")", _("',' or ')' to close %(name)s(") % {"name": name.value})
        return Call(name.value, tuple(args), name.pos)

    def path(self, first: Token) -> Node:
        steps: list[str] = []
        absolute = first.kind == "/"
        token: Token | None = None if absolute else first
        while True:
            if token is None:
                token = self.advance()
                if token.kind not in {"name", ".", ".."}:
                    raise self.fail(_("a path step (a name) is missing after '/'"), token)
            steps.append(token.value)
            if self.peek().kind == "[":
                raise self.fail(_("predicates ([...]) are not supported"))
            if self.peek().kind != "/":
                break
            self.advance()
            token = None
        return Path(tuple(steps), absolute, first.pos)

    def expect(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            raise self.fail(_("expected %(what)s but found %(found)s")
                            % {"what": what, "found": self.describe(token)}, token)
        return self.advance()


def parse(text: str) -> Node:
    """Parse ``text`` into an AST; raise ``ParseError`` with the position of the problem."""
    parser = _Parser(text)
    try:
        return parser.parse()
    except RecursionError as exc:  # belt and braces: MAX_DEPTH should stop it long before
        raise ParseError(_("the expression is nested too deeply"), parser.peek().pos,
                         text) from exc


def references(node: Node) -> set[str]:
    """The ``${names}`` an expression reads (to check them at import and order calculations)."""
    found: set[str] = set()
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Ref):
            found.add(current.name)
        elif isinstance(current, Unary):
            stack.append(current.operand)
        elif isinstance(current, Binary):
            stack.extend((current.left, current.right))
        elif isinstance(current, Call):
            stack.extend(current.args)
    return found


def functions(node: Node) -> list[Call]:
    """Every function call in the expression, in no particular order."""
    found: list[Call] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Unary):
            stack.append(current.operand)
        elif isinstance(current, Binary):
            stack.extend((current.left, current.right))
        elif isinstance(current, Call):
            found.append(current)
            stack.extend(current.args)
    return found


# --------------------------------------------------------------------------- values

@dataclass(frozen=True, slots=True)
class NodeValue:
    """A node (an answer): compared and converted through its string value."""

    text: str


Value = str | float | bool | dt.date | NodeValue

_XPATH_NUMBER = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)\s*")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?\s*")
_EPOCH = dt.date(1970, 1, 1)


def to_string(value: Value) -> str:
    """XPath ``string()``."""
    if isinstance(value, NodeValue):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        # XPath writes numbers without an exponent: 1e-07 is 0.0000001.
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_number(value: Value) -> float:
    """XPath ``number()``: NaN for anything that is not a number (dates: days since 1970)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, dt.datetime):
        return (value - dt.datetime(1970, 1, 1, tzinfo=value.tzinfo)).total_seconds() / 86400
    if isinstance(value, dt.date):
        return float((value - _EPOCH).days)
    text = to_string(value)
    if _XPATH_NUMBER.fullmatch(text):
        return float(text)
    m = _ISO_DATE.fullmatch(text)
    if m:
        try:
            return float((dt.date(int(m[1]), int(m[2]), int(m[3])) - _EPOCH).days)
        except ValueError:
            return math.nan
    return math.nan


def to_boolean(value: Value) -> bool:
    """XPath ``boolean()``; a node is true because it exists (the node-set rule)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, NodeValue):
        return True
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, dt.date):
        return True
    return value != ""


def _compare(op: str, left: Value, right: Value) -> bool:
    if op in {"=", "!="}:
        if isinstance(left, bool) or isinstance(right, bool):
            equal = to_boolean(left) == to_boolean(right)
        elif isinstance(left, float) or isinstance(right, float) or (
            isinstance(left, dt.date) and isinstance(right, dt.date)
        ):
            equal = to_number(left) == to_number(right)
        else:
            equal = to_string(left) == to_string(right)
        return equal if op == "=" else not equal
    a, b = to_number(left), to_number(right)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _arith(op: str, left: Value, right: Value) -> float:
    a, b = to_number(left), to_number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        if b == 0:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    # mod: the sign of the dividend, like Java's % (XPath 1.0).
    if b == 0 or math.isnan(a) or math.isnan(b) or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


# --------------------------------------------------------------------------- context

@dataclass
class Context:
    """What an expression sees.

    ``values``: question name -> answer (str, number, bool, date or a list for a multiple
    choice); ``current``: the name ``.`` stands for (the question whose column it is);
    ``choice``: the columns of the choice being filtered (for ``choice_filter``); ``clock``:
    returns "now", so tests and reports can fix the date.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    current: str | None = None
    choice: Mapping[str, Any] | None = None
    clock: Callable[[], dt.datetime] = field(
        default=lambda: dt.datetime.now(dt.UTC))

    def node(self, name: str) -> NodeValue:
        return NodeValue(answer_text(self.values.get(name)))


def answer_text(value: Any) -> str:
    """The XPath string value of a stored answer."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(answer_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | dt.date):
        return to_string(value)
    return str(value)


# --------------------------------------------------------------------------- functions

def _arity(name: str, args: tuple[Node, ...], low: int, high: int | None) -> None:
    if len(args) < low or (high is not None and len(args) > high):
        if high == low:
            wanted = str(low)
        elif high is None:
            wanted = _("%(low)d or more") % {"low": low}
        else:
            wanted = _("%(low)d to %(high)d") % {"low": low, "high": high}
        raise EvaluationError(_("%(name)s() takes %(wanted)s argument(s), not %(count)d")
                              % {"name": name, "wanted": wanted, "count": len(args)})


def _regex_search(pattern: str, text: str) -> bool:
    try:
        import regex as regex_module
    except ImportError:  # pragma: no cover - the regex package is installed with the hub
        regex_module = None
    if len(pattern) > 1_000 or len(text) > MAX_STRING_CHARS:
        raise EvaluationError(_("regex(): the pattern or the text is too long"))
    try:
        if regex_module is not None:
            return regex_module.search(pattern, text, timeout=REGEX_TIMEOUT_SECONDS) is not None
        return re.search(pattern, text) is not None
    except TimeoutError as exc:
        raise EvaluationError(_("regex(): the pattern took too long (catastrophic "
                                "backtracking?)")) from exc
    except Exception as exc:  # re.error / regex.error: a bad pattern written by the author
        raise EvaluationError(_("regex(): the pattern is not valid: %(error)s")
                              % {"error": exc}) from exc


def _cap(text: str) -> str:
    if len(text) > MAX_STRING_CHARS:
        raise EvaluationError(_("the result is longer than %(limit)d characters")
                              % {"limit": MAX_STRING_CHARS})
    return text


def _round(value: float, digits: float = 0.0) -> float:
    if math.isnan(value) or math.isinf(value):
        return value
    scale = 10 ** int(digits)
    return math.floor(value * scale + 0.5) / scale


class Evaluator:
    """Walks an AST. The parser bounds nesting (parentheses, calls, unary minus) to
    ``MAX_DEPTH``; operator chains are walked in a loop; so recursion stays shallow."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def eval(self, node: Node) -> Value:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Ref):
            return self.context.node(node.name)
        if isinstance(node, Path):
            return self.path(node)
        if isinstance(node, Unary):
            return -to_number(self.eval(node.operand))
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def path(self, node: Path) -> Value:
        steps = node.steps
        if not node.absolute and steps == (".",):
            if self.context.current is None:
                raise EvaluationError(_("'.' is used where there is no current question"))
            return self.context.node(self.context.current)
        if not node.absolute and len(steps) == 1 and self.context.choice is not None:
            return NodeValue(answer_text(self.context.choice.get(steps[0])))
        # /data/group/q or ../q: XLSForm names are unique, so the last step names the question.
        last = steps[-1]
        if last in {".", ".."}:
            raise EvaluationError(_("this path does not name a question"))
        return self.context.node(last)

    def binary(self, node: Binary) -> Value:
        # A chain such as ``a + b + c + ...`` or ``x or y or ...`` is a left-deep tree; walk
        # its left spine in a loop so that a long (legitimate) chain never recurses deeply.
        spine: list[Binary] = []
        current: Node = node
        while isinstance(current, Binary):
            spine.append(current)
            current = current.left
        value = self.eval(current)
        for step in reversed(spine):
            value = self.apply(step, value)
        return value

    def apply(self, node: Binary, left: Value) -> Value:
        op = node.op
        if op == "or":
            return to_boolean(left) or to_boolean(self.eval(node.right))
        if op == "and":
            return to_boolean(left) and to_boolean(self.eval(node.right))
        right = self.eval(node.right)
        if op in {"=", "!=", "<", "<=", ">", ">="}:
            return _compare(op, left, right)
        if op == "|":
            raise EvaluationError(_("node-set unions ('|') are not supported"))
        return _arith(op, left, right)

    def call(self, node: Call) -> Value:
        name, args = node.name, node.args
        handler = _FUNCTIONS.get(name)
        if handler is None:
            raise EvaluationError(_("the function %(name)s() is not supported") % {"name": name})
        return handler(self, name, args)

    def arg_string(self, node: Node) -> str:
        return to_string(self.eval(node))

    def arg_number(self, node: Node) -> float:
        return to_number(self.eval(node))


def _fn_selected(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 2, 2)
    return ev.arg_string(args[1]).strip() in ev.arg_string(args[0]).split()


def _fn_count_selected(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    return float(len(ev.arg_string(args[0]).split()))


def _fn_string_length(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 0, 1)
    text = ev.arg_string(args[0]) if args else ev.arg_string(Path((".",), False, 0))
    return float(len(text))


def _fn_regex(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 2, 2)
    return _regex_search(ev.arg_string(args[1]), ev.arg_string(args[0]))


def _fn_if(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 3, 3)
    return ev.eval(args[1]) if to_boolean(ev.eval(args[0])) else ev.eval(args[2])


def _fn_coalesce(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 2, 2)
    first = ev.eval(args[0])
    return first if to_string(first) != "" else ev.eval(args[1])


def _fn_today(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 0, 0)
    return ev.context.clock().date()


def _fn_now(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 0, 0)
    return ev.context.clock()


def _fn_int(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    value = ev.arg_number(args[0])
    return value if math.isnan(value) or math.isinf(value) else float(math.trunc(value))


def _fn_number(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    return ev.arg_number(args[0])


def _fn_string(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    return ev.arg_string(args[0])


def _fn_boolean(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    return to_boolean(ev.eval(args[0]))


def _fn_concat(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    return _cap("".join(ev.arg_string(a) for a in args))


def _fn_not(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    return not to_boolean(ev.eval(args[0]))


def _fn_true(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 0, 0)
    return name == "true"


def _fn_contains(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 2, 2)
    text, part = ev.arg_string(args[0]), ev.arg_string(args[1])
    if name == "contains":
        return part in text
    if name == "starts-with":
        return text.startswith(part)
    return text.endswith(part)


def _fn_round(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 2)
    digits = ev.arg_number(args[1]) if len(args) == 2 else 0.0
    return _round(ev.arg_number(args[0]), 0.0 if math.isnan(digits) else digits)


def _fn_floor(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    value = ev.arg_number(args[0])
    if math.isnan(value) or math.isinf(value):
        return value
    return float(math.floor(value) if name == "floor" else math.ceil(value))


def _fn_substr(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    # ODK's substr(string, start[, end]) is 0-based with an exclusive end.
    _arity(name, args, 2, 3)
    text = ev.arg_string(args[0])
    start = ev.arg_number(args[1])
    end = ev.arg_number(args[2]) if len(args) == 3 else float(len(text))
    if math.isnan(start) or math.isnan(end):
        return ""
    return text[max(0, int(start)):max(0, int(min(end, len(text))))]


def _fn_normalize_space(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    _arity(name, args, 1, 1)
    return " ".join(ev.arg_string(args[0]).split())


def _fn_math(ev: Evaluator, name: str, args: tuple[Node, ...]) -> Value:
    fn, count = _MATH[name]
    _arity(name, args, count, count)
    numbers = [ev.arg_number(a) for a in args]
    try:
        return float(fn(*numbers))
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan  # sqrt(-1), log(0): XPath has no exceptions, only NaN


_MATH: dict[str, tuple[Callable[..., float], int]] = {
    "abs": (abs, 1), "sqrt": (math.sqrt, 1), "exp": (math.exp, 1), "log": (math.log, 1),
    "log10": (math.log10, 1), "sin": (math.sin, 1), "cos": (math.cos, 1),
    "tan": (math.tan, 1), "asin": (math.asin, 1), "acos": (math.acos, 1),
    "atan": (math.atan, 1), "atan2": (math.atan2, 2), "pow": (math.pow, 2),
    "pi": (lambda: math.pi, 0),
}

_Handler = Callable[[Evaluator, str, tuple[Node, ...]], Value]
_FUNCTIONS: dict[str, _Handler] = {
    "selected": _fn_selected,
    "count-selected": _fn_count_selected,
    "string-length": _fn_string_length,
    "regex": _fn_regex,
    "if": _fn_if,
    "coalesce": _fn_coalesce,
    "today": _fn_today,
    "now": _fn_now,
    "int": _fn_int,
    "number": _fn_number,
    "string": _fn_string,
    "boolean": _fn_boolean,
    "concat": _fn_concat,
    "not": _fn_not,
    "true": _fn_true,
    "false": _fn_true,
    "contains": _fn_contains,
    "starts-with": _fn_contains,
    "ends-with": _fn_contains,
    "round": _fn_round,
    "floor": _fn_floor,
    "ceiling": _fn_floor,
    "substr": _fn_substr,
    "normalize-space": _fn_normalize_space,
    **{name: _fn_math for name in _MATH},
}

SUPPORTED_FUNCTIONS = frozenset(_FUNCTIONS)


def unsupported_functions(node: Node) -> list[Call]:
    """Calls to functions this evaluator does not know (reported at import, by position)."""
    return sorted((c for c in functions(node) if c.name not in _FUNCTIONS),
                  key=lambda c: c.pos)


def evaluate(expression: str | Node, context: Context | None = None) -> Value:
    """Parse (if needed) and evaluate an expression; the raw XPath value."""
    node = parse(expression) if isinstance(expression, str) else expression
    try:
        return Evaluator(context or Context()).eval(node)
    except RecursionError as exc:
        raise EvaluationError(_("the expression is too deeply nested to evaluate")) from exc


def evaluate_boolean(expression: str | Node, context: Context | None = None) -> bool:
    """For ``relevant``, ``constraint``, ``required`` and ``read_only``."""
    return to_boolean(evaluate(expression, context))


def evaluate_string(expression: str | Node, context: Context | None = None) -> str:
    """For ``calculation`` and ``default``: the value as it would be stored."""
    return to_string(evaluate(expression, context))
