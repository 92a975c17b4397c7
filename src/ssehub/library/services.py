"""Write paths for items: create, update, change status, restore a version.

Every write goes through here, whatever called it (CLI, upload form, admin, harvester), so the
permission checks, the version history and the one-transaction rule hold everywhere.
``actor=None`` is the system itself (a shell command run by the operator), which may do anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import ngettext

from ssehub.core import bulk
from ssehub.core.models import Organisation
from ssehub.core.roles import require
from ssehub.library import hooks, permissions
from ssehub.library.metadata import (
    Metadata,
    from_dict,
    snapshot,
    snapshot_after,
    snapshot_of,
    snapshots,
)
from ssehub.library.models import Creator, Item, ItemGoal, ItemVersion, Status, StatusChange

SYSTEM = None


def _is_system(actor) -> bool:
    return actor is SYSTEM


def _copy_fields(item: Item, meta: Metadata, *, only_present: bool = False) -> None:
    """Copy validated metadata onto the item's own columns (no relations, no save)."""

    def wanted(name: str) -> bool:
        return not only_present or name in meta.present

    if wanted("title"):
        item.title = meta.title
    if wanted("abstract"):
        item.abstract = meta.abstract
    if wanted("type") or wanted("item_type"):
        item.item_type_id = meta.item_type
    if wanted("publisher"):
        item.publisher = meta.publisher
    if wanted("date"):
        item.pub_year, item.pub_month, item.pub_day = meta.date
    if wanted("languages"):
        item.languages = meta.languages
    if wanted("keywords"):
        item.keywords = meta.keywords
    if wanted("licence") or wanted("license"):
        item.licence = meta.licence
    if wanted("identifiers") or any(s in meta.present for s in ("doi", "isbn", "handle", "url")):
        item.identifiers = meta.identifiers
        # The indexed lookup column: DOIs are case-insensitive, so it holds the lower case
        # (an exact match uses the index where a case-insensitive one scans the table); the
        # DOI as given stays in ``identifiers`` for display.
        item.doi = meta.identifiers.get("doi", "").lower()
        item.url = meta.identifiers.get("url", "")[:1000]
    if wanted("organisation") and meta.organisation_id:
        item.organisation_id = meta.organisation_id
    if not item.original_language and item.title:
        item.original_language = next(iter(item.title))


def apply_metadata(item: Item, meta: Metadata, *, only_present: bool = False) -> None:
    """Copy validated metadata onto a saved item (fields and relations)."""

    def wanted(name: str) -> bool:
        return not only_present or name in meta.present

    _copy_fields(item, meta, only_present=only_present)
    new = item.pk is None  # a new item has no relations to clear: fewer queries per ingest
    item.save()
    if wanted("creators"):
        if not new:
            item.creators.all().delete()
        Creator.objects.bulk_create(
            Creator(item=item, position=i, name=c["name"], kind=c["kind"])
            for i, c in enumerate(meta.creators)
        )
    if wanted("countries") and (meta.countries or not new):
        item.countries.set(meta.countries) if not new else item.countries.add(*meta.countries)
    if wanted("regions") and (meta.regions or not new):
        item.regions.set(meta.regions) if not new else item.regions.add(*meta.regions)
    if wanted("sdgs"):
        if not new:
            # Editors' rejections of machine links are decisions, not metadata: they stay.
            item.sdg_links.filter(source=ItemGoal.Source.EDITOR, rejected=False).delete()
        ItemGoal.objects.bulk_create(
            ItemGoal(item=item, goal_id=goal, target_id=target, source=ItemGoal.Source.EDITOR)
            for goal, target in meta.sdgs
        )


def record_version(
    item: Item, actor, comment: str = "", *, meta: Metadata | None = None
) -> ItemVersion | None:
    """Snapshot the item's metadata if it changed since the last version.

    ``meta``: for a new item, the metadata it was made from, which gives the snapshot without
    reading the item's relations back.
    """
    data = snapshot_of(meta, item) if meta is not None else snapshot(item)
    last = None if meta is not None else item.versions.order_by("-number").first()
    if last is not None and last.data == data:
        return None
    changed = _changed_fields(last.data if last else None, data)
    return ItemVersion.objects.create(
        item=item,
        number=(last.number + 1) if last else 1,
        data=data,
        changed_fields=changed,
        comment=comment[:300],
        changed_by=actor if actor is not None and actor.is_authenticated else None,
    )


