"""Uploads: checked by content and size; the reviewers' copy has no author metadata."""

from __future__ import annotations

import pytest

from ssehub.calls import blind
from ssehub.calls.services import orcid_valid

from .conftest import make_pdf


def test_blind_copy_drops_author_creator_title_and_xmp():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Cooperatives")
    pdf.set_author("Annabelle Zorrilla")
    pdf.set_creator("Zorrilla's laptop")
    pdf.set_title("Draft by Zorrilla")
    pdf.set_xmp_metadata('<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Annabelle Zorrilla'
                         '</dc:creator></x:xmpmeta>')
    original = bytes(pdf.output())
    assert b"Zorrilla" in original
    assert blind.metadata_of(original)["/Author"] == "Annabelle Zorrilla"
    copy = blind.blind_copy(original)
    assert b"Zorrilla" not in copy
    meta = blind.metadata_of(copy)
    assert not any(k in meta for k in ("/Author", "/Creator", "/Title", "/Metadata"))
    assert blind.check_pdf(copy, 10**7)  # still a readable PDF


def test_non_pdf_is_refused_whatever_its_name():
    with pytest.raises(blind.FileRejected, match="not a PDF"):
        blind.check_pdf(b"PK\x03\x04 this is a zip named paper.pdf", 10**6)
    with pytest.raises(blind.FileRejected, match="not a PDF"):
        blind.check_pdf(b"<html><body>hello</body></html>", 10**6)


def test_corrupt_pdf_is_refused():
    with pytest.raises(blind.FileRejected, match="cannot be read"):
        blind.check_pdf(b"%PDF-1.4\n garbage without objects", 10**6)


def test_oversized_pdf_is_refused_with_both_sizes():
    data = make_pdf(pages=3)
    with pytest.raises(blind.FileRejected, match="largest accepted is 0.0 MB"):
        blind.check_pdf(data, 100)


def test_names_on_first_page_are_found_without_case_or_accents():
    text = "Financing cooperatives\nby Annabelle ZORRILLA and B. Quixoté"
    assert blind.names_on_first_page(text, ["Annabelle Zorrilla", "Bobby Quixote", "Li Wu"]) == [
        "Annabelle Zorrilla", "Bobby Quixote"]
    assert blind.names_on_first_page("Cooperative finance", ["Annabelle Zorrilla"]) == []


@pytest.mark.parametrize("value, ok", [
    ("0000-0002-1825-0097", True),  # ORCID's own example
    ("https://orcid.org/0000-0001-5109-3700", True),
    ("0000-0002-1694-233X", True),
    ("0000-0002-1825-0098", False),  # wrong check digit
    ("0000-0002-1825-009", False),
    ("abcd-0002-1825-0097", False),
])
def test_orcid_checksum(value, ok):
    assert orcid_valid(value) is ok
