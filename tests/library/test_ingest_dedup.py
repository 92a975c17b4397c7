"""Duplicates: exact (SHA-256) and near (MinHash LSH over word shingles).

The same report as PDF and as HTML must become one item with two files; two different reports
on the same topic, from the same series and sharing their boilerplate, must stay two items.
"""

from __future__ import annotations

import pytest

from ssehub.library.ingest import dedup, inputs
from ssehub.library.ingest.extract import extract
from ssehub.library.ingest.pipeline import ingest
from ssehub.library.models import Item, ItemFile

from . import factories as f
from . import hooks

pytestmark = pytest.mark.django_db


def similarity(a: bytes, kind_a: str, b: bytes, kind_b: str) -> float:
    sa = dedup.signature(extract(kind_a, a).text)
    sb = dedup.signature(extract(kind_b, b).text)
    return dedup.similarity(sa, sb)


def test_pdf_and_html_of_one_report_become_one_item_with_two_files(stored, settings):
    pdf = f.report_pdf(f.REPORT_A)  # hyphenation, running headers, page numbers, 2 pages
    html = f.html_page(f.REPORT_A)
    first, second = ingest([inputs.from_bytes(pdf, "wp7.pdf"), inputs.from_bytes(html, "wp7.html")])
    assert first.status == "created", first.reason
    assert second.status == "duplicate", second
    assert second.id == first.id == second.duplicate_of
    assert "same work as item" in " ".join(second.notes)
    item = Item.objects.get(pk=first.id)
    assert sorted(item.files.values_list("mime_type", flat=True)) == ["application/pdf",
                                                                      "text/html"]
    assert stored() == {"items": 1, "files": 2, "bands": 64, "versions": 1, "blobs": 2}
    # Both files were kept, so the HTML can be served as well as the PDF.
    assert item.files.get(mime_type="text/html").size == len(html)


def test_a_third_rendering_joins_the_same_item_and_a_re_run_changes_nothing(stored):
    sources = [
        inputs.from_bytes(f.report_pdf(f.REPORT_A), "a.pdf"),
        inputs.from_bytes(f.html_page(f.REPORT_A), "a.html"),
        inputs.from_bytes(f.docx(f.REPORT_A), "a.docx"),
    ]
    assert [r.status for r in ingest(sources)] == ["created", "duplicate", "duplicate"]
    before = stored()
    assert [r.status for r in ingest(sources)] == ["unchanged"] * 3
    assert stored() == before == {"items": 1, "files": 3, "bands": 96, "versions": 1, "blobs": 3}


def test_different_reports_on_the_same_topic_stay_apart(stored):
    sources = [
        inputs.from_bytes(f.report_pdf(f.REPORT_A), "west.pdf"),
        inputs.from_bytes(f.html_page(f.REPORT_C), "east.html"),  # same template and annex
        inputs.from_bytes(f.report_pdf(f.REPORT_B), "policy.pdf"),
    ]
    results = list(ingest(sources))
    assert [r.status for r in results] == ["created"] * 3, results
    assert len({r.id for r in results}) == 3
    assert stored()["items"] == 3


def test_similarity_margins_around_the_threshold(settings):
    """The numbers behind SSEHUB_NEAR_DUPLICATE_THRESHOLD: same work ≥ 0.9, related works
    sharing boilerplate ≤ 0.3, unrelated works ≈ 0 (measured: 0.96, 0.17, 0.00)."""
    pdf_a, html_a = f.report_pdf(f.REPORT_A), f.html_page(f.REPORT_A)
    same = similarity(pdf_a, "pdf", html_a, "html")
    related = similarity(pdf_a, "pdf", f.html_page(f.REPORT_C), "html")
    unrelated = similarity(pdf_a, "pdf", f.report_pdf(f.REPORT_B), "pdf")
    assert same >= 0.9, same
    assert related <= 0.3, related
    assert unrelated <= 0.05, unrelated
    assert related < settings.SSEHUB_NEAR_DUPLICATE_THRESHOLD <= same


def test_short_texts_are_never_near_duplicates():
    """Under 40 shingles there is no signature: two short notes are not merged by chance."""
    a = "Cooperatives create jobs.\n\nA short note about cooperatives and jobs in Kenya."
    b = "Cooperatives create jobs.\n\nA short note about cooperatives and jobs in Ghana."
    results = list(ingest([inputs.from_bytes(a.encode(), "a.txt"),
                           inputs.from_bytes(b.encode(), "b.txt")]))
    assert [r.status for r in results] == ["created", "created"]
    assert ItemFile.objects.filter(minhash=None).count() == 2


