"""Many items updated at once (a page of records changed at their source): the same rows,
versions, checks and outcomes as one by one, and a bad input still fails alone."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from ssehub.library import services
from ssehub.library.hooks import TEXT_FIELDS, run_hooks
from ssehub.library.ingest import pipeline
from ssehub.library.ingest.inputs import Input
from ssehub.library.metadata import from_dict
from ssehub.library.models import Item, ItemGoal, Status
from ssehub.search.models import Outbox

from .test_ingest_metadata_batch import RICH, _rows

pytestmark = pytest.mark.django_db

# Each change, applied to a copy of RICH: what a source's revision of a record may be.
CHANGES = [
    {"title": {"es": "Cooperativas de vivienda"}},
    {"title": {"en": "Housing co-ops"}, "abstract": {"en": "A study."}},
    {"creators": [{"name": "Martin, Paul", "kind": "person"}], "publisher": "CIRIEC"},
    {"countries": [], "regions": ["002"], "date": "2021"},
    {"sdgs": [5, {"goal": 8, "target": "8.3"}], "keywords": []},
    {"identifiers": {"doi": "10.9999/NEW", "url": "https://x.org/new"}, "licence": ""},
    {"organisation": "ripess", "type": "report", "languages": ["es"]},
    dict(RICH),  # the same metadata again: nothing changes
    {},  # nothing given
]


def _twins() -> tuple[list[Item], list[Item]]:
    """Two identical items per change; an editor has rejected a machine link on each."""
    pairs = []
    for i in range(len(CHANGES)):
        twins = []
        for side in "ab":
            item = services.create_item(RICH, status=Status.PUBLISHED, provenance="harvest",
                                        source_name="repo", source_record=f"{side}{i}")
            ItemGoal.objects.create(item=item, goal_id=1, source=ItemGoal.Source.EDITOR,
                                    rejected=True)
            twins.append(item)
        pairs.append(twins)
    return [a for a, _b in pairs], [b for _a, b in pairs]


def _one_by_one(item: Item, change: dict, comment: str) -> bool:
    """The per-item write (save, each relation, the version, the hooks for a new text) that
    update_item made before the batch: the oracle the batch is compared with."""
    item = Item.objects.select_for_update().get(pk=item.pk)
    services.apply_metadata(item, from_dict(change), only_present=True)
    version = services.record_version(item, None, comment)
    if version is not None and TEXT_FIELDS & set(version.changed_fields):
        run_hooks(item)  # a new text is mapped again
    return version is not None


def test_update_items_writes_what_one_by_one_writes():
    ones, manys = _twins()
    expected = [_one_by_one(item, change, comment=f"c{i}")
                for i, (item, change) in enumerate(zip(ones, CHANGES, strict=True))]
    stamps = {item.pk: Item.objects.get(pk=item.pk).updated_at for item in manys}
    Outbox.objects.all().delete()
    got = services.update_items(list(zip(manys, CHANGES, strict=True)),
                                comment=[f"c{i}" for i in range(len(CHANGES))])
    assert got == expected
    assert got == [True] * 7 + [False, False]
    for one, many, change in zip(ones, manys, CHANGES, strict=True):
        one.refresh_from_db()
        many.refresh_from_db()
        assert _rows(many) == _rows(one)
        assert many.sdg_links.filter(goal_id=1, rejected=True).exists()  # a decision stays
        if change in (RICH, {}):  # nothing would change: nothing is written
            assert many.updated_at == stamps[many.pk]
        else:
            assert many.updated_at > stamps[many.pk]
    assert _rows(manys[0])["columns"]["title"] == {"es": "Cooperativas de vivienda"}
    assert manys[2].versions.get(number=2).changed_fields == ["creators", "publisher"]
    assert _rows(manys[5])["columns"]["doi"] == "10.9999/new"
    # Every changed item is queued for the search index (bulk writes send no signals).
    assert set(Outbox.objects.values_list("item_id", flat=True)) == {m.pk for m in manys[:7]}


def test_an_update_that_changes_nothing_writes_nothing():
    item = services.create_item(RICH, status=Status.PUBLISHED)
    stamp = Item.objects.get(pk=item.pk).updated_at
    Outbox.objects.all().delete()
    same = {**RICH, "sdgs": [8, {"goal": 11, "target": "11.1"}], "countries": ["SN", "FR"]}
    assert services.update_item(item, same) is False
    assert services.update_item(item, {"title": dict(reversed(RICH["title"].items()))}) is False
    assert Item.objects.get(pk=item.pk).updated_at == stamp
    assert not Outbox.objects.exists() and item.versions.count() == 1
    assert services.update_item(item, {"publisher": "CIRIEC"}) is True
    assert Item.objects.get(pk=item.pk).updated_at > stamp
    assert Outbox.objects.filter(item_id=item.pk).exists()


def test_update_items_checks_every_item_before_writing(org, other_org, contributor):
    mine = services.create_item({**RICH, "organisation": org.slug}, actor=contributor)
    theirs = services.create_item({**RICH, "organisation": other_org.slug})
    for changes in ([(mine, {"title": {"en": "New"}}), (theirs, {"title": {"en": "New"}})],
                    [(mine, {"organisation": other_org.slug})]):
        with pytest.raises(PermissionDenied):
            services.update_items(changes, actor=contributor)
        mine.refresh_from_db()
        assert mine.title == RICH["title"] and mine.organisation == org
        assert mine.versions.count() == 1
    assert services.update_items([(mine, {"title": {"en": "New"}})], actor=contributor) == [True]
    assert mine.versions.get(number=2).changed_by == contributor


def test_update_items_takes_each_item_once_and_one_comment_each():
    item = services.create_item(RICH)
    with pytest.raises(ValueError, match="each item once"):
        services.update_items([(item, {"publisher": "A"}), (item, {"publisher": "B"})])
    with pytest.raises(ValueError, match="one comment per item"):
        services.update_items([(item, {"publisher": "A"})], comment=["a", "b"])
    assert services.update_items([]) == []
    item.refresh_from_db()
    assert item.publisher == RICH["publisher"]


def test_a_bad_input_of_an_update_batch_fails_alone():
    items = [services.create_item({"title": {"en": f"Report {i}"}}, status=Status.PUBLISHED,
                                  provenance="harvest", source_name="repo",
                                  source_record=f"r{i}") for i in range(4)]
    options = pipeline.Options(status=Status.PUBLISHED, provenance="harvest",
                               source_name="repo")
    results = pipeline.update_metadata_batch([
        (items[0], Input(label="r0", record="r0", metadata={"title": {"fr": "Rapport 0"}})),
        (items[1], Input(label="r1", record="r1", metadata={"date": "not a date"})),
        (items[2], Input(label="r2", record="r2", metadata={})),
        (items[3], Input(label="r3", record="r3", metadata={"title": {"en": "Report 3"}})),
    ], options)
    assert [(r.input, r.status, r.id) for r in results] == [
        ("r0", "updated", items[0].pk), ("r1", "failed", None),
        ("r2", "unchanged", items[2].pk), ("r3", "unchanged", items[3].pk)]
    assert "invalid metadata" in results[1].reason and "date" in results[1].reason
    assert results[2].notes == ["already in the library"]
    items[0].refresh_from_db()
    assert items[0].title == {"en": "Report 0", "fr": "Rapport 0"}  # a translation added
    assert items[0].versions.get(number=2).comment == "re-ingested from r0"
    assert [i.versions.count() for i in items] == [2, 1, 1, 1]


def test_permission_is_checked_before_the_metadata(org, other_org, contributor):
    """One who may not edit an item learns that, not what is wrong with the metadata."""
    theirs = services.create_item({**RICH, "organisation": other_org.slug})
    with pytest.raises(PermissionDenied):
        services.update_item(theirs, {"date": "not a date"}, actor=contributor)


def test_a_new_text_goes_through_the_ingest_hooks_again(settings):
    """Only the items whose text changed are handed to the hooks (the SDG mapper maps them
    again); the other changed items are queued for the index; the unchanged, neither."""
    from tests.library import hooks

    settings.SSEHUB_INGEST_HOOKS = ["tests.library.hooks.record",
                                    "ssehub.library.hooks.index_item"]
    items = [services.create_item(RICH, source_record=str(i)) for i in range(5)]
    hooks.CALLS.clear()
    Outbox.objects.all().delete()
    services.update_items([
        (items[0], {"abstract": {"en": "A new abstract."}}),
        (items[1], {"publisher": "CIRIEC"}),
        (items[2], {"keywords": ["housing"]}),
        (items[3], dict(RICH)),
        (items[4], {"title": {"en": "Housing cooperatives", "fr": RICH["title"]["fr"]}}),
    ])
    assert [pk for pk, _files in hooks.CALLS] == [items[0].pk, items[2].pk]
    assert sorted(Outbox.objects.values_list("item_id", flat=True)) == sorted(
        [items[0].pk, items[1].pk, items[2].pk])


def test_record_edit_runs_the_hooks_for_a_new_item_or_a_new_text(settings):
    """The admin's saves go through record_edit: an item added there (its first version) and
    a new text are handed to the hooks; an edit elsewhere is not."""
    from tests.library import hooks

    settings.SSEHUB_INGEST_HOOKS = ["tests.library.hooks.record"]
    item = Item.objects.create(title={"en": "Added in the admin"})  # as the admin form saves
    hooks.CALLS.clear()
    assert services.record_edit(item, None, "edited in admin").number == 1
    item.publisher = "RIPESS"
    item.save()
    assert services.record_edit(item, None, "edited in admin").changed_fields == ["publisher"]
    item.abstract = {"en": "Now with an abstract."}
    item.save()
    services.record_edit(item, None, "edited in admin")
    assert [pk for pk, _files in hooks.CALLS] == [item.pk, item.pk]