def record_edit(item: Item, actor, comment: str) -> ItemVersion | None:
    """:func:`record_version` after an edit written outside :func:`update_items` (the admin's
    forms, a restored version), and the ingest hooks when the edit gave the item a new text
    (``hooks.TEXT_FIELDS``; a new item's first version counts as one), so that its machine SDG
    links follow what it says, as they do after ``update_items``."""
    version = record_version(item, actor, comment)
    if version is not None and hooks.TEXT_FIELDS & set(version.changed_fields):
        hooks.run_hooks(item)
    return version


def _changed_fields(before: dict[str, Any] | None, now: dict[str, Any]) -> list[str]:
    return sorted(k for k in now if before is None or before.get(k) != now[k])


def _actor_or_none(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _check_can_create(actor, organisation_id: int | None, status: str) -> None:
    if _is_system(actor):
        return
    require(
        permissions.can_submit(actor, organisation_id),
        "You can only submit items for an organisation you belong to.",
    )
    if status != Status.DRAFT:
        require(
            permissions.is_editor(actor) or status == Status.IN_REVIEW,
            "Only editors can publish.",
        )


@transaction.atomic
def create_item(
    data: dict[str, Any] | Metadata,
    *,
    actor=SYSTEM,
    status: str = Status.DRAFT,
    provenance: str = "upload",
    source_name: str = "",
    source_record: str = "",
    source_url: str = "",
    full_text: str = "",
) -> Item:
    """Validate and store a new item, with its first version and status entry."""
    meta = data if isinstance(data, Metadata) else from_dict(data)
    _check_can_create(actor, meta.organisation_id, status)
    item = Item(
        status=status,
        provenance=provenance,
        source_name=source_name[:200],
        source_record=source_record[:500],
        source_url=source_url[:1000],
        full_text=full_text,
        created_by=_actor_or_none(actor),
        status_changed_at=timezone.now(),
        status_changed_by=_actor_or_none(actor),
    )
    apply_metadata(item, meta)
    StatusChange.objects.create(item=item, to_status=status, changed_by=_actor_or_none(actor))
    record_version(item, actor, "created", meta=meta)
    return item


def _insert_relations(pairs: Sequence[tuple[Item, Metadata]], *,
                      only_present: bool = False) -> None:
    """The creators, places and editors' SDG links of saved items, from their metadata (only
    the relations present in it with ``only_present``): one INSERT per table for the lot."""

    def having(name: str) -> list[tuple[Item, Metadata]]:
        return [(item, meta) for item, meta in pairs
                if not only_present or name in meta.present]

    bulk.insert(Creator, (
        {"item_id": item.pk, "position": i, "name": c["name"], "kind": c["kind"]}
        for item, meta in having("creators") for i, c in enumerate(meta.creators)))
    bulk.insert(Item.countries.through, (
        {"item_id": item.pk, "country_id": code} for item, meta in having("countries")
        for code in meta.countries))
    bulk.insert(Item.regions.through, (
        {"item_id": item.pk, "region_id": code} for item, meta in having("regions")
        for code in meta.regions))
    bulk.insert(ItemGoal, (
        {"item_id": item.pk, "goal_id": goal, "target_id": target,
         "source": ItemGoal.Source.EDITOR.value}
        for item, meta in having("sdgs") for goal, target in meta.sdgs))


def _clear_relations(pairs: Sequence[tuple[Item, Metadata]]) -> None:
    """Delete the relations present in each item's metadata, before :func:`_insert_relations`
    writes them again. Editors' rejections of machine SDG links stay (decisions, not
    metadata), as in :func:`apply_metadata`."""

    def ids(name: str) -> list[int]:
        return [item.pk for item, meta in pairs if name in meta.present]

    bulk.delete_where(Creator, "item_id", ids("creators"))
    bulk.delete_where(Item.countries.through, "item_id", ids("countries"))
    bulk.delete_where(Item.regions.through, "item_id", ids("regions"))
    bulk.delete_where(ItemGoal, "item_id", ids("sdgs"), source=ItemGoal.Source.EDITOR.value,
                      rejected=False)


@dataclass
class NewItem:
    """One item of :func:`create_items`: its validated metadata and where it came from."""

    meta: Metadata
    source_record: str = ""
    source_url: str = ""
    full_text: str = ""


@transaction.atomic
def create_items(
    new: Sequence[NewItem],
    *,
    actor=SYSTEM,
    status: str = Status.DRAFT,
    provenance: str = "upload",
    source_name: str = "",
) -> list[Item]:
    """Store many new items: for each, the rows :func:`create_item` writes (item, creators,
    countries, regions, SDG links, status entry, first version), one INSERT per table.

    Why a second way in: a harvested page of a hundred records took some sixteen statements
    per record one at a time, and building those queries cost far more than running them
    (so the rows go through :mod:`ssehub.core.bulk`, not ``bulk_create``). The permission
    checks are the same. Bulk inserts send no model signals, so the caller queues the items
    for the search index (the ingest hooks do, item by item).
    """
    if not new:
        return []
    checked: set[int | None] = set()
    for entry in new:
        if entry.meta.organisation_id not in checked:
            _check_can_create(actor, entry.meta.organisation_id, status)
            checked.add(entry.meta.organisation_id)
    user = _actor_or_none(actor)
    user_id = user.pk if user is not None else None
    now = timezone.now()
    items = bulk.new_objects(Item, ({
        "status": status, "provenance": provenance, "source_name": source_name[:200],
        "source_record": entry.source_record[:500], "source_url": entry.source_url[:1000],
        "full_text": entry.full_text, "created_by_id": user_id, "status_changed_at": now,
        "status_changed_by_id": user_id,
    } for entry in new))
    for item, entry in zip(items, new, strict=True):
        _copy_fields(item, entry.meta)
    bulk.insert_objects(items)
    pairs = list(zip(items, (entry.meta for entry in new), strict=True))
    _insert_relations(pairs)
    bulk.insert(StatusChange, (
        {"item_id": item.pk, "to_status": status, "changed_by_id": user_id}
        for item in items))
    # One query for the batch's organisations, not one per item's first version.
    slugs = dict(Organisation.objects.filter(pk__in=checked - {None}).values_list("pk", "slug"))
    bulk.insert(ItemVersion, (
        {"item_id": item.pk, "number": 1, "data": (data := snapshot_of(meta, item, slugs)),
         "changed_fields": sorted(data), "comment": "created", "changed_by_id": user_id}
        for item, meta in pairs))
    return items


def update_item(item: Item, data: dict[str, Any], *, actor=SYSTEM, comment: str = "") -> bool:
    """Apply the fields present in ``data``; return whether anything changed (a new version).
    Nothing is written when nothing would change: an unchanged item keeps its update time, so
    it is not re-indexed nor offered again to the hub's own harvesters."""
    return update_items([(item, data)], actor=actor, comment=comment)[0]


# The item's own columns that metadata may set (see ``_copy_fields``), and the update time.
_METADATA_COLUMNS = (
    "title", "abstract", "item_type", "publisher", "pub_year", "pub_month", "pub_day",
    "languages", "keywords", "licence", "identifiers", "doi", "url", "organisation",
    "original_language", "updated_at",
)


@transaction.atomic
def update_items(changes: Sequence[tuple[Item, dict[str, Any] | Metadata]], *, actor=SYSTEM,
                 comment: str | Sequence[str] = "") -> list[bool]:
    """:func:`update_item` for many items (each once): whether each changed, in order.
    ``comment``: the versions' comment, or one per item.

    Why in bulk: a harvested page whose records changed at the source updated its items one
    by one, some twenty statements each (lock, save, each relation cleared and written again,
    snapshot, last version, new version), far more than the first harvest that made them.
    Here each of those is one statement for the lot. Every item is checked before anything
    is written; an item whose metadata would come out the same (a full re-harvest of an
    unchanged source) is left as it is. Rows written in bulk send no model signals, so the
    changed items are queued for the search index here, as their ``save()`` would have; an
    item whose text changed goes through the ingest hooks again (``hooks.TEXT_FIELDS``), so
    its machine SDG links follow its new text.
    """
    if not changes:
        return []
    ids = [item.pk for item, _data in changes]
    if len(set(ids)) != len(ids):
        raise ValueError("update_items takes each item once")
    comments = [comment] * len(ids) if isinstance(comment, str) else list(comment)
    if len(comments) != len(ids):
        raise ValueError("update_items needs one comment per item")
    current = Item.objects.select_for_update().in_bulk(ids)
    if missing := [pk for pk in ids if pk not in current]:
        raise Item.DoesNotExist(f"no item {missing[0]}")
    items = [current[pk] for pk in ids]
    if not _is_system(actor):  # before validating: no error details for what one may not edit
        for item in items:
            require(permissions.can_edit(actor, item), "You may not edit this item.")
    metas = [data if isinstance(data, Metadata) else from_dict(data) for _item, data in changes]
    if not _is_system(actor):
        for item, meta in zip(items, metas, strict=True):
            if meta.organisation_id and meta.organisation_id != item.organisation_id:
                require(permissions.can_submit(actor, meta.organisation_id),
                        "You can only move items to an organisation you belong to.")
    before = snapshots(items)
    for item, meta in zip(items, metas, strict=True):
        _copy_fields(item, meta, only_present=True)
    organisations = {item.organisation_id for item in items} - {None}
    slugs = dict(Organisation.objects.filter(pk__in=organisations).values_list("pk", "slug")
                 ) if organisations else {}
    after = {item.pk: snapshot_after(before[item.pk], meta, item, slugs)
             for item, meta in zip(items, metas, strict=True)}
    write = [(item, meta, text) for item, meta, text in zip(items, metas, comments, strict=True)
             if after[item.pk] != before[item.pk]]
    if not write:
        return [False] * len(items)
    pairs = [(item, meta) for item, meta, _text in write]
    bulk.update_objects([item for item, _meta in pairs], _METADATA_COLUMNS)
    _clear_relations(pairs)
    _insert_relations(pairs, only_present=True)
    versioned = _record_versions([(item, after[item.pk], text or "edited")
                                  for item, _meta, text in write], actor)
    # A new text is mapped again (and queued for the index by the hooks); the rest is queued.
    retext = {item.pk for item, _meta in pairs if any(
        after[item.pk][name] != before[item.pk][name] for name in hooks.TEXT_FIELDS)}
    hooks.run_hooks_many([item for item, _meta in pairs if item.pk in retext])
    hooks.index_items([item for item, _meta in pairs if item.pk not in retext])
    return [item.pk in versioned for item in items]


def _record_versions(entries: Sequence[tuple[Item, dict[str, Any], str]], actor) -> set[int]:
    """:func:`record_version` for saved items, each given with its snapshot and comment: a
    version for each whose snapshot differs from its last version's; the ids that got one."""
    latest = ItemVersion.objects.filter(item_id__in=[item.pk for item, _d, _c in entries]).filter(
        number=Subquery(ItemVersion.objects.filter(item_id=OuterRef("item_id")).order_by(
            "-number").values("number")[:1]))
    last = {version.item_id: version for version in latest.only("item_id", "number", "data")}
    user = _actor_or_none(actor)
    rows = []
    for item, now, comment in entries:
        previous = last.get(item.pk)
        if previous is not None and previous.data == now:
            continue
        rows.append({
            "item_id": item.pk, "number": previous.number + 1 if previous else 1, "data": now,
            "changed_fields": _changed_fields(previous.data if previous else None, now),
            "comment": comment[:300], "changed_by_id": user.pk if user is not None else None})
    bulk.insert(ItemVersion, rows)
    return {row["item_id"] for row in rows}


@transaction.atomic
def change_status(item: Item, to_status: str, *, actor=SYSTEM, note: str = "") -> Item:
    """Move an item along the workflow, if the actor's role allows that transition."""
    item = Item.objects.select_for_update().get(pk=item.pk)
    if to_status not in Status.values:
        raise ValueError(f"unknown status {to_status!r}")
    if item.status == to_status:
        return item
    if not _is_system(actor):
        require(
            to_status in permissions.allowed_transitions(actor, item),
            f"You may not move this item from {item.status} to {to_status}.",
        )
    StatusChange.objects.create(
        item=item, from_status=item.status, to_status=to_status,
        changed_by=_actor_or_none(actor), note=note[:500],
    )
    item.status = to_status
    item.status_changed_at = timezone.now()
    item.status_changed_by = _actor_or_none(actor)
    item.save(update_fields=["status", "status_changed_at", "status_changed_by", "updated_at"])
    return item


# Items per statement of :func:`change_status_many`: a source's ids as one IN list are as
# many bound parameters, past what some SQLite builds take (999 before 3.32, 32,766 since by
# default) and PostgreSQL's 65,535 where psycopg binds on the server.
STATUS_CHUNK = 5000


@transaction.atomic
def change_status_many(item_ids: Sequence[int], to_status: str, *, actor=SYSTEM,
                       note: str = "", on_behalf_of=None) -> int:
    """:func:`change_status` for many items at once (a harvest source's thousands): a trail
    row each, an UPDATE per few thousand, the search index told; how many items moved.

    Why not a loop over :func:`change_status` (three statements per item): clearing a
    20,000-item source took 22 s that way against 3.0 s here (docs/benchmarks.md, section 6),
    in a back-office request. All or nothing: if the actor may not make
    one of the moves, none is made. ``on_behalf_of``: the user the trail records when the
    system makes the moves for a decision checked elsewhere (an editor clearing a harvest
    source withdraws its drafts too, which no workflow role may do one by one)."""
    if to_status not in Status.values:
        raise ValueError(f"unknown status {to_status!r}")
    ids = list(dict.fromkeys(item_ids))
    items: list[Item] = []
    for at in range(0, len(ids), STATUS_CHUNK):
        items += (Item.objects.select_for_update()
                  .filter(pk__in=ids[at:at + STATUS_CHUNK]).exclude(status=to_status)
                  .only("id", "status", "organisation_id", "created_by_id"))
    if not _is_system(actor):
        refused = [item for item in items
                   if to_status not in permissions.allowed_transitions(actor, item)]
        require(not refused, ngettext(
            "You may not move %(count)d of these items to %(status)s.",
            "You may not move %(count)d of these items to %(status)s.", len(refused),
        ) % {"count": len(refused), "status": Status(to_status).label})
    now, by = timezone.now(), _actor_or_none(actor) or _actor_or_none(on_behalf_of)
    for at in range(0, len(items), STATUS_CHUNK):
        chunk = items[at:at + STATUS_CHUNK]
        StatusChange.objects.bulk_create(
            [StatusChange(item_id=item.pk, from_status=item.status, to_status=to_status,
                          changed_by=by, note=note[:500]) for item in chunk])
        # .update() sends no post_save: the index is told below, in the same transaction.
        Item.objects.filter(pk__in=[item.pk for item in chunk]).update(
            status=to_status, status_changed_at=now, status_changed_by=by, updated_at=now)
        hooks.index_items(chunk)
    return len(items)


@transaction.atomic
def restore_version(item: Item, number: int, *, actor=SYSTEM) -> ItemVersion:
    """Bring back the metadata of version ``number``; the restore is itself a new version."""
    if not _is_system(actor):
        require(permissions.can_edit(actor, item), "You may not edit this item.")
    version = item.versions.get(number=number)
    meta = from_dict(version.data)
    item = Item.objects.select_for_update().get(pk=item.pk)
    apply_metadata(item, meta)
    new = record_edit(item, actor, f"restored version {number}")
    return new or item.versions.order_by("-number").first()
