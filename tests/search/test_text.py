"""Snippets find the query's words whatever their accents and case, at the right place."""

from __future__ import annotations

from ssehub.search.text import fold, fold_in_place, has_match, snippet


def test_folding_keeps_positions_so_marks_land_on_the_original_words():
    text = "Les COOPÉRATIVES d'économie sociale et l'Économie solidaire à São Paulo"
    assert len(fold_in_place(text)) == len(text)
    html = snippet(text, ["cooperative", "economie", "sao"])
    assert "<mark>COOPÉRATIVES</mark>" in html
    assert "<mark>économie</mark>" in html and "<mark>Économie</mark>" in html
    assert "<mark>São</mark>" in html
    assert html.count("<mark>") == 4


def test_words_are_matched_from_their_start_and_stop_words_are_not_marked():
    html = snippet("cooperation and noncooperative firms of the region", ["cooperative", "the"])
    assert html.count("<mark>") == 1 and "<mark>cooperation</mark>" in html
    assert "<mark>the</mark>" not in html


def test_has_match_agrees_with_snippet_and_html_is_escaped():
    assert has_match("Agua potable para cooperativas", ["cooperativa"])
    assert not has_match("Agua potable", ["cooperativa"])
    assert not has_match("", ["cooperativa"]) and not has_match("texto", [])
    assert "&lt;script&gt;" in snippet("<script>coop</script>", ["coop"])


def test_fold():
    assert fold("Coopérative ÉTÉ") == "cooperative ete"
    assert fold("plain") == "plain"
