"""The demo content: what a newcomer sees first, so it must be complete, honest and idempotent."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ssehub.library.demo import load_demo, loader, read_entries
from ssehub.library.demo.loader import (
    DISCLAIMER,
    FILES_DIR,
    DemoDataError,
    DemoEntry,
    mark_illustrative,
)
from ssehub.library.ingest.inputs import from_path
from ssehub.library.ingest.pipeline import Options, ingest_one
from ssehub.library.models import Item, ItemFile, ItemVersion, Status

pytestmark = pytest.mark.django_db

BRIEF_KEY = "untfsse-action-plan-2020-2022"
BRIEF_TITLE = "Second Technical Symposium: Task Force Action Plan 2020-2022 (brief report)"
SHARED_BRIEF = (
    Path(__file__).resolve().parents[3] / "shared/data/corpus/untfsse-action-plan-2020-2022.md"
)
ALL_TYPES = {
    "report", "working-paper", "policy-brief", "case-study", "legislation", "dataset",
    "learning-resource", "video", "news", "event", "survey-report", "initiative",
}


def demo_items():
    return Item.objects.filter(provenance="demo")


def brief() -> Item:
    return Item.objects.get(source_record=f"ssehub-demo:{BRIEF_KEY}")


def illustrative_items() -> list[Item]:
    return list(demo_items().exclude(source_record=f"ssehub-demo:{BRIEF_KEY}"))


def test_load_demo_creates_one_item_per_entry():
    entries = read_entries()
    assert 25 <= len(entries) <= 31

    counts = load_demo()

    assert counts["failed"] == 0
    assert counts["created"] == counts["total"] == len(entries)
    assert demo_items().count() == len(entries)
    assert all(item.source_name == "SSE Hub demo" for item in demo_items())


def test_the_demo_includes_the_task_force_survey_once(capsys):
    from ssehub.core.models import Organisation
    from ssehub.surveys.demo.loader import NAME
    from ssehub.surveys.models import Invitation, Survey

    load_demo()
    load_demo()  # `ssehub run` loads it the first time, `ssehub demo` any time after
    survey = Survey.objects.get(name=NAME)
    task_force = Organisation.objects.filter(role__in=["member", "observer"]).count()
    assert task_force > 10
    assert Invitation.objects.filter(survey=survey).count() == task_force
    assert survey.versions.count() == 1


def test_running_twice_creates_nothing_and_reports_all_unchanged():
    first = load_demo()
    items, files = Item.objects.count(), ItemFile.objects.count()
    versions = ItemVersion.objects.count()

    second = load_demo()

    assert second["total"] == first["total"]
    assert second["created"] == 0 and second["failed"] == 0
    assert second["unchanged"] == second["total"]
    assert Item.objects.count() == items
    assert ItemFile.objects.count() == files
    assert ItemVersion.objects.count() == versions


def test_every_sdg_has_a_published_item():
    load_demo()
    published = Item.objects.filter(status=Status.PUBLISHED)
    missing = [g for g in range(1, 18) if not published.filter(sdg_links__goal_id=g).exists()]
    assert missing == []


def test_some_items_link_sdg_targets():
    load_demo()
    assert Item.objects.filter(sdg_links__target_id="8.3").exists()
    assert demo_items().filter(sdg_links__target__isnull=False).distinct().count() >= 10


def test_items_exist_in_english_french_and_spanish():
    load_demo()
    items = list(demo_items())
    for lang in ("en", "fr", "es"):
        in_lang = [i for i in items if lang in i.languages and lang in i.title]
        assert len(in_lang) >= 6, lang
    multilingual = [i for i in items if len(i.title) >= 2]
    assert len(multilingual) >= 4
    assert any(len(i.title) == 3 and len(i.abstract) == 3 for i in items)
    assert {i.original_language for i in items} >= {"en", "fr", "es"}


def test_every_item_type_the_portal_shows_is_used():
    load_demo()
    used = set(demo_items().values_list("item_type_id", flat=True))
    assert used >= ALL_TYPES


def test_dates_span_the_years_at_every_precision():
    load_demo()
    items = list(demo_items())
    assert {i.date_precision for i in items} == {"year", "month", "day"}
    years = [i.pub_year for i in items]
    assert min(years) >= 2015 and max(years) <= 2026
    assert max(years) - min(years) >= 10


def test_places_creators_licences_and_organisations_are_filled_in():
    load_demo()
    items = list(demo_items())
    assert all(i.organisation_id for i in items)
    assert len({i.organisation.slug for i in items}) >= 10
    assert len({c.iso2 for i in items for c in i.countries.all()}) >= 10
    assert len({r.m49 for i in items for r in i.regions.all()}) >= 8
    kinds = {c.kind for i in items for c in i.creators.all()}
    assert kinds == {"person", "organisation"}
    assert {"CC-BY-4.0", "CC0-1.0"} <= {i.licence for i in items}


def test_two_items_show_the_workflow_before_publication():
    load_demo()
    assert demo_items().filter(status=Status.DRAFT).count() == 1
    assert demo_items().filter(status=Status.IN_REVIEW).count() == 1
    assert demo_items().exclude(status=Status.PUBLISHED).count() == 2


def test_the_brief_report_is_ingested_with_its_full_text_and_metadata():
    load_demo()
    item = brief()

    assert item.title == {"en": BRIEF_TITLE}
    assert item.status == Status.PUBLISHED and item.item_type_id == "report"
    assert (item.pub_year, item.pub_month, item.pub_day) == (2020, 1, None)
    assert item.languages == ["en"]
    assert item.organisation.slug == "untfsse"
    creators = list(item.creators.all())
    assert len(creators) == 1 and creators[0].kind == "organisation"
    assert "Task Force on Social and Solidarity Economy" in creators[0].name
    assert {8, 17} <= set(item.sdg_links.values_list("goal_id", flat=True))
    assert "UN public document" in item.licence
    # The full text, not just the first page: from the introduction to the contact section.
    assert "took place in Trento (Italy) on 21 and 22 November 2019" in item.full_text
    assert "Pact for Impact Alliance was presented in July 2019" in item.full_text
    assert "Technical Secretariat" in item.full_text
    assert len(item.full_text) > 10_000
    file = item.files.get()
    assert file.filename == "untfsse-action-plan-2020-2022.md"
    assert file.mime_type == "text/markdown"


@pytest.mark.skipif(not SHARED_BRIEF.exists(), reason="shared data folder not present")
def test_the_shipped_brief_report_is_an_unchanged_copy():
    shipped = FILES_DIR / "untfsse-action-plan-2020-2022.md"
    assert shipped.read_bytes() == SHARED_BRIEF.read_bytes()


def test_illustrative_items_are_marked_as_demo_everywhere_a_reader_looks():
    load_demo()
    items = illustrative_items()
    assert len(items) >= 24
    for item in items:
        assert item.provenance == "demo"
        assert "demo" in item.keywords, item.title
        assert item.publisher == "SSE Hub (demo content)"
        assert not item.doi and not item.identifiers, item.title
        for lang, title in item.title.items():
            assert title.startswith(("Demo", "Démo")), (lang, title)
        assert set(item.abstract) >= set(item.title)
        for lang, abstract in item.abstract.items():
            assert abstract.startswith(DISCLAIMER[lang]), (lang, abstract)


def test_the_real_document_is_not_labelled_illustrative():
    load_demo()
    item = brief()
    assert "demo" not in item.keywords
    assert not any(text.startswith(DISCLAIMER["en"]) for text in item.abstract.values())


def test_an_unmarked_illustrative_entry_is_refused():
    with pytest.raises(DemoDataError, match="title must start"):
        mark_illustrative("x", {"title": {"en": "Worker cooperatives and decent work"}})
    with pytest.raises(DemoDataError, match="identifiers"):
        mark_illustrative("x", {"title": {"en": "Demo: x"}, "doi": "10.1234/abc"})
    with pytest.raises(DemoDataError, match="disclaimer"):
        mark_illustrative("x", {"title": {"de": "Demo: Genossenschaften"}})


def test_marking_adds_the_keyword_and_a_disclaimer_per_language():
    meta = mark_illustrative("x", {
        "title": {"fr": "Démo : x", "en": "Demo: x"},
        "abstract": {"fr": "Un exemple."},
        "keywords": ["coopératives"],
    })
    assert meta["keywords"] == ["demo", "coopératives"]
    assert meta["abstract"]["fr"] == f"{DISCLAIMER['fr']} Un exemple."
    assert meta["abstract"]["en"] == DISCLAIMER["en"]


def test_a_file_already_in_the_library_is_left_to_its_owner():
    path = FILES_DIR / "untfsse-action-plan-2020-2022.md"
    mine = ingest_one(from_path(path, str(path), {"title": "My copy"}), Options())
    assert mine.status == "created"

    counts = load_demo()

    assert counts["failed"] == 0
    assert Item.objects.get(pk=mine.id).title == {"en": "My copy"}
    assert ItemFile.objects.filter(item_id=mine.id).count() == ItemFile.objects.filter(
        filename=path.name).count() == 1
    assert not Item.objects.filter(source_record=f"ssehub-demo:{BRIEF_KEY}").exists()


def test_command_prints_a_summary_and_says_when_nothing_is_new():
    out = StringIO()
    call_command("demo", stdout=out)
    total = len(read_entries())
    assert f"{total} created, 0 unchanged, 0 failed" in out.getvalue()

    out = StringIO()
    call_command("demo", stdout=out)
    assert f"0 created, {total} unchanged, 0 failed" in out.getvalue()
    assert "already loaded" in out.getvalue()


def test_command_refresh_reapplies_edited_metadata(monkeypatch):
    call_command("demo", stdout=StringIO())
    entries = read_entries()
    edited = DemoEntry(
        key=entries[1].key,
        metadata={**entries[1].metadata, "keywords": ["demo", "edited"]},
        status=entries[1].status,
    )
    monkeypatch.setattr(
        "ssehub.library.management.commands.demo.read_entries", lambda: [edited]
    )
    out = StringIO()
    call_command("demo", "--refresh", stdout=out)
    assert "1 updated" in out.getvalue()
    item = Item.objects.get(source_record=f"ssehub-demo:{edited.key}")
    assert item.keywords == ["demo", "edited"]


def test_command_fails_with_non_zero_status_when_an_entry_fails(monkeypatch):
    broken = DemoEntry(key="broken", metadata={"title": {"en": "Demo: x"}, "organisation": "nope"})
    monkeypatch.setattr(
        "ssehub.library.management.commands.demo.read_entries", lambda: [broken]
    )
    err = StringIO()
    with pytest.raises(CommandError, match="1 demo item"):
        call_command("demo", stdout=StringIO(), stderr=err)
    assert "failed: broken: invalid metadata" in err.getvalue()
    assert not Item.objects.exists()


def test_command_list_loads_nothing():
    out = StringIO()
    call_command("demo", "--list", stdout=out)
    assert BRIEF_KEY in out.getvalue()
    assert not Item.objects.exists()


def test_load_demo_writes_its_summary_to_the_given_stream():
    out = StringIO()
    counts = load_demo(stdout=out)
    summary, survey = out.getvalue().strip().splitlines()
    assert summary == loader.format_summary(counts)
    assert survey.startswith("survey ") and "new invitation(s)" in survey


def test_every_file_named_in_the_data_exists_and_is_documented():
    readme = (FILES_DIR / "README.md").read_text(encoding="utf-8")
    named = [e.file for e in read_entries() if e.file is not None]
    assert len(named) >= 4
    for path in named:
        assert path.is_file() and path.name in readme
