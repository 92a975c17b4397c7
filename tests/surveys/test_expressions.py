"""The XPath-subset evaluator: precedence, XPath's conversions, functions, and bad input."""

from __future__ import annotations

import datetime as dt
import math
import time

import pytest

from ssehub.surveys import expressions as ex
from ssehub.surveys.expressions import Context, EvaluationError, ParseError, evaluate

FIXED = dt.datetime(2026, 3, 15, 10, 30, tzinfo=dt.UTC)


def ev(expression: str, current: str | None = None, **values):
    return evaluate(expression, Context(values=values, current=current, clock=lambda: FIXED))


# ---------------------------------------------------------------- precedence and arithmetic

@pytest.mark.parametrize("expression, expected", [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("10 - 4 - 3", 3.0),  # left-associative
    ("2 * 3 mod 4", 2.0),  # same level, left to right: (2*3) mod 4
    ("7 div 2", 3.5),
    ("- 2 + 5", 3.0),
    ("--3", 3.0),
    ("1 + 2 = 3", True),  # arithmetic binds tighter than comparison
    ("1 < 2 = 2 > 1", True),  # relational binds tighter than equality
    ("true() or false() and false()", True),  # and binds tighter than or
    ("(true() or false()) and false()", False),
    ("1 = 1 and 2 != 2 or 3 >= 3", True),
    ("7 mod -3", 1.0),  # XPath: the sign of the dividend
    ("-7 mod 3", -1.0),
])
def test_precedence_and_arithmetic(expression, expected):
    assert ev(expression) == expected


def test_division_by_zero_is_infinity_or_nan_not_an_exception():
    assert ev("1 div 0") == math.inf
    assert ev("-1 div 0") == -math.inf
    assert math.isnan(ev("0 div 0"))
    assert math.isnan(ev("5 mod 0"))


def test_operator_words_are_names_where_an_operand_is_expected():
    # "div" and "mod" after an operator are names (a choice column in a choice_filter).
    node = ex.parse("div = mod")
    assert isinstance(node, ex.Binary) and node.op == "="
    assert ev("and = 'x'", current=None) is False  # unanswered names are empty strings


# ---------------------------------------------------------------- XPath comparison rules

def test_empty_answer_compares_as_string_not_as_zero():
    assert ev("${q} = ''", q="") is True
    assert ev("${q} = 0", q="") is False  # number('') is NaN, and NaN equals nothing
    assert ev("${q} != 0", q="") is True
    assert ev("${q} < 1", q="") is False
    assert ev("${q} > 1", q="") is False
    assert ev("${q} = ''") is True  # a question never answered is empty too


def test_numbers_given_as_text_compare_numerically():
    assert ev("${n} = 5", n="5.0") is True
    assert ev("${n} > 10", n="9") is False  # numbers, not "9" > "10" as text
    assert ev("${n} = '5.0'", n="5") is False  # both strings: compared as text
    assert ev("${n} + 1", n=41) == 42.0


def test_node_against_boolean_uses_node_existence():
    # XPath: a node-set compared with a boolean is converted with boolean(), and a node
    # exists even when empty. Authors test answers with != '' instead.
    assert ev("${q} = true()", q="") is True
    assert ex.evaluate_boolean("${q}", Context(values={"q": ""})) is True
    assert ex.evaluate_boolean("${q} != ''", Context(values={"q": ""})) is False


def test_boolean_strings_and_numbers():
    assert ev("boolean('')") is False
    assert ev("boolean('false')") is True  # any non-empty string
    assert ev("boolean(0)") is False
    assert ev("boolean(number('x'))") is False  # NaN is false
    assert ev("true() = 1") is True


def test_number_of_a_non_number_is_nan():
    assert math.isnan(ev("number('abc')"))
    assert math.isnan(ev("number('1e3')"))  # XPath 1.0 numbers have no exponent
    assert math.isnan(ev("number('')"))
    assert ev("number(' 12.5 ')") == 12.5
    assert ev("number('abc') = number('abc')") is False  # NaN != NaN
    assert ev("number('abc') != number('abc')") is True
    assert ex.evaluate_string("number('abc')") == "NaN"
    assert ev("number(true())") == 1.0


