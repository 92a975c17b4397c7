"""Every role against every write path of the item services.

The services enforce permissions themselves, so these tests call them directly, as the CLI,
the admin, the upload form and (later) the API do.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from ssehub.library import services
from ssehub.library.models import Item, ItemVersion, Status, StatusChange

META = {"title": {"en": "Worker cooperatives and decent work"}, "type": "report"}


def _meta(org) -> dict:
    return {**META, "organisation": org.slug}


def _item(org, status=Status.DRAFT) -> Item:
    return services.create_item(_meta(org), status=status)


ROLES = ["anonymous", "plain_user", "contributor", "other_contributor", "editor", "admin_user"]


@pytest.fixture
def actor(request):
    return request.getfixturevalue(request.param)


# --- create -----------------------------------------------------------------------------------

CREATE_DRAFT = {
    "anonymous": False, "plain_user": False, "contributor": True,
    "other_contributor": False, "editor": True, "admin_user": True,
}


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_create_draft_for_an_organisation(actor, org, request):
    role = request.node.callspec.params["actor"]
    if CREATE_DRAFT[role]:
        item = services.create_item(_meta(org), actor=actor, status=Status.DRAFT)
        assert item.status == Status.DRAFT and item.organisation == org
    else:
        with pytest.raises(PermissionDenied):
            services.create_item(_meta(org), actor=actor, status=Status.DRAFT)
        assert Item.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_create_published_needs_an_editor(actor, org, request):
    role = request.node.callspec.params["actor"]
    if role in ("editor", "admin_user"):
        assert services.create_item(_meta(org), actor=actor, status=Status.PUBLISHED).pk
    else:
        with pytest.raises(PermissionDenied):
            services.create_item(_meta(org), actor=actor, status=Status.PUBLISHED)
        assert Item.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES, indirect=True)
@pytest.mark.parametrize("status", [Status.DRAFT, Status.PUBLISHED])
def test_bulk_creation_has_the_same_rules(actor, status, org, other_org, request):
    """``create_items`` (harvested pages) checks what ``create_item`` checks, for each
    organisation of the batch: one item the actor may not submit refuses the whole batch."""
    from ssehub.library.metadata import from_dict

    role = request.node.callspec.params["actor"]
    allowed = role in ("editor", "admin_user") if status == Status.PUBLISHED else CREATE_DRAFT[role]
    batch = [services.NewItem(from_dict(_meta(org)), source_record=str(i)) for i in range(3)]
    if allowed:
        items = services.create_items(batch, actor=actor, status=status)
        assert [i.status for i in items] == [status] * 3
        assert Item.objects.filter(organisation=org, status=status).count() == 3
    else:
        with pytest.raises(PermissionDenied):
            services.create_items(batch, actor=actor, status=status)
        assert Item.objects.count() == 0
    if role == "contributor":
        mixed = [*batch, services.NewItem(from_dict(_meta(other_org)))]
        with pytest.raises(PermissionDenied):
            services.create_items(mixed, actor=actor, status=Status.DRAFT)
        assert not Item.objects.filter(organisation=other_org).exists()


@pytest.mark.django_db
def test_contributor_may_submit_for_review_directly(contributor, org):
    item = services.create_item(_meta(org), actor=contributor, status=Status.IN_REVIEW)
    assert item.status == Status.IN_REVIEW


# --- update -----------------------------------------------------------------------------------

UPDATE_DRAFT = {
    "anonymous": False, "plain_user": False, "contributor": True,
    "other_contributor": False, "editor": True, "admin_user": True,
}


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_update_a_draft(actor, org, request):
    role = request.node.callspec.params["actor"]
    item = _item(org)
    change = {"title": {"en": "Renamed"}}
    if UPDATE_DRAFT[role]:
        assert services.update_item(item, change, actor=actor) is True
        item.refresh_from_db()
        assert item.title == {"en": "Renamed"}
    else:
        with pytest.raises(PermissionDenied):
            services.update_item(item, change, actor=actor)
        item.refresh_from_db()
        assert item.title == META["title"]


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_update_a_published_item_is_for_editors(actor, org, request):
    role = request.node.callspec.params["actor"]
    item = _item(org, Status.PUBLISHED)
    if role in ("editor", "admin_user"):
        assert services.update_item(item, {"publisher": "ILO"}, actor=actor)
    else:
        with pytest.raises(PermissionDenied):
            services.update_item(item, {"publisher": "ILO"}, actor=actor)
        item.refresh_from_db()
        assert item.publisher == ""


@pytest.mark.django_db
def test_contributor_cannot_move_an_item_to_another_organisation(contributor, org, other_org):
    item = _item(org)
    with pytest.raises(PermissionDenied):
        services.update_item(item, {"organisation": other_org.slug}, actor=contributor)
    item.refresh_from_db()
    assert item.organisation == org


# --- workflow ---------------------------------------------------------------------------------

TRANSITIONS = [
    # (from, to, roles allowed)
    (Status.DRAFT, Status.IN_REVIEW, {"contributor", "editor", "admin_user"}),
    (Status.IN_REVIEW, Status.DRAFT, {"contributor", "editor", "admin_user"}),
    (Status.IN_REVIEW, Status.PUBLISHED, {"editor", "admin_user"}),
    (Status.DRAFT, Status.PUBLISHED, {"editor", "admin_user"}),
    (Status.PUBLISHED, Status.WITHDRAWN, {"editor", "admin_user"}),
    (Status.WITHDRAWN, Status.PUBLISHED, {"editor", "admin_user"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("frm,to,allowed", TRANSITIONS)
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_status_transitions(actor, frm, to, allowed, org, request):
    role = request.node.callspec.params["actor"]
    item = _item(org, frm)
    if role in allowed:
        services.change_status(item, to, actor=actor, note="checked")
        item.refresh_from_db()
        assert item.status == to
        change = item.status_changes.last()
        assert (change.from_status, change.to_status) == (frm, to)
        assert change.changed_by == actor
        assert item.status_changed_by == actor
    else:
        with pytest.raises(PermissionDenied):
            services.change_status(item, to, actor=actor)
        item.refresh_from_db()
        assert item.status == frm


@pytest.mark.django_db
@pytest.mark.parametrize("frm,to,allowed", TRANSITIONS)
@pytest.mark.parametrize("actor", ROLES, indirect=True)
def test_many_at_once_follow_the_same_rules_all_or_nothing(actor, frm, to, allowed, org,
                                                            other_org, request):
    """``change_status_many`` (a harvest source cleared): the rules of one by one; if one
    move is refused (here the other organisation's draft, for a contributor), none is made."""
    role = request.node.callspec.params["actor"]
    items = [_item(org, frm), _item(org, frm), _item(other_org, frm)]
    ids = [item.pk for item in items]
    if role in allowed and role != "contributor":
        assert services.change_status_many(ids, to, actor=actor, note="checked") == 3
        assert services.change_status_many(ids, to, actor=actor) == 0  # already there
        assert set(Item.objects.filter(pk__in=ids).values_list("status", flat=True)) == {to}
        changes = [item.status_changes.last() for item in items]
        assert {(c.from_status, c.to_status, c.changed_by, c.note) for c in changes} == {
            (frm, to, actor, "checked")}
        assert {item.status_changed_by for item in Item.objects.filter(pk__in=ids)} == {actor}
    else:
        with pytest.raises(PermissionDenied):
            services.change_status_many(ids, to, actor=actor)
        assert set(Item.objects.filter(pk__in=ids).values_list("status", flat=True)) == {frm}


@pytest.mark.django_db
def test_many_at_once_by_the_system_on_behalf_of_a_user_are_recorded_as_theirs(org, editor):
    items = [_item(org, Status.DRAFT), _item(org, Status.PUBLISHED)]
    done = services.change_status_many([item.pk for item in items], Status.WITHDRAWN,
                                       on_behalf_of=editor, note="source cleared")
    assert done == 2  # a draft too, which no role may withdraw one by one
    assert {(c.to_status, c.changed_by) for c in
            [item.status_changes.last() for item in items]} == {(Status.WITHDRAWN, editor)}
    with pytest.raises(ValueError):
        services.change_status_many([items[0].pk], "archived")


@pytest.mark.django_db
def test_many_at_once_takes_more_ids_than_a_statement_may_bind(org, monkeypatch, request):
    """A large source's ids are read and written a chunk at a time: 70,000 ids in one IN
    list are more parameters than a statement may bind on some SQLite builds (32,766 by
    default) and on PostgreSQL with server-side binding (65,535)."""
    from django.db import connection

    items = [_item(org, Status.PUBLISHED) for _ in range(3)]
    ids = [*range(10**7, 10**7 + 70_000), *(item.pk for item in items), items[0].pk]
    if connection.vendor == "sqlite":  # as SQLite's default build (this one may take more)
        import sqlite3

        connection.ensure_connection()
        limit = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
        before = connection.connection.setlimit(limit, 32_766)  # the connection outlives us
        request.addfinalizer(lambda: connection.connection.setlimit(limit, before))
    assert services.change_status_many(ids, Status.WITHDRAWN) == 3
    assert StatusChange.objects.filter(to_status=Status.WITHDRAWN).count() == 3
    monkeypatch.setattr(services, "STATUS_CHUNK", 2)  # chunks that split the three
    assert services.change_status_many(ids, Status.PUBLISHED) == 3
    assert set(Item.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


@pytest.mark.django_db
def test_unknown_status_is_refused(org, editor):
    item = _item(org)
    with pytest.raises(ValueError):
        services.change_status(item, "archived", actor=editor)


# --- versions ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_every_change_is_a_version_and_restorable(org, editor):
    item = _item(org)
    services.update_item(item, {"title": {"en": "Second title"}, "keywords": ["coop"]},
                         actor=editor)
    services.update_item(item, {"title": {"en": "Third title", "fr": "Troisième titre"}},
                         actor=editor)
    versions = list(item.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[1].changed_fields == ["keywords", "title"]
    assert versions[1].changed_by == editor
    assert versions[2].data["title"] == {"en": "Third title", "fr": "Troisième titre"}

    services.restore_version(item, 1, actor=editor)
    item.refresh_from_db()
    assert item.title == META["title"]
    assert item.keywords == []
    latest = item.versions.order_by("-number").first()
    assert latest.number == 4 and latest.comment == "restored version 1"


@pytest.mark.django_db
def test_an_update_that_changes_nothing_makes_no_version(org, editor):
    item = _item(org)
    assert services.update_item(item, {"title": META["title"]}, actor=editor) is False
    assert ItemVersion.objects.filter(item=item).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["other_contributor", "plain_user", "anonymous"], indirect=True)
def test_restore_needs_edit_rights(actor, org, editor):
    item = _item(org)
    services.update_item(item, {"title": {"en": "Changed"}}, actor=editor)
    with pytest.raises(PermissionDenied):
        services.restore_version(item, 1, actor=actor)
    item.refresh_from_db()
    assert item.title == {"en": "Changed"}


# --- invalid metadata stores nothing ------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad,field",
    [
        ({"type": "novel"}, "type"),
        ({"date": "20-01-2020"}, "date"),
        ({"sdgs": ["18"]}, "sdgs"),
        ({"sdgs": ["8.99"]}, "sdgs"),
        ({"countries": ["Atlantis"]}, "countries"),
        ({"identifiers": {"doi": "not-a-doi"}}, "identifiers"),
        ({"organisation": "no-such-org"}, "organisation"),
        ({"title": {"english": "x"}}, "title"),
    ],
)
def test_invalid_metadata_is_refused_with_the_field_named(bad, field, org):
    from ssehub.library.metadata import MetadataError

    with pytest.raises(MetadataError) as caught:
        services.create_item({**_meta(org), **bad})
    assert field in caught.value.errors
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_the_first_version_is_the_item_as_stored(org):
    """create_item builds the first snapshot from its metadata without reading the item back:
    it must equal what reading it back gives."""
    from ssehub.library.metadata import snapshot

    item = services.create_item({
        **_meta(org), "title": {"fr": "Économie sociale", "en": "Social economy"},
        "abstract": "A long enough abstract about cooperatives and mutual societies.",
        "creators": ["Ana Ejemplo", {"name": "RIPESS", "kind": "organisation"}],
        "date": "2021-03", "countries": "Senegal; FR", "regions": ["011", "150"],
        "sdgs": ["8.10", "8", "8.a", "8.3", "5"], "keywords": "coop; ESS",
        "licence": "CC-BY-4.0", "doi": "10.1234/abc", "url": "https://example.org/x",
    })
    first = item.versions.get(number=1).data
    item.refresh_from_db()
    assert first == snapshot(item)
    assert [s["target"] for s in first["sdgs"]] == [None, None, "8.3", "8.10", "8.a"]


@pytest.mark.django_db
def test_text_no_database_can_store_is_cleaned(org):
    """NUL characters (PostgreSQL refuses them) and lone surrogates never reach the database."""
    item = services.create_item({**_meta(org), "title": {"en": "Coop\x00eratives \ud800ok"},
                                 "abstract": {"en": "Bad\udfff text\x00"},
                                 "keywords": ["a\x00b"]})
    item.refresh_from_db()
    assert item.title == {"en": "Cooperatives ok"}
    assert item.abstract == {"en": "Bad text"} and item.keywords == ["ab"]
