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


def test_marks_are_the_words_the_stem_pattern_finds():
    """The str.find matcher marks exactly what ``\\b(?:stems)\\w*`` would, on tricky text:
    stems inside words, underscores and digits, overlapping stems, non-ASCII case folding."""
    import re

    from ssehub.search.text import _matches, _stem_key

    texts = ["cooperation and noncooperative coop_x coop2 xcoop co-op cooperatives COOP",
             "Coopératives, COOPÉRATIVES; l'économie «économique» ÉCONOMIES é",
             "coopcoop coop coop", "", "  cooperative"]
    for terms in (["cooperative", "coop"], ["economie"], ["cooperatives", "economique"]):
        stems = sorted({_stem_key(fold(t)) for t in terms}, key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*")
        for text in texts:
            expected = [m.span() for m in pattern.finditer(fold_in_place(text))]
            assert _matches(text, terms) == expected, (terms, text)
            assert has_match(text, terms) == bool(expected)
    assert _matches("coopcoop coop", ["coop"]) == [(0, 8), (9, 13)]


def test_every_path_of_fold_in_place_folds_each_character_as_fold_does():
    """ASCII, single-byte (cp1252) and other texts take different paths; each character must
    come out as the first character of its own fold, in place."""
    samples = ["Straße ŒUVRE œuvre – “quoted” ’ € µ ½ Ÿ", "Ελληνικά ΣΟΦΙΑ", "İstanbul",
               "K Å ﬃ 協同組合", "plain ASCII Text", "Coopératives ÉTÉ àçñ"]
    for text in samples + ["".join(samples)]:
        folded = fold_in_place(text)
        assert len(folded) == len(text)
        for ch, out in zip(text, folded, strict=True):
            assert out == (fold(ch)[:1] or ch), (text, ch, out)
    assert fold_in_place("ŒUVRE µ") == "œuvre μ"