def test_string_of_numbers_has_no_trailing_zero_or_exponent():
    assert ex.evaluate_string("2 + 2") == "4"
    assert ex.evaluate_string("1 div 4") == "0.25"
    assert ex.evaluate_string("0.0000001") == "0.0000001"
    assert ex.evaluate_string("1 div 0") == "Infinity"


# ---------------------------------------------------------------- functions

def test_selected_on_space_separated_multi_select():
    values = {"crops": "maize beans cassava"}
    assert ev("selected(${crops}, 'beans')", **values) is True
    assert ev("selected(${crops}, 'bean')", **values) is False  # whole choice names only
    assert ev("selected(${crops}, 'maize beans')", **values) is False
    assert ev("selected(${crops}, 'x')", crops="") is False
    assert ev("selected(${crops}, 'b')", crops=["a", "b"]) is True  # a stored list
    assert ev("not(selected(., 'c') and selected(., 'd'))", current="q", q="c d") is False


def test_count_selected():
    assert ev("count-selected(${q})", q="a b  c") == 3.0
    assert ev("count-selected(${q})", q="") == 0.0
    assert ev("count-selected(.) >= 2", current="q", q="a b") is True


def test_string_length():
    assert ev("string-length(${q})", q="héllo") == 5.0
    assert ev("string-length(.) > 3", current="q", q="abc") is False
    assert ev("string-length()", current="q", q="abcd") == 4.0
    assert ev("string-length(12.50)") == 4.0  # string(12.5) is "12.5"


def test_regex():
    email = "regex(., '^[^@ ]+@[^@ ]+\\.[a-z]{2,}$')"
    assert ev(email, current="q", q="info@ripess.org") is True
    assert ev(email, current="q", q="not an email") is False
    assert ev("regex(${q}, '[0-9]')", q="abc1") is True  # a search, like JavaRosa


def test_regex_errors_are_reported_not_raised_as_python_errors():
    with pytest.raises(EvaluationError, match="not valid"):
        ev("regex('a', '(')")


def test_regex_catastrophic_backtracking_is_bounded():
    started = time.monotonic()
    with pytest.raises(EvaluationError, match="too long"):
        ev("regex(${q}, '^(a|aa)+$')", q="a" * 60 + "!")
    assert time.monotonic() - started < 5


def test_if_is_lazy_and_coalesce_skips_empty():
    assert ev("if(${q} = 'yes', 'member', 'observer')", q="yes") == "member"
    assert ev("if(${q} = 'yes', 'member', 'observer')", q="no") == "observer"
    # The branch not taken is not evaluated: an unknown function there is no error.
    assert ev("if(true(), 1, nosuchfunction())") == 1.0
    assert ex.evaluate_string("coalesce(${a}, ${b})", Context(values={"a": "", "b": "x"})) \
        == "x"
    assert ex.evaluate_string("coalesce(${a}, ${b})", Context(values={"a": "y", "b": "x"})) \
        == "y"


def test_today_uses_the_given_clock():
    assert ex.evaluate_string("today()", Context(clock=lambda: FIXED)) == "2026-03-15"
    assert ev("${d} >= today()", d="2026-03-15") is True
    assert ev("${d} >= today()", d="2026-03-14") is False
    assert ev("${d} = today()", d="2026-03-15") is True
    assert ev("today() - ${d}", d="2026-03-05") == 10.0  # dates count in days
    assert ev("${d} < today()", d="not a date") is False


def test_int_number_concat_not():
    assert ev("int(3.9)") == 3.0
    assert ev("int(-3.9)") == -3.0  # towards zero
    assert ev("int('7.2')") == 7.0
    assert math.isnan(ev("int('x')"))
    assert ev("number('42') + 1") == 43.0
    assert ev("concat('a', ${q}, 1, true())", q="-") == "a-1true"
    assert ev("concat()") == ""
    assert ev("not(${q} = 'x')", q="x") is False
    assert ev("not('')") is True


def test_arity_and_unknown_functions_are_evaluation_errors():
    with pytest.raises(EvaluationError, match="takes 2"):
        ev("selected(${q})")
    with pytest.raises(EvaluationError, match="not supported"):
        ev("pulldata('a', 'b', 'c', 'd')")
    node = ex.parse("pulldata('a') + selected(., 'x') + indexed-repeat(1)")
    assert [c.name for c in ex.unsupported_functions(node)] == ["pulldata", "indexed-repeat"]


