"""The query parser: what users write becomes an AST; nothing they write makes it raise."""

from __future__ import annotations

import pytest

from ssehub.search.query import MAX_QUERY_CHARS, Phrase, Term, parse


def test_words_phrases_exclusions_fields_prefix():
    parsed = parse('cooperatives "drinking water" -Bolivia title:Gender author:Smith coop*')
    options = [(c.options[0], c.negated) for c in parsed.clauses]
    assert options == [
        (Term("cooperatives"), False),
        (Phrase(("drinking", "water")), False),
        (Term("bolivia"), True),
        (Term("gender", "title"), False),
        (Term("smith", "author"), False),
        (Term("coop", prefix=True), False),
    ]
    assert parsed.text == "cooperatives drinking water Gender Smith coop"


def test_or_joins_neighbours_and_accents_fold():
    parsed = parse("Économie OR énergie sociale")
    assert [o.text for o in parsed.clauses[0].options] == ["economie", "energie"]
    assert parsed.clauses[1].options == [Term("sociale")]


def test_stop_words_are_optional_unless_alone():
    parsed = parse("coopératives et accès à l'eau potable")
    optional = {c.options[0].text if isinstance(c.options[0], Term) else c.options[0].words
                for c in parsed.clauses if c.optional}
    assert optional == {"et", "a"}
    assert not any(c.optional for c in parse("de la").clauses)


@pytest.mark.parametrize("raw", [
    '"unbalanced phrase', 'a"b(c', "OR", "- -", "AND OR NOT", "title:", ":::", "*", "**coop",
    "+(water AND [sanitation]^2~ {x} \\ / !", "' OR 1=1; DROP TABLE search_document; --",
    "\x00\x01", "🙂 社会团结经济", "field:value:other", '""', "-", "title:\"\"",
    "a" * 20_000,
])
def test_malformed_queries_never_raise(raw):
    parsed = parse(raw)
    for clause in parsed.clauses:
        for option in clause.options:
            words = option.words if isinstance(option, Phrase) else (option.text,)
            assert all(word.isalnum() or "_" in word for word in words)


def test_long_queries_are_cut():
    assert parse("water " * 5000).truncated
    assert len(parse("w" * (MAX_QUERY_CHARS * 3)).text) <= MAX_QUERY_CHARS


def test_only_exclusions_or_nothing():
    assert parse("").is_empty and not parse("").clauses
    excluded = parse("-bolivia")
    assert excluded.is_empty and excluded.negative
