"""The good paths: each supported format yields an item with its text, title and metadata."""

from __future__ import annotations

import datetime as dt

import pytest

from ssehub.library.ingest import inputs
from ssehub.library.ingest.pipeline import Options, ingest, ingest_one
from ssehub.library.models import Item, ItemFile, Status

from . import factories as f

pytestmark = pytest.mark.django_db


def one(data: bytes, filename: str, **metadata):
    return ingest_one(inputs.from_bytes(data, filename, metadata or None), Options())


def test_pdf_with_document_info_gives_title_author_and_date(stored):
    data = f.pdf(
        f.REPORT_A, title="SSE and decent work in West Africa", author="Awa Diop; Jean Martin",
        created=dt.datetime(2021, 3, 15, 10, 0, tzinfo=dt.UTC),
    )
    result = one(data, "report.pdf")
    assert result.status == "created", result.reason
    assert result.id and not result.reason
    item = Item.objects.get(pk=result.id)
    assert item.title == {"en": "SSE and decent work in West Africa"}
    assert [c.name for c in item.creators.all()] == ["Awa Diop", "Jean Martin"]
    assert (item.pub_year, item.pub_month, item.pub_day) == (2021, 3, 15)
    assert item.languages == ["en"]
    assert item.status == Status.PUBLISHED and item.provenance == "cli"
    assert "savings and credit cooperatives" in item.full_text
    file = item.files.get()
    assert file.mime_type == "application/pdf" and file.size == len(data)
    assert file.filename == "report.pdf"
    assert stored() == {"items": 1, "files": 1, "bands": 32, "versions": 1, "blobs": 1}


def test_control_characters_in_pdf_info_are_dropped():
    """A NUL in a title is stored by SQLite but refused by PostgreSQL: it must not get there."""
    data = f.with_pdf_info(f.pdf(f.REPORT_A), {"/Title": "Decent\x00 work\x07 report",
                                                "/Author": "A\x00B"})
    result = one(data, "a.pdf")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.display_title == "Decent work report"
    assert [c.name for c in item.creators.all()] == ["AB"]


def test_pdf_without_info_takes_its_title_from_the_first_page():
    result = one(f.pdf(f.REPORT_B), "scan-0042.pdf")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.title == {"en": "Cooperatives and employment in West Africa: a policy review"}
    assert item.pub_year is not None  # fpdf2 always writes a creation date


def test_pdf_title_running_over_two_lines_is_not_cut(stored):
    result = one(f.report_pdf(f.REPORT_A), "wp7.pdf")
    assert result.status == "created", result.reason
    title = Item.objects.get(pk=result.id).display_title
    # The running header "SSE Hub Working Paper 7" comes first on the page; the heading wraps.
    assert "Social and solidarity economy enterprises" in title, title


def test_docx_core_properties():
    data = f.docx(
        f.REPORT_A, title="Decent work in the SSE", author="Awa Diop",
        created=dt.datetime(2020, 6, 1, tzinfo=dt.UTC), keywords="cooperatives; decent work",
        language="en-GB",
    )
    result = one(data, "report.docx")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.title == {"en": "Decent work in the SSE"}
    assert [c.name for c in item.creators.all()] == ["Awa Diop"]
    assert (item.pub_year, item.pub_month, item.pub_day) == (2020, 6, 1)
    assert item.keywords == ["cooperatives", "decent work"]
    assert item.languages == ["en"]
    assert item.files.get().mime_type.endswith("wordprocessingml.document")


def test_docx_without_title_uses_its_heading():
    result = one(f.docx(f.REPORT_B), "untitled.docx")
    assert result.status == "created", result.reason
    assert Item.objects.get(pk=result.id).display_title == f.REPORT_B[0]


def test_html_article_title_and_text():
    result = one(f.html_page(f.REPORT_A), "page.html")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.display_title == f.REPORT_A[0]
    assert "mutual health organisations" in item.full_text.lower()
    assert "Home | Library" not in item.full_text  # navigation is not content
    assert item.files.get().mime_type == "text/html"


