"""Compile parsed queries once and evaluate many of them over a tokenised passage.

How it stays fast and bounded:

- every distinct word pattern of every query is an *atom* (an int); a folded text word is mapped
  to the atoms it matches once (exact words by dict, ``prefix*`` by at most ~60 dict look-ups of
  its prefixes, other wildcards by an escaped, anchored regular expression tried only on words
  that share the literal prefix), and the answer is cached across texts;
- a passage becomes ``atom -> sorted positions``; a rule is only evaluated if its *trigger*
  atoms (one clause of atoms of which at least one must be present for the rule to match) occur,
  and then only if all its other required clauses are met, so the ~1,500 rules cost little;
- evaluation works on word positions, never on text: phrases check consecutive positions,
  ``W/n`` / ``PRE/n`` pair up spans with a binary search, and every intermediate list of spans is
  capped (``MAX_SPANS``), so no input can make the work explode. Words longer than
  ``MAX_WORD_LENGTH`` characters match nothing (they are not words).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .query import And, AndNot, Node, Or, Phrase, parse
from .text import fold

MAX_SPANS = 256
MAX_WORD_LENGTH = 64

# A span: (first word index, last word index, parts) where parts are the (first, last) word
# indices of the phrases that matched inside it: what a reader should see highlighted.
Span = tuple[int, int, tuple[tuple[int, int], ...]]


class AtomTable:
    """Interns word patterns and answers "which patterns does this folded word match?"."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, bool], int] = {}
        self.patterns: list[str] = []
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._prefix_lengths: list[int] = []
        self._general: dict[str, list[tuple[re.Pattern[str], int]]] = {}
        self._general_lengths: list[int] = []
        self._cache: dict[str, tuple[int, ...]] = {}

    def intern(self, pattern: str, plurals: bool = False) -> int:
        """Return the atom id of a folded word pattern, registering it the first time."""
        if "*" not in pattern and "?" not in pattern:
            plurals = plurals and pattern.isalpha() and len(pattern) >= 3
        else:
            plurals = False
        key = (pattern, plurals)
        atom = self._ids.get(key)
        if atom is not None:
            return atom
        atom = len(self.patterns)
        self._ids[key] = atom
        self.patterns.append(pattern)
        self._cache.clear()
        if "*" not in pattern and "?" not in pattern:
            forms = {pattern}
            if plurals:
                # Scopus matches simple plurals of a term; the Aurora queries rely on it.
                forms |= {pattern + "s", pattern + "es"}
            for form in forms:
                self._exact.setdefault(form, []).append(atom)
        elif pattern.endswith("*") and "*" not in pattern[:-1] and "?" not in pattern:
            prefix = pattern[:-1]
            self._prefix.setdefault(prefix, []).append(atom)
            if len(prefix) not in self._prefix_lengths:
                self._prefix_lengths.append(len(prefix))
                self._prefix_lengths.sort()
        else:
            literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
            regex = "".join(
                r"\w*" if c == "*" else (r"\w" if c == "?" else re.escape(c)) for c in pattern
            )
            self._general.setdefault(literal, []).append((re.compile(regex), atom))
            if len(literal) not in self._general_lengths:
                self._general_lengths.append(len(literal))
                self._general_lengths.sort()
        return atom

    def lookup(self, word: str) -> tuple[int, ...]:
        """Atoms matched by a folded word (cached; the cache is bounded)."""
        found = self._cache.get(word)
        if found is not None:
            return found
        atoms: list[int] = []
        if len(word) <= MAX_WORD_LENGTH:
            atoms.extend(self._exact.get(word, ()))
            for length in self._prefix_lengths:
                if length > len(word):
                    break
                atoms.extend(self._prefix.get(word[:length], ()))
            for length in self._general_lengths:
                if length > len(word):
                    break
                for regex, atom in self._general.get(word[:length], ()):
                    if regex.fullmatch(word):
                        atoms.append(atom)
        result = tuple(atoms)
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[word] = result
        return result


class Context:
    """The positions of the atoms present in one passage."""

    __slots__ = ("positions", "_sets")

    def __init__(self, positions: dict[int, list[int]]) -> None:
        self.positions = positions
        self._sets: dict[int, set[int]] = {}

    def position_set(self, atom: int) -> set[int]:
        found = self._sets.get(atom)
        if found is None:
            found = self._sets[atom] = set(self.positions.get(atom, ()))
        return found