def test_exact_duplicate_under_another_name_is_unchanged(stored):
    data = f.docx(f.REPORT_B)
    results = list(ingest([inputs.from_bytes(data, "x.docx"), inputs.from_bytes(data, "y.docx")]))
    assert [r.status for r in results] == ["created", "unchanged"]
    assert stored()["files"] == 1


def test_hooks_see_the_item_with_its_new_file(settings):
    settings.SSEHUB_INGEST_HOOKS = ["tests.library.hooks.record"]
    hooks.CALLS.clear()
    results = list(ingest([inputs.from_bytes(f.report_pdf(f.REPORT_A), "a.pdf"),
                           inputs.from_bytes(f.html_page(f.REPORT_A), "a.html")]))
    item_id = results[0].id
    assert [(item_id, 1), (item_id, 2)] == hooks.CALLS


def test_a_failing_hook_fails_that_input_stores_nothing_and_the_batch_goes_on(
    settings, stored, tmp_path
):
    settings.SSEHUB_INGEST_HOOKS = ["tests.library.hooks.explode"]
    results = list(ingest([inputs.from_bytes(f.pdf(f.REPORT_A), "a.pdf"),
                           inputs.from_bytes(f.pdf(f.REPORT_B), "b.pdf")]))
    assert [r.status for r in results] == ["failed", "failed"]
    assert "the SDG mapper is down" in results[0].reason
    assert stored() == {"items": 0, "files": 0, "bands": 0, "versions": 0, "blobs": 0}
    settings.SSEHUB_INGEST_HOOKS = []
    assert [r.status for r in ingest([inputs.from_bytes(f.pdf(f.REPORT_A), "a.pdf")])] == [
        "created"
    ]


FIXED_TEXT = " ".join(f"word{n % 97} cooperative {n}" for n in range(200))


def test_signatures_stay_what_they_were_unless_a_migration_recomputes_them():
    """Stored signatures are only comparable with new ones computed the same way. These
    values were computed when library migration 0008 recomputed every stored signature: a
    change to the MinHash that breaks this test needs a migration like 0008 to go with it."""
    sig = dedup.signature(FIXED_TEXT)
    assert sig.dtype.name == "uint64" and len(sig) == dedup.NUM_PERM
    assert sig[:4].tolist() == [9885790, 5976820, 469294, 4936574]


def test_a_long_text_signed_by_chunks_gets_the_signature_of_one_pass(monkeypatch):
    text = FIXED_TEXT * 5
    whole = dedup.signature(text)
    monkeypatch.setattr(dedup, "CHUNK", 7)
    assert dedup.signature(text).tolist() == whole.tolist()


def test_word_order_matters_and_case_does_not():
    words = FIXED_TEXT.split()
    assert dedup.signature(FIXED_TEXT.upper()).tolist() == dedup.signature(FIXED_TEXT).tolist()
    shuffled = " ".join(words[1::2] + words[::2])
    assert dedup.similarity(dedup.signature(shuffled), dedup.signature(FIXED_TEXT)) < 0.5


def test_the_migration_recomputes_old_signatures_and_their_bands(stored):
    from importlib import import_module

    from django.apps import apps

    from ssehub.library.models import TextBand

    [result] = ingest([inputs.from_bytes(f.docx(f.REPORT_A), "a.docx")])
    file = ItemFile.objects.get(item_id=result.id)
    expected = dedup.to_bytes(dedup.signature(file.text))
    # As a file stored under the old MinHash looks: another signature, other bands.
    ItemFile.objects.filter(pk=file.pk).update(minhash=b"\x01" * len(expected))
    TextBand.objects.filter(file=file).update(hash=12345)
    migration = import_module("ssehub.library.migrations.0008_recompute_minhash_signatures")
    migration.recompute(apps, None)
    file.refresh_from_db()
    assert bytes(file.minhash) == expected
    assert sorted(TextBand.objects.filter(file=file).values_list("band", "hash")) == sorted(
        dedup.bands(dedup.from_bytes(expected)))
    # So a second rendering of the same report is still found as the same work.
    [again] = ingest([inputs.from_bytes(f.html_page(f.REPORT_A), "a.html")])
    assert again.status == "duplicate" and again.duplicate_of == result.id