def test_markdown_title_and_plain_text():
    text = "# Solidarity finance in Latin America\n\n**Credit unions** and `community` banks. "
    text += f.ENGLISH
    result = one(text.encode(), "notes.md")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.title == {"en": "Solidarity finance in Latin America"}
    assert "**" not in item.full_text and "#" not in item.full_text and "`" not in item.full_text
    assert item.files.get().mime_type == "text/markdown"


@pytest.mark.parametrize(
    ("text", "title", "lang"),
    [
        (f.ENGLISH, "The social and solidarity economy and decent work", "en"),
        (f.FRENCH, "L'économie sociale et solidaire et le travail décent", "fr"),
        (f.SPANISH, "La economía social y solidaria y el trabajo decente", "es"),
    ],
)
def test_language_is_detected_for_text_and_title(text, title, lang):
    result = one(f"{title}\n\n{text}".encode(), f"{lang}.txt")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.languages == [lang]
    assert item.title == {lang: title}
    assert item.original_language == lang


def test_a_short_title_takes_the_language_of_the_text():
    """langdetect guesses wildly on three words; the body's language is the better answer."""
    result = one(f"Rapport annuel 2020\n\n{f.FRENCH}".encode(), "rapport.txt")
    assert result.status == "created", result.reason
    assert Item.objects.get(pk=result.id).title == {"fr": "Rapport annuel 2020"}


def test_same_pdf_twice_is_unchanged_and_stores_nothing_more(stored):
    data = f.pdf(f.REPORT_A, title="Report A")
    first = one(data, "a.pdf")
    before = stored()
    second = one(data, "copy-of-a.pdf")
    assert first.status == "created"
    assert second.status == "unchanged"
    assert second.id == first.id
    assert "already" in " ".join(second.notes)
    assert stored() == before


def test_folder_recursion_skips_hidden_files_and_folders(tmp_path, stored):
    root = tmp_path / "batch"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.pdf").write_bytes(f.pdf(f.REPORT_A))
    (root / "sub" / "b.html").write_bytes(f.html_page(f.REPORT_B))
    (root / "sub" / "deeper" / "c.txt").write_text("A note on cooperatives\n\n" + f.ENGLISH)
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1" + b"\0" * 100)
    (root / "sub" / ".hidden.txt").write_text("hidden " * 50)
    (root / ".git" / "config").write_text("[core]\n")
    results = list(ingest(inputs.expand([str(root)]), Options()))
    labels = [r.input for r in results]
    assert labels == [str(root / "a.pdf"), str(root / "sub" / "b.html"),
                      str(root / "sub" / "deeper" / "c.txt")]
    assert [r.status for r in results] == ["created"] * 3
    assert stored()["items"] == 3


def test_results_serialise_with_input_id_status(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("A note on cooperatives\n\n" + f.ENGLISH)
    missing = str(tmp_path / "missing.pdf")
    results = list(ingest(inputs.expand([str(path), missing])))
    assert results[0].as_dict() == {"input": str(path), "id": results[0].id, "status": "created"}
    assert results[1].as_dict() == {
        "input": missing, "id": None, "status": "failed", "reason": f"file not found: {missing}",
    }
    assert '"status": "failed"' in results[1].to_json()


def test_options_are_applied(contributor, org):
    options = Options(actor=contributor, status=Status.DRAFT, provenance="upload",
                      source_name="upload form", defaults={"organisation": org.slug})
    result = ingest_one(inputs.from_bytes(f.pdf(f.REPORT_A), "a.pdf"), options)
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert (item.status, item.provenance, item.source_name) == ("draft", "upload", "upload form")
    assert item.organisation == org and item.created_by == contributor


def test_a_contributor_cannot_publish_and_nothing_is_stored(contributor, org, stored):
    options = Options(
        actor=contributor, status=Status.PUBLISHED, defaults={"organisation": org.slug}
    )
    result = ingest_one(inputs.from_bytes(f.pdf(f.REPORT_A), "a.pdf"), options)
    assert result.status == "failed"
    assert result.reason.startswith("permission denied")
    assert stored()["items"] == 0 and ItemFile.objects.count() == 0
