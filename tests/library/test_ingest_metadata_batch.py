"""Metadata-only inputs in one batch (a harvested page): the same items, rows and outcomes as
one by one, and a bad input still fails alone."""

from __future__ import annotations

from importlib import import_module

import pytest

from ssehub.library import services
from ssehub.library.ingest import pipeline
from ssehub.library.ingest.inputs import Input
from ssehub.library.metadata import from_dict, snapshot
from ssehub.library.models import Item, ItemGoal, Status
from ssehub.search.models import Outbox

pytestmark = pytest.mark.django_db

RICH = {
    "title": {"fr": "Les coopératives d'habitants", "en": "Housing cooperatives"},
    "abstract": {"fr": "Une étude des coopératives d'habitants à Lyon."},
    "type": "working-paper",
    "creators": [{"name": "Dupont, Marie", "kind": "person"},
                 {"name": "Réseau ESS", "kind": "organisation"}],
    "publisher": "Réseau ESS", "date": "2019-05", "languages": ["fr", "en"],
    "countries": ["FR", "SN"], "regions": ["150"], "sdgs": [{"goal": 11, "target": "11.1"}, 8],
    "keywords": ["logement", "coopératives"], "licence": "CC-BY-4.0",
    "identifiers": {"doi": "10.1234/ABC.5", "url": "https://hal.example.org/hal-1"},
    "organisation": "ilo",
}


def _rows(item: Item) -> dict:
    """Everything an item is, except what differs between any two items (ids, times)."""
    return {
        "columns": {f.attname: getattr(item, f.attname) for f in Item._meta.concrete_fields
                    if f.attname not in ("id", "uid", "source_record", "created_at",
                                         "updated_at", "status_changed_at")},
        "creators": list(item.creators.values_list("position", "name", "kind")),
        "countries": sorted(item.countries.values_list("pk", flat=True)),
        "regions": sorted(item.regions.values_list("pk", flat=True)),
        "sdgs": sorted(item.sdg_links.values_list("goal_id", "target_id", "source"),
                       key=lambda link: (link[0], link[1] or "", link[2])),
        "versions": list(item.versions.values_list("number", "data", "changed_fields",
                                                   "comment")),
        "status": list(item.status_changes.values_list("from_status", "to_status")),
        "snapshot": snapshot(item),
    }


def test_create_items_writes_what_create_item_writes():
    one = services.create_item(RICH, status=Status.PUBLISHED, provenance="harvest",
                               source_name="repo", source_record="a")
    [many] = services.create_items([services.NewItem(from_dict(RICH), source_record="b")],
                                   status=Status.PUBLISHED, provenance="harvest",
                                   source_name="repo")
    many.refresh_from_db()
    assert _rows(many) == _rows(one)
    assert _rows(one)["sdgs"] == [(8, None, ItemGoal.Source.EDITOR),
                                  (11, "11.1", ItemGoal.Source.EDITOR)]
    assert many.uid != one.uid


def _input(key: str, **meta) -> Input:
    return Input(label=key, record=key, metadata={"title": {"en": f"Report {key}"}, **meta})


def _options() -> pipeline.Options:
    return pipeline.Options(status=Status.PUBLISHED, provenance="harvest", source_name="repo")


def test_a_batch_creates_new_inputs_and_updates_known_ones_in_order():
    known = services.create_item({"title": {"en": "Known"}, "identifiers": {
        "url": "https://x.org/known"}}, status=Status.PUBLISHED)
    inputs = [
        _input("r1", identifiers={"url": "https://x.org/1"}),
        _input("r2", identifiers={"url": "https://x.org/known"}),  # an item we have
        _input("r3", date="not a date"),  # invalid: fails alone
        Input(label="r4", record="r4", metadata={"abstract": "no title"}),
        _input("r5", identifiers={"url": "https://x.org/1"}),  # the same work as r1
        _input("r6"),
    ]
    results = pipeline.ingest_metadata_batch(inputs, _options())
    assert [r.input for r in results] == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert [r.status for r in results] == ["created", "updated", "failed", "failed",
                                           "updated", "created"]
    assert "date" in results[2].reason and "title" in results[3].reason
    assert results[1].id == known.pk and results[4].id == results[0].id
    assert Item.objects.count() == 3
    first = Item.objects.get(pk=results[0].id)
    assert first.title == {"en": "Report r5"}  # r5 came later and updated it
    assert first.source_name == "repo" and first.source_record == "r1"
    assert first.provenance == "harvest" and first.status == Status.PUBLISHED
    # Each new item is queued for the search index in the same transaction.
    assert set(Outbox.objects.values_list("item_id", flat=True)) >= {results[0].id,
                                                                     results[5].id}


