"""CSV and JSONL manifests: a row per file (or URL, or metadata only), with its metadata."""

from __future__ import annotations

import csv
import json

import pytest

from ssehub.library.ingest import inputs
from ssehub.library.ingest.pipeline import Options, ingest
from ssehub.library.models import Item, ItemVersion

from . import factories as f

pytestmark = pytest.mark.django_db


def write_csv(path, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def run(*targets):
    return list(ingest(inputs.expand(list(targets)), Options()))


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "west.pdf").write_bytes(f.pdf(f.REPORT_A))
    (folder / "policy.docx").write_bytes(f.docx(f.REPORT_B))
    (folder / "east.html").write_bytes(f.html_page(f.REPORT_C))
    return folder


def test_csv_manifest_with_per_language_titles_and_a_missing_file(files, stored):
    manifest = write_csv(files / "manifest.csv", [
        {"file": "west.pdf", "title": "Decent work in West Africa",
         "title_fr": "Le travail décent en Afrique de l'Ouest",
         "title_es": "El trabajo decente en África Occidental",
         "date": "2021-05", "sdgs": "8; 8.3", "countries": "SN, ML", "type": ""},
        {"file": "missing.pdf", "title": "Gone", "title_fr": "", "title_es": "", "date": "",
         "sdgs": "", "countries": "", "type": ""},
        {"file": "policy.docx", "title": "", "title_fr": "Revue des politiques coopératives",
         "title_es": "", "date": "", "sdgs": "", "countries": "", "type": ""},
    ])
    results = run(manifest)
    assert [r.input for r in results] == [f"{manifest}:2", f"{manifest}:3", f"{manifest}:4"]
    assert [r.status for r in results] == ["created", "failed", "created"], results
    assert results[1].reason == f"file not found: missing.pdf (row 3 of {manifest})"
    west = Item.objects.get(pk=results[0].id)
    assert west.title == {
        "en": "Decent work in West Africa",
        "fr": "Le travail décent en Afrique de l'Ouest",
        "es": "El trabajo decente en África Occidental",
    }
    assert (west.pub_year, west.pub_month) == (2021, 5)
    assert sorted(c.iso2 for c in west.countries.all()) == ["ML", "SN"]
    editor_links = west.sdg_links.filter(source="editor")
    assert sorted((g.goal_id, g.target_id or "") for g in editor_links) == [(8, ""), (8, "8.3")]
    policy = Item.objects.get(pk=results[2].id)
    # A translation given in the manifest does not erase the title found in the file.
    assert policy.title == {"fr": "Revue des politiques coopératives", "en": f.REPORT_B[0]}
    assert stored()["items"] == 2


def test_title_column_after_the_per_language_ones(files):
    manifest = write_csv(files / "m.csv", [
        {"title_fr": "Le travail décent", "file": "west.pdf", "title": "Decent work",
         "title_es": "El trabajo decente"},
    ])
    [result] = run(manifest)
    assert result.status == "created", result.reason
    assert Item.objects.get(pk=result.id).title == {
        "fr": "Le travail décent", "en": "Decent work", "es": "El trabajo decente",
    }


