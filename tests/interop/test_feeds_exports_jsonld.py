"""Feeds (valid XML, right items), embedded metadata in item pages (JSON-LD that parses,
Highwire tags) and search exports (CSV, JSONL, BibTeX, RIS) with their escaping."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from lxml import etree

from ssehub.interop.exports import bibtex_entry, bibtex_escape, ris_record

from .conftest import make_item, reject_machine_goal

ATOM = {"a": "http://www.w3.org/2005/Atom"}
HOSTILE = "Q&A <b>bold</b> {braces} 100% $5 #1 under_score ~tilde^ back\\slash \x01"


def feed(client, path: str) -> etree._Element:
    response = client.get(path)
    assert response.status_code == 200, path
    return etree.fromstring(response.content)


# --- feeds -----------------------------------------------------------------------------------

def test_atom_and_rss_feeds(client, library):
    atom = feed(client, "/feeds/latest.atom")
    titles = [e.text for e in atom.iterfind("a:entry/a:title", ATOM)]
    assert len(titles) == 7 and "Withdrawn study" not in titles and "Never published" not in titles
    rss = feed(client, "/feeds/latest.rss")
    assert len(rss.findall("channel/item")) == 7
    sdg8 = feed(client, "/feeds/sdg/8.atom")
    assert len(sdg8.findall("a:entry", ATOM)) == 3
    assert {c.get("term") for c in sdg8.iterfind("a:entry/a:category", ATOM)} >= {"SDG 8"}
    assert len(feed(client, "/feeds/type/dataset.rss").findall("channel/item")) == 1
    assert len(feed(client, "/feeds/organisation/ilo.atom").findall("a:entry", ATOM)) == 7
    for missing in ("/feeds/sdg/99.atom", "/feeds/type/nope.rss",
                    "/feeds/organisation/nobody.atom"):
        assert client.get(missing).status_code == 404


def test_feed_with_hostile_text_is_well_formed(client, db):
    make_item(HOSTILE, abstract={"en": "<script>alert(1)</script> \x0b"})
    atom = feed(client, "/feeds/latest.atom")
    assert atom.findtext("a:entry/a:title", namespaces=ATOM).startswith("Q&A <b>bold</b>")
    assert b"<script>" not in client.get("/feeds/latest.rss").content


def test_pages_announce_the_feeds(client, library):
    html = client.get("/").content.decode()
    assert 'type="application/atom+xml"' in html and "/feeds/latest.atom" in html


# --- embedded metadata -----------------------------------------------------------------------

def _jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD in the page"
    return json.loads(match.group(1))


def test_item_page_has_jsonld_and_citation_tags(client, db):
    item = make_item("Social economy </script><script>alert(1)</script>",
                     sdgs=["8.3", 5], identifiers={"doi": "10.1234/abc"}, type="article",
                     abstract={"en": "About cooperatives."}, keywords=["cooperatives"],
                     creators=[{"name": "Ada Lovelace"}, {"name": "ILO", "kind": "organisation"}])
    reject_machine_goal(item, 13)
    html = client.get(item.get_absolute_url()).content.decode()
    data = _jsonld(html)
    assert data["@type"] == "ScholarlyArticle" and data["@context"] == "https://schema.org"
    assert data["name"].startswith("Social economy </script>")
    assert "</script><script>" not in html.split("application/ld+json")[1].split("</script>")[0]
    assert data["author"][0] == {"@type": "Person", "name": "Ada Lovelace"}
    assert data["author"][1]["@type"] == "Organization"
    assert {t["termCode"] for t in data["about"]} == {"5", "8"}
    assert data["sameAs"] == ["https://doi.org/10.1234/abc"]
    assert '<meta name="citation_title" content="Social economy &lt;/script&gt;' in html
    assert '<meta name="citation_author" content="Ada Lovelace">' in html
    assert '<meta name="citation_doi" content="10.1234/abc">' in html
    assert '<meta name="citation_publication_date" content="2023/05">' in html


@pytest.mark.parametrize(("kind", "schema_type"), [("report", "Report"), ("dataset", "Dataset"),
                                                   ("book", "Book"), ("other", "CreativeWork")])
def test_schema_types(client, db, kind, schema_type):
    item = make_item("A title", type=kind)
    assert _jsonld(client.get(item.get_absolute_url()).content.decode())["@type"] == schema_type


# --- exports ---------------------------------------------------------------------------------

def test_exports_of_a_search(client, library):
    response = client.get("/search/export?format=jsonl&q=cooperatives")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = [json.loads(line) for line in response.content.decode().splitlines()]
    assert {r["id"] for r in rows} == {i.pk for i in library.published}
    response = client.get("/search/export?format=csv&type=dataset")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["id"] for r in table] == [str(library.published[3].pk)]
    bib = client.get("/search/export?format=bibtex&sdg=8").content.decode()
    assert bib.count("@") == 3
    ris = client.get("/search/export?format=ris").content.decode()
    assert ris.count("ER  - ") == 7 and ris.count("TY  - ") == 7
    assert client.get("/search/export?format=docx").status_code == 400


def test_exports_respect_permissions(client, library, editor):
    public = client.get("/search/export?format=jsonl").content.decode().splitlines()
    assert len(public) == 7
    client.force_login(editor)
    everything = client.get("/search/export?format=jsonl").content.decode().splitlines()
    assert len(everything) == 10


def test_csv_cells_cannot_run_formulas(client, db):
    make_item("=HYPERLINK(\"http://evil\")", publisher="+cmd|' /C calc'!A0")
    table = list(csv.DictReader(io.StringIO(
        client.get("/search/export?format=csv").content.decode())))
    assert table[0]["title"].startswith("[en] =HYPERLINK")  # per-language prefix keeps it text
    assert table[0]["publisher"].startswith("'+cmd")


def test_bibtex_escaping():
    assert bibtex_escape(HOSTILE) == (
        r"Q\&A <b>bold</b> \{braces\} 100\% \$5 \#1 under\_score \textasciitilde{}tilde"
        r"\textasciicircum{} back\textbackslash{}slash " + "\x01")
    data = {
        "id": 7, "type": "report", "title": {"en": "Tom & Jerry {x}"}, "abstract": {},
        "creators": [{"name": "Smith and Sons", "kind": "person"},
                     {"name": "UN Task Force", "kind": "organisation"}],
        "date": "2021-03", "publisher": "ILO", "keywords": ["a", "b"],
        "identifiers": {"doi": "10.1/x_y"}, "languages": ["en"], "organisation": "ilo",
        "sdgs": [{"goal": 8}],
    }
    entry = bibtex_entry(data)
    assert entry.startswith("@techreport{ssehub7,")
    assert r"title = {{Tom \& Jerry \{x\}}}" in entry
    assert "author = {{Smith and Sons} and {UN Task Force}}" in entry
    assert "institution = {ILO}" in entry and "month = {3}" in entry
    assert r"doi = {10.1/x\_y}" in entry
    # Braces balance: the entry cannot end early or swallow the next one.
    body = entry.replace("\\{", "").replace("\\}", "")
    assert body.count("{") == body.count("}")


def test_ris_escaping():
    data = {
        "id": 3, "type": "dataset", "title": {"en": "Line one\nER  - injected", "fr": "Titre"},
        "abstract": {"en": "a\r\nb"}, "creators": [{"name": "Ada", "kind": "person"}],
        "date": "2020-01-02", "publisher": "", "keywords": ["k"], "identifiers": {},
        "languages": ["en"], "organisation": None, "sdgs": [],
    }
    record = ris_record(data)
    lines = record.split("\r\n")
    assert lines[0] == "TY  - DATA"
    assert "TI  - Line one ER - injected" in lines
    assert sum(1 for line in lines if line.startswith("ER  -")) == 1
    assert "DA  - 2020/01/02/" in lines and "AB  - a b" in lines and "TT  - Titre" in lines


def test_export_of_empty_search(client, db):
    response = client.get("/search/export?format=bibtex&q=nothingmatchesthis")
    assert response.status_code == 200 and response.content == b""