class CPhrase:
    __slots__ = ("atoms",)

    def __init__(self, atoms: tuple[int, ...]) -> None:
        self.atoms = atoms

    def evaluate(self, ctx: Context) -> list[Span]:
        first = ctx.positions.get(self.atoms[0])
        if not first:
            return []
        if len(self.atoms) == 1:
            return [(p, p, ((p, p),)) for p in first[:MAX_SPANS]]
        rest = []
        for atom in self.atoms[1:]:
            if atom not in ctx.positions:
                return []
            rest.append(ctx.position_set(atom))
        last = len(self.atoms) - 1
        spans: list[Span] = []
        for p in first:
            if all(p + i + 1 in s for i, s in enumerate(rest)):
                spans.append((p, p + last, ((p, p + last),)))
                if len(spans) >= MAX_SPANS:
                    break
        return spans


class COr:
    __slots__ = ("children",)

    def __init__(self, children: tuple) -> None:
        self.children = children

    def evaluate(self, ctx: Context) -> list[Span]:
        spans: list[Span] = []
        for child in self.children:
            spans.extend(child.evaluate(ctx))
            if len(spans) >= MAX_SPANS:
                return spans[:MAX_SPANS]
        return spans


class CAnd:
    __slots__ = ("children",)

    def __init__(self, children: tuple) -> None:
        self.children = children

    def evaluate(self, ctx: Context) -> list[Span]:
        spans: list[Span] = []
        for child in self.children:
            found = child.evaluate(ctx)
            if not found:
                return []
            spans.extend(found)
        return spans[:MAX_SPANS]


class CAndNot:
    __slots__ = ("left", "right")

    def __init__(self, left, right) -> None:
        self.left = left
        self.right = right

    def evaluate(self, ctx: Context) -> list[Span]:
        found = self.left.evaluate(ctx)
        if not found or self.right.evaluate(ctx):
            return []
        return found


class CNear:
    __slots__ = ("left", "right", "distance", "ordered")

    def __init__(self, left, right, distance: int, ordered: bool) -> None:
        self.left = left
        self.right = right
        self.distance = distance
        self.ordered = ordered

    def evaluate(self, ctx: Context) -> list[Span]:
        left = self.left.evaluate(ctx)
        if not left:
            return []
        right = self.right.evaluate(ctx)
        if not right:
            return []
        right.sort(key=lambda span: span[0])
        starts = [span[0] for span in right]
        longest = max(span[1] - span[0] for span in right)
        n = self.distance
        out: list[Span] = []
        for ls, le, lparts in left:
            low = le + 1 if self.ordered else ls - n - 1 - longest
            high = le + n + 1
            i = bisect_left(starts, low)
            while i < len(starts) and starts[i] <= high:
                rs, re_, rparts = right[i]
                i += 1
                if rs > le:
                    gap = rs - le - 1
                elif re_ < ls and not self.ordered:
                    gap = ls - re_ - 1
                else:
                    continue  # overlapping spans, or wrong order for PRE/n
                if gap <= n:
                    out.append((min(ls, rs), max(le, re_), lparts + rparts))
                    if len(out) >= MAX_SPANS:
                        return out
        return out


def compile_node(node: Node, atoms: AtomTable, plurals: bool = False):
    """Turn an AST into evaluable nodes whose words are atoms of ``atoms``."""
    if isinstance(node, Phrase):
        return CPhrase(tuple(atoms.intern(fold(w), plurals) for w in node.words))
    if isinstance(node, Or):
        return COr(tuple(compile_node(c, atoms, plurals) for c in node.children))
    if isinstance(node, And):
        return CAnd(tuple(compile_node(c, atoms, plurals) for c in node.children))
    if isinstance(node, AndNot):
        return CAndNot(compile_node(node.left, atoms, plurals),
                       compile_node(node.right, atoms, plurals))
    return CNear(compile_node(node.left, atoms, plurals), compile_node(node.right, atoms, plurals),
                 node.distance, node.ordered)


def _one_of(node) -> frozenset[int]:
    """Atoms of which at least one occurs whenever ``node`` matches."""
    if isinstance(node, CPhrase):
        return frozenset(node.atoms[:1])
    if isinstance(node, COr):
        return frozenset().union(*(_one_of(c) for c in node.children))
    if isinstance(node, CAnd):
        return min((_one_of(c) for c in node.children), key=len)
    if isinstance(node, CAndNot):
        return _one_of(node.left)
    return min(_one_of(node.left), _one_of(node.right), key=len)


