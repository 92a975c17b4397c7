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


def test_new_objects_are_the_instances_the_constructor_builds():
    rows = [{"title": {"en": "Item"}, "keywords": ["a"], "pub_year": 2001,
             "status": Status.PUBLISHED, "organisation_id": None},
            {}]  # every column at its default
    ours = bulk.new_objects(Item, rows)
    theirs = [Item(**row) for row in rows]
    fields = [f.attname for f in Item._meta.concrete_fields if f.attname != "uid"]
    for mine, django in zip(ours, theirs, strict=True):
        assert mine._state.adding and mine.pk is None
        assert {f: getattr(mine, f) for f in fields} == {f: getattr(django, f) for f in fields}
    # Callable defaults are called per instance: no shared uid, no shared mutable default.
    assert ours[0].uid != ours[1].uid
    first, second = bulk.new_objects(Item, [{}, {}])
    assert first.title == {} and first.title is not second.title
    bulk.insert_objects(ours)
    assert Item.objects.get(pk=ours[0].pk).keywords == ["a"]
    with pytest.raises(TypeError, match="no column 'colour'"):
        bulk.new_objects(Item, [{"colour": "red"}])


def test_every_columns_default_is_the_one_its_field_gives():
    """``_default_of``'s per-column defaults (one value kept for a constant) are what
    ``field.get_default()`` gives, for every model here; a mutable one is new each row."""
    from django.apps import apps

    checked = 0
    for model in apps.get_models():
        if not model.__module__.startswith("ssehub."):
            continue
        try:
            columns = bulk._columns(model)
        except TypeError:  # a column with its own SQL: bulk refuses the model
            continue
        for column in columns:
            ours, django = column.default(), column.field.get_default()
            if callable(column.field.default) and column.field.default not in (dict, list):
                assert type(ours) is type(django), (model, column.attname)  # a uid, a token
            else:
                assert (type(ours), ours) == (type(django), django), (model, column.attname)
                if isinstance(django, (dict, list)):
                    assert ours is not column.default()  # a new one each row
            checked += 1
    assert checked > 100


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

        def __str__(self) -> str:
            return self.where

    with pytest.raises(TypeError, match="Place.where writes its own SQL"):
        bulk.insert(Place, [{"where": "POINT(0 0)"}])


def test_updated_rows_are_the_rows_bulk_update_writes(source, item):
    def build(suffix):
        return [RecordState.objects.create(source=source, identifier=f"{suffix}{i}")
                for i in range(3)]

    ours, theirs = build("a"), build("b")
    for states in (ours, theirs):
        for i, state in enumerate(states):
            state.item = item if i else None
            state.datestamp = f"2024-0{i + 1}-01"
            state.deleted = bool(i % 2)
            state.validators = {"etag": f'"{i}"', "list": [i, "é"]}
            state.raw = "<record>é</record>" * i
    before = timezone.now()
    stamps = [(state.first_seen, state.last_seen) for state in ours]
    bulk.update_objects(ours, ["item", "datestamp", "deleted", "validators", "raw",
                               "last_seen"])
    RecordState.objects.bulk_update(theirs, ["item", "datestamp", "deleted", "validators",
                                             "raw"])
    strip = [{k: v for k, v in row.items() if k != "identifier"} for row in
             _read(RecordState, [s.pk for s in ours])]
    assert strip == [{k: v for k, v in row.items() if k != "identifier"}
                     for row in _read(RecordState, [s.pk for s in theirs])]
    assert strip[1]["item_id"] == item.pk and strip[2]["validators"] == {"etag": '"2"',
                                                                         "list": [2, "é"]}
    for state, stamp in zip(RecordState.objects.filter(pk__in=[s.pk for s in ours])
                            .order_by("pk"), stamps, strict=True):
        assert state.last_seen >= before > stamp[1]  # auto_now, when listed, is set
        assert state.first_seen == stamp[0]  # auto_now_add is not


def test_update_takes_only_known_columns_of_saved_rows(source):
    state = RecordState.objects.create(source=source, identifier="a")
    with pytest.raises(TypeError, match="no column 'colour'"):
        bulk.update_objects([state], ["datestamp", "colour"])
    with pytest.raises(TypeError, match="at least one field"):
        bulk.update_objects([state], [])
    with pytest.raises(ValueError, match="saved RecordState"):
        bulk.update_objects([RecordState(source=source, identifier="b")], ["datestamp"])
    bulk.update_objects([], ["datestamp"])  # nothing to do


def test_delete_where_deletes_only_the_matching_rows(source, item):
    other = Item.objects.create(title={"en": "Other"})
    n = 1200  # more values than one statement takes on SQLite
    bulk.insert(RecordState, ({"source_id": source.pk, "identifier": f"r{i}",
                               "deleted": bool(i % 2), "item_id": item.pk if i < 10 else None}
                              for i in range(n)))
    bulk.delete_where(RecordState, "identifier", [f"r{i}" for i in range(0, n, 3)],
                      deleted=True)
    left = set(RecordState.objects.values_list("identifier", flat=True))
    assert left == {f"r{i}" for i in range(n) if i % 3 or not i % 2}
    bulk.delete_where(RecordState, "item_id", [other.pk])
    assert len(RecordState.objects.all()) == len(left)
    bulk.delete_where(RecordState, "item_id", [item.pk])
    assert not RecordState.objects.filter(item=item).exists()
    bulk.delete_where(RecordState, "item_id", [])  # nothing to do
    with pytest.raises(TypeError, match="no column 'colour'"):
        bulk.delete_where(RecordState, "colour", [1])