def test_a_source_record_seen_before_updates_its_item():
    [first] = pipeline.ingest_metadata_batch([_input("r1")], _options())
    [again] = pipeline.ingest_metadata_batch([_input("r1", date="2020")], _options())
    assert (again.status, again.id) == ("updated", first.id)
    assert Item.objects.get(pk=first.id).pub_year == 2020
    assert Item.objects.count() == 1


def test_a_doi_finds_its_item_whatever_its_case():
    [first] = pipeline.ingest_metadata_batch(
        [_input("r1", identifiers={"doi": "10.1234/ABC.5"})], _options())
    item = Item.objects.get(pk=first.id)
    assert item.doi == "10.1234/abc.5" and item.display_doi == "10.1234/ABC.5"
    [twin] = pipeline.ingest_metadata_batch(
        [Input(label="other", record="x9", metadata={
            "title": "Another record of the same work",
            "identifiers": {"doi": "https://doi.org/10.1234/abc.5"}})],
        pipeline.Options(source_name="elsewhere"))
    assert (twin.status, twin.id) == ("updated", first.id)
    one = pipeline.ingest_one(Input(label="y", metadata={"title": "Once more", "doi":
                                                         "10.1234/Abc.5"}), _options())
    assert (one.status, one.id) == ("updated", first.id)
    assert Item.objects.count() == 1


def test_the_migration_puts_stored_dois_in_lower_case():
    from django.apps import apps

    item = services.create_item({"title": "A", "doi": "10.1234/XYZ"})
    Item.objects.filter(pk=item.pk).update(doi="10.1234/XYZ")  # as stored before it
    import_module("ssehub.library.migrations.0009_doi_lookup_in_lower_case").lower_dois(
        apps, None)
    item.refresh_from_db()
    assert item.doi == "10.1234/xyz" and item.display_doi == "10.1234/XYZ"


def test_a_document_input_is_refused_by_the_batch():
    with pytest.raises(ValueError, match="metadata only"):
        pipeline.ingest_metadata_batch(
            [Input(label="f", filename="a.txt", reader=lambda: b"text")], _options())


def test_hooks_without_a_batch_form_see_every_new_item(settings):
    from tests.library import hooks

    settings.SSEHUB_INGEST_HOOKS = ["tests.library.hooks.record",
                                    "ssehub.library.hooks.index_item"]
    hooks.CALLS.clear()
    results = pipeline.ingest_metadata_batch([_input(f"r{i}") for i in range(5)], _options())
    ids = [r.id for r in results]
    assert [pk for pk, _files in hooks.CALLS] == ids  # one call per item, in order
    assert sorted(Outbox.objects.values_list("item_id", flat=True)) == sorted(ids)  # batch form


def test_a_failing_batch_hook_fails_the_batch(settings):
    settings.SSEHUB_INGEST_HOOKS = ["tests.library.hooks.explode"]
    with pytest.raises(RuntimeError, match="mapper is down"):
        pipeline.ingest_metadata_batch([_input("r1"), _input("r2")], _options())


def test_a_snapshot_is_what_the_items_full_record_says(editor):
    """snapshot() reads only what versions hold: the same as item_to_dict's fields, with the
    editors' standing SDG links only (machine links and rejections are not metadata)."""
    from ssehub.library.metadata import VERSIONED_FIELDS, item_to_dict
    from ssehub.sdg import services as sdg

    item = services.create_item(RICH, status=Status.PUBLISHED)
    ItemGoal.objects.create(item=item, goal_id=13, source=ItemGoal.Source.MACHINE,
                            confidence=0.9, status="suggested")
    sdg.decide(item, 8, "reject", actor=editor)
    item.refresh_from_db()
    full = item_to_dict(item)
    expected = {key: full[key] for key in VERSIONED_FIELDS}
    expected["sdgs"] = [{"goal": 11, "target": "11.1"}]  # 8 was rejected, 13 is the machine's
    assert snapshot(item) == expected
    assert list(snapshot(item)) == list(VERSIONED_FIELDS)
    assert expected["creators"][0] == {"name": "Dupont, Marie", "kind": "person"}
    assert expected["countries"] == ["FR", "SN"] and expected["organisation"] == "ilo"
