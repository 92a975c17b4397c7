"""ssehub.core.bulk writes the rows bulk_create writes (defaults, JSON, times, keys), returns
the new ids in order across batches, and lets the database refuse a bad row."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import IntegrityError, NotSupportedError, connection, transaction
from django.utils import timezone

from ssehub.core import bulk
from ssehub.harvest.models import RecordState, Source
from ssehub.library.models import Item, ItemVersion, Status, StatusChange

pytestmark = pytest.mark.django_db
TIMES = {"created_at", "updated_at", "first_seen", "last_seen", "changed_at", "status_changed_at"}


def _read(model, ids) -> list[dict]:
    """The stored rows, as the database gives them back, less what differs between copies."""
    rows = model.objects.filter(pk__in=ids).order_by("pk").values()
    return [{k: v for k, v in row.items() if k not in TIMES | {"id", "uid"}} for row in rows]


@pytest.fixture
def source():
    return Source.objects.create(name="repo", kind="oai", url="http://127.0.0.1/oai")


@pytest.fixture
def item():
    return Item.objects.create(title={"en": "Housing cooperatives"})


def test_rows_are_the_rows_bulk_create_writes(source, item):
    given = [
        {"source_id": source.pk, "identifier": "oai:a", "item_id": item.pk,
         "datestamp": "2024-01-02", "content_hash": "ab" * 32, "raw": "<record/>",
         "validators": {"etag": '"x"', "nested": [1, "é", None]}},
        {"source_id": source.pk, "identifier": "oai:b", "deleted": True},  # defaults for the rest
    ]
    before = timezone.now()
    ours = bulk.insert(RecordState, given, returning=True)
    after = timezone.now()
    theirs = [state.pk for state in RecordState.objects.bulk_create(
        RecordState(**{**row, "identifier": row["identifier"] + "'"}) for row in given)]
    mine, django = _read(RecordState, ours), _read(RecordState, theirs)
    for row in django:
        row["identifier"] = row["identifier"].rstrip("'")
    assert mine == django
    assert mine[1] == {"source_id": source.pk, "identifier": "oai:b", "item_id": None,
                       "datestamp": "", "deleted": True, "content_hash": "", "raw": "",
                       "validators": {}}
    for state in RecordState.objects.filter(pk__in=ours):
        assert before <= state.first_seen <= after
        assert state.last_seen == state.first_seen  # one time for the batch


def test_values_that_need_converting_round_trip(item):
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    [pk] = bulk.insert(ItemVersion, [{
        "item_id": item.pk, "number": 7, "data": {"title": {"fr": "Économie"}, "n": 1.5},
        "changed_fields": ["title"], "comment": Status.PUBLISHED, "changed_by_id": None,
    }], returning=True)
    version = ItemVersion.objects.get(pk=pk)
    assert (version.number, version.data, version.changed_fields, version.comment) == (
        7, {"title": {"fr": "Économie"}, "n": 1.5}, ["title"], "published")
    [pk] = bulk.insert(StatusChange, [{"item_id": item.pk, "to_status": "draft"}],
                       returning=True)
    assert StatusChange.objects.get(pk=pk).from_status == ""
    [pk] = bulk.insert(Item, [{"title": {"en": "t"}, "uid": (uid := uuid.uuid4()),
                               "status_changed_at": when, "pub_year": 2024}], returning=True)
    stored = Item.objects.get(pk=pk)
    assert (stored.uid, stored.status_changed_at, stored.pub_year) == (uid, when, 2024)
    assert stored.item_type_id == "other" and stored.status == Status.DRAFT


def test_objects_get_their_ids_and_match_bulk_create():
    def build(n):
        return [Item(title={"en": f"Item {i}"}, abstract={"en": "é" * i}, pub_year=2000 + i,
                     keywords=["a", str(i)], status=Status.PUBLISHED, source_record=str(i))
                for i in range(n)]

    ours, theirs = build(3), build(3)
    bulk.insert_objects(ours)
    Item.objects.bulk_create(theirs)
    assert all(obj.pk and not obj._state.adding for obj in ours)
    assert _read(Item, [o.pk for o in ours]) == _read(Item, [o.pk for o in theirs])
    for obj in ours:
        assert Item.objects.get(pk=obj.pk).title == obj.title
        assert obj.created_at is not None and obj.updated_at == obj.created_at


def test_ids_come_back_in_order_across_batches(source):
    n = 2500  # more rows than one statement takes on SQLite
    ids = bulk.insert(RecordState, ({"source_id": source.pk, "identifier": f"r{i}"}
                                    for i in range(n)), returning=True)
    assert len(ids) == len(set(ids)) == n
    stored = dict(RecordState.objects.values_list("pk", "identifier"))
    assert [stored[pk] for pk in ids] == [f"r{i}" for i in range(n)]
    assert bulk.insert(RecordState, []) == []


def test_an_unknown_column_is_refused_before_anything_is_written(source):
    with pytest.raises(TypeError, match="no column 'colour'"):
        bulk.insert(RecordState, [{"source_id": source.pk, "identifier": "a"},
                                  {"source_id": source.pk, "identifier": "b", "colour": 1}])
    assert not RecordState.objects.exists()


def test_the_database_refuses_a_bad_row_and_the_batch_with_it(source):
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(RecordState, [{"source_id": source.pk, "identifier": "same"},
                                  {"source_id": source.pk, "identifier": "same"}])
    assert not RecordState.objects.exists()


def test_without_insert_returning_asking_for_ids_is_refused(source, monkeypatch):
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    with pytest.raises(NotSupportedError, match="returns no ids"):
        bulk.insert(RecordState, [{"source_id": source.pk, "identifier": "a"}], returning=True)
    assert not RecordState.objects.exists()
    bulk.insert(RecordState, [{"source_id": source.pk, "identifier": "a"}])  # no ids: fine
    assert RecordState.objects.get().identifier == "a"


def test_a_column_that_writes_its_own_sql_is_refused():
    from django.db import models

    class Point(models.CharField):
        def get_placeholder(self, value, compiler, connection):
            return "ST_GeomFromText(%s)"

    class Place(models.Model):
        where = Point(max_length=50)

        class Meta:
            app_label = "core"
            managed = False

    with pytest.raises(TypeError, match="Place.where writes its own SQL"):
        bulk.insert(Place, [{"where": "POINT(0 0)"}])