def test_dot_without_a_current_question_is_an_error():
    with pytest.raises(EvaluationError):
        evaluate(". > 1")


def test_choice_filter_names_read_the_choice_columns():
    context = Context(values={"country": "fr"}, choice={"country": "fr", "name": "paris"})
    assert ex.evaluate_boolean("country = ${country}", context) is True
    assert ex.evaluate_boolean("country = 'es'", context) is False


def test_paths_resolve_to_the_named_question():
    assert ev("/data/group/q = 'x'", q="x") is True
    assert ev("selected(../q, 'x')", q="x y") is True


def test_references_are_listed_for_import_checks():
    node = ex.parse("${a} + if(${b} = '', 0, ${c})")
    assert ex.references(node) == {"a", "b", "c"}


# ---------------------------------------------------------------- malformed input

@pytest.mark.parametrize("expression, position", [
    ("1 +", 3),
    ("(1 + 2", 6),
    ("${q} = = 2", 7),
    ("selected(${q}, 'a'", 18),
    ("'unclosed", 0),
    ("${q", 0),
    ("${} = 1", 0),
    ("1 # 2", 2),
    ("", 0),
    ("a[1]", 1),
    ("1 2", 2),
    ("concat('a',)", 11),
])
def test_malformed_expressions_raise_parse_error_with_position(expression, position):
    with pytest.raises(ParseError) as info:
        ex.parse(expression)
    assert info.value.position == position
    assert f"character {position + 1}" in str(info.value)


def test_deep_nesting_is_a_parse_error_not_a_recursion_error():
    # Within the length and token limits, so that the nesting limit is what stops them.
    for deep in ("(" * 900 + "1" + ")" * 900,
                 "not(" * 600 + "true()" + ")" * 600,
                 "-" * 1500 + "1"):
        with pytest.raises(ParseError, match="nested"):
            ex.parse(deep)


def test_long_operator_chains_evaluate_without_recursion():
    # A left-deep tree of 900 nodes: deeper than Python's recursion limit would allow.
    assert evaluate(" + ".join(["1"] * 999)) == 999.0
    assert evaluate(" or ".join(["false()"] * 399) + " or true()") is True


def test_size_limits():
    with pytest.raises(ParseError, match="longer than"):
        ex.parse("1" * (ex.MAX_EXPRESSION_CHARS + 1))
    with pytest.raises(ParseError, match="parts"):
        ex.parse(" + ".join(["1"] * ex.MAX_TOKENS))
    with pytest.raises(EvaluationError, match="longer than"):
        ev("concat(${q}, ${q})", q="x" * ex.MAX_STRING_CHARS)


def test_no_python_evaluation_happens():
    # Python syntax is not XPath: these fail to parse instead of running anything.
    for hostile in ("__import__('os').system('true')", "().__class__", "lambda: 1",
                    "${q}.__class__"):
        with pytest.raises(ex.ExpressionError):
            ev(hostile, q="x")


def test_random_input_only_ever_raises_expression_errors():
    """Fuzz with a fixed seed: whatever an author types, the evaluator answers or explains;
    it never fails with a Python error (TypeError, IndexError, RecursionError...)."""
    import random

    pieces = ["${a}", "${b}", ".", "..", "/", "1", "0.5", "'x'", "'a b'", "(", ")", ",", "=",
              "!=", "<", ">=", "+", "-", "*", "div", "mod", "and", "or", "not(", "selected(",
              "count-selected(", "string-length(", "regex(", "if(", "coalesce(", "today()",
              "int(", "number(", "concat(", "true()", "false()", "name", "[", "]", "$", "@"]
    rng = random.Random(6)
    context = Context(values={"a": "x y", "b": "3"}, current="a", clock=lambda: FIXED)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        try:
            evaluate(text, context)
            outcomes["ok"] += 1
        except ex.ExpressionError:
            outcomes["error"] += 1
    assert outcomes["ok"] > 50 and outcomes["error"] > 50