def test_manifest_metadata_updates_the_item_of_a_known_file(files):
    [first] = run(str(files / "west.pdf"))
    assert first.status == "created"
    manifest = write_csv(files / "m.csv", [
        {"file": "west.pdf", "keywords": "cooperatives; decent work", "publisher": "ILO"},
    ])
    [second] = run(manifest)
    assert second.status == "updated", second
    assert second.id == first.id
    item = Item.objects.get(pk=first.id)
    assert item.keywords == ["cooperatives", "decent work"] and item.publisher == "ILO"
    versions = list(ItemVersion.objects.filter(item=item).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert set(versions[1].changed_fields) == {"keywords", "publisher"}
    assert "re-ingested" in versions[1].comment
    [third] = run(manifest)  # the same manifest again: nothing to change, no new version
    assert third.status == "unchanged"
    assert ItemVersion.objects.filter(item=item).count() == 2


def test_invalid_metadata_in_a_row_fails_that_row_only(files, stored):
    manifest = write_csv(files / "m.csv", [
        {"file": "west.pdf", "date": "last spring", "sdgs": "18"},
        {"file": "policy.docx", "date": "2019", "sdgs": "8"},
    ])
    bad, good = run(manifest)
    assert bad.status == "failed"
    assert bad.reason.startswith("invalid metadata:")
    assert "date" in bad.reason and "sdgs" in bad.reason and "no SDG 18" in bad.reason
    assert good.status == "created", good.reason
    assert stored()["items"] == 1 and stored()["blobs"] == 1


def test_metadata_only_rows_are_created_once(files):
    manifest = write_csv(files / "m.csv", [
        {"title": "A book without a file", "doi": "10.1234/sse.2020.1", "url": ""},
        {"title": "", "doi": "", "url": ""},
    ])
    first = run(manifest)
    assert first[0].status == "created", first[0].reason
    assert first[1].status == "failed"
    assert "needs a file, a URL or at least a title" in first[1].reason
    assert Item.objects.get(pk=first[0].id).doi == "10.1234/sse.2020.1"
    again = run(manifest)
    assert again[0].status == "unchanged" and again[0].id == first[0].id


def test_jsonl_manifest_with_malformed_lines_and_a_missing_file(files, stored):
    path = files / "m.jsonl"
    lines = [
        json.dumps({"file": "west.pdf", "title": {"en": "West", "fr": "Ouest"},
                    "creators": [{"name": "ILO", "kind": "organisation"}]}),
        "",
        '{"file": "policy.docx", "title": "unterminated',
        json.dumps(["not", "an", "object"]),
        json.dumps({"path": "nowhere/at/all.pdf"}),
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"file": str(files / "east.html"), "keywords": ["housing", "Kenya"]}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = run(str(path))
    by_line = {int(r.input.rsplit(":", 1)[1]): r for r in results}
    assert sorted(by_line) == [1, 3, 4, 5, 6, 7]
    assert by_line[1].status == "created"
    assert by_line[3].status == "failed" and "line 3 is not valid JSON" in by_line[3].reason
    assert by_line[4].status == "failed" and "line 4 is not a JSON object" in by_line[4].reason
    assert by_line[5].status == "failed"
    assert "file not found: nowhere/at/all.pdf (row 5" in by_line[5].reason
    assert by_line[6].status == "failed" and "line 6" in by_line[6].reason
    assert by_line[7].status == "created", by_line[7].reason
    west = Item.objects.get(pk=by_line[1].id)
    assert west.title == {"en": "West", "fr": "Ouest"}
    assert [(c.name, c.kind) for c in west.creators.all()] == [("ILO", "organisation")]
    assert Item.objects.get(pk=by_line[7].id).keywords == ["housing", "Kenya"]
    assert stored()["items"] == 2


def test_csv_manifest_saved_by_a_spreadsheet_in_cp1252(files):
    """Excel on Windows writes CSV in the ANSI code page; the rows must still be read."""
    manifest = write_csv(files / "m.csv", [
        {"file": "west.pdf", "title_fr": "Économie sociale et solidarité en Afrique"},
    ], encoding="cp1252")
    [result] = run(manifest)
    assert result.status == "created", result.reason
    assert Item.objects.get(pk=result.id).title["fr"] == "Économie sociale et solidarité en Afrique"


def test_control_characters_in_a_manifest_are_dropped(files):
    """NUL bytes would be stored as is by SQLite and refused by PostgreSQL."""
    manifest = files / "m.csv"
    manifest.write_bytes(b"file,title\nwest.pdf,West\x00\x07 Africa\n")
    [result] = run(str(manifest))
    assert result.status == "created", result.reason
    assert Item.objects.get(pk=result.id).display_title == "West Africa"


def test_an_unreadable_manifest_fails_without_stopping_the_other_targets(files, tmp_path):
    manifest = files / "m.jsonl"
    manifest.write_bytes(f.garbage())
    other = tmp_path / "note.txt"
    other.write_text("A note on cooperatives\n\n" + f.ENGLISH)
    first, second = run(str(manifest), str(other))
    assert first.input == str(manifest) and first.status == "failed"
    assert first.reason.startswith("unreadable manifest: unsupported content")
    assert second.input == str(other) and second.status == "created"


def test_a_folder_with_a_manifest_in_it_ingests_files_not_the_manifest_as_text(files):
    write_csv(files / "manifest.csv", [{"file": "west.pdf", "title": "West"}])
    results = run(str(files))
    names = sorted(r.input.rsplit("/", 1)[-1] for r in results)
    assert names == ["east.html", "manifest.csv", "policy.docx", "west.pdf"]
    manifest_result = next(r for r in results if r.input.endswith("manifest.csv"))
    # A CSV file met inside a folder is a document like any other (plain text).
    assert manifest_result.status in ("created", "failed")