def _required(node) -> list[frozenset[int]]:
    """Clauses (sets of atoms) that must each intersect the passage for ``node`` to match."""
    if isinstance(node, CPhrase):
        return [frozenset((a,)) for a in node.atoms]
    if isinstance(node, COr):
        return [_one_of(node)]
    if isinstance(node, CAnd):
        return [clause for c in node.children for clause in _required(c)]
    if isinstance(node, CAndNot):
        return _required(node.left)
    return _required(node.left) + _required(node.right)


@dataclass
class Rule:
    """One query or term tied to an SDG goal and, where clear, a target."""

    id: str
    goal: int
    target: str | None
    source: str  # aurora | fr | es | sse
    lang: str | None  # language of the words; None = language-neutral
    query: str
    weight: float = 1.0
    description: str = ""
    node: object = field(default=None, repr=False)
    clauses: tuple[frozenset[int], ...] = field(default=(), repr=False)
    trigger: frozenset[int] = field(default=frozenset(), repr=False)


def compile_rule(rule: Rule, atoms: AtomTable, tree: Node | None = None,
                 plurals: bool = False) -> Rule:
    """Parse (unless ``tree`` is given) and compile a rule in place; return it."""
    tree = parse(rule.query) if tree is None else tree
    rule.node = compile_node(tree, atoms, plurals)
    clauses = sorted(set(_required(rule.node)), key=len)
    rule.clauses = tuple(clauses)
    rule.trigger = clauses[0]
    return rule


class RuleSet:
    """A selection of compiled rules with the inverted indexes that pick candidates.

    Every distinct required clause gets an id; a passage first computes which clauses its atoms
    satisfy (set unions in C), then evaluates only the rules whose trigger clause is satisfied
    and whose clause ids are all satisfied (one subset test), so a paragraph touches a handful of
    rules out of ~1,500.
    """

    def __init__(self, rules: Sequence[Rule], atoms: AtomTable) -> None:
        self.rules = list(rules)
        self.atoms = atoms
        clause_ids: dict[frozenset[int], int] = {}
        atom_clauses: dict[int, set[int]] = {}
        self._trigger_rules: dict[int, list[int]] = {}
        self._rule_clauses: list[frozenset[int]] = []
        for index, rule in enumerate(self.rules):
            ids = []
            for clause in rule.clauses:
                cid = clause_ids.get(clause)
                if cid is None:
                    cid = clause_ids[clause] = len(clause_ids)
                    for atom in clause:
                        atom_clauses.setdefault(atom, set()).add(cid)
                ids.append(cid)
            self._rule_clauses.append(frozenset(ids))
            self._trigger_rules.setdefault(clause_ids[rule.trigger], []).append(index)
        self._atom_clauses = {atom: tuple(sorted(c)) for atom, c in atom_clauses.items()}

    def evaluate(self, words: Sequence[str]) -> Iterable[tuple[Rule, list[Span]]]:
        """Yield ``(rule, spans)`` for each rule matching the folded words of one passage."""
        by_word: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            found = by_word.get(word)
            if found is None:
                by_word[word] = [i]
            else:
                found.append(i)
        positions: dict[int, list[int]] = {}
        lookup = self.atoms.lookup
        for word, indices in by_word.items():
            for atom in lookup(word):
                found = positions.get(atom)
                if found is None:
                    positions[atom] = indices if len(indices) == 1 else list(indices)
                else:
                    found = positions[atom] = found + indices
        if not positions:
            return
        satisfied: set[int] = set()
        atom_clauses = self._atom_clauses
        for atom, found in positions.items():
            if len(found) > 1:
                found.sort()
            clauses = atom_clauses.get(atom)
            if clauses:
                satisfied.update(clauses)
        if not satisfied:
            return
        candidates: set[int] = set()
        trigger_rules = self._trigger_rules
        for cid in satisfied:
            indices = trigger_rules.get(cid)
            if indices:
                candidates.update(indices)
        ctx = Context(positions)
        rules = self.rules
        rule_clauses = self._rule_clauses
        for index in candidates:
            if rule_clauses[index] <= satisfied:
                spans = rules[index].node.evaluate(ctx)
                if spans:
                    yield rules[index], spans
