"""SDG links of items: machine mapping on ingestion, editors' decisions, training exports.

Machine links are replaced at every mapping run; editors' links (confirmed, added) and
rejections are never touched by the machine, so an editor's decision survives re-runs, and
they are exported as new training data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ssehub.core import bulk
from ssehub.core.roles import is_editor, require
from ssehub.library.models import Item, ItemGoal
from ssehub.library.services import record_version
from ssehub.sdg.mapper import MapResult, classify, classify_many

MACHINE, EDITOR = ItemGoal.Source.MACHINE, ItemGoal.Source.EDITOR
MAX_TEXT = 2_000_000  # characters of an item's text given to the mapper


def compose_text(titles: Iterable[str], abstracts: Iterable[str], keywords: Sequence[str],
                 full_text: str) -> str:
    """Titles, abstracts, keywords and full text, one paragraph each: what the mapper reads
    of an item. Its first passage (``mapper.first_passage``) is also the item's search vector:
    the search indexer composes the same text from its index document."""
    parts = [*titles, *abstracts]
    if keywords:
        parts.append(", ".join(keywords))
    if full_text:
        parts.append(full_text)
    return "\n\n".join(p for p in parts if p)


def item_text(item: Item) -> str:
    """Title, abstract, keywords and full text: what the mapper reads of an item."""
    return compose_text((item.title or {}).values(), (item.abstract or {}).values(),
                        [str(k) for k in (item.keywords or [])],
                        (item.full_text or "")[:MAX_TEXT])


@transaction.atomic
def map_item(item: Item, result: MapResult | None = None) -> MapResult:
    """(Re)compute the machine's SDG links of an item; editors' links stay as they are."""
    result = result or classify(item_text(item), lang=item.original_language or None)
    map_items([item], [result])
    return result


@transaction.atomic
def map_items(items: Sequence[Item], results: Sequence[MapResult]) -> None:
    """Replace the machine's SDG links of items with those of their mapping results, in a
    few statements for the lot, and mark the items changed (their datestamp for OAI-PMH, an
    outbox row for the index: bulk writes send no signals, so that is done here)."""
    from ssehub.search.outbox import enqueue_many  # the search app reads this module

    ids = [item.pk for item in items]
    ItemGoal.objects.filter(item_id__in=ids, source=MACHINE).delete()
    bulk.insert(ItemGoal, (row for item, result in zip(items, results, strict=True)
                           for row in _machine_links(item.pk, result)))
    now = timezone.now()
    Item.objects.filter(pk__in=ids).update(updated_at=now)
    for item in items:
        item.updated_at = now
    enqueue_many(ids)


def _machine_links(item_id: int, result: MapResult) -> Iterator[dict[str, Any]]:
    """The ItemGoal rows (as column values) of a mapping result: a goal, then its targets."""
    for goal in result.goals:
        evidence = [
            {"text": e.text[:500], "start": e.start, "end": e.end,
             "terms": [{"text": t.text, "start": t.start, "end": t.end} for t in e.terms]}
            for e in goal.evidence
        ]
        yield {"item_id": item_id, "goal_id": goal.goal, "source": MACHINE.value,
               "confidence": round(goal.score, 4), "status": goal.status,
               "evidence": evidence}
        for target in goal.targets:
            yield {"item_id": item_id, "goal_id": goal.goal, "target_id": target.target,
                   "source": MACHINE.value, "confidence": round(target.score, 4),
                   "status": goal.status}


def _touch(item: Item) -> None:
    """SDG links are part of what harvesters and the index read: mark the item changed
    (its datestamp for OAI-PMH, an outbox row for the index, through the save signal)."""
    item.save(update_fields=["updated_at"])


def ingest_hook(item: Item) -> None:
    """Ingestion hook (settings.SSEHUB_INGEST_HOOKS): map every new item."""
    if settings.SSEHUB_SDG_AUTOMAP:
        map_item(item)


def ingest_hook_many(items: Sequence[Item]) -> None:
    """:func:`ingest_hook` for a batch (``pipeline.run_hooks_many``): the items' texts are
    classified together (:func:`ssehub.sdg.mapper.classify_many`) and linked together."""
    if not settings.SSEHUB_SDG_AUTOMAP or not items:
        return
    map_items(items, classify_many([item_text(item) for item in items],
                                   [item.original_language or None for item in items]))


ingest_hook.many = ingest_hook_many  # type: ignore[attr-defined]


def effective_links_queryset():
    """ItemGoal rows readers see (for counts and filters): :func:`effective_links` in SQL."""
    from django.db.models import Exists, OuterRef, Q

    judged = ItemGoal.objects.filter(
        item_id=OuterRef("item_id"), goal_id=OuterRef("goal_id"), source=EDITOR
    )
    return ItemGoal.objects.filter(
        Q(source=EDITOR, rejected=False) | Q(source=MACHINE) & ~Exists(judged)
    )


def effective_goals(links) -> list[int]:
    """The goals readers see among an item's (prefetched) links."""
    judged = {link.goal_id for link in links if link.source == EDITOR}
    return sorted({
        link.goal_id for link in links
        if (link.source == EDITOR and not link.rejected)
        or (link.source == MACHINE and link.goal_id not in judged)
    })


def effective_links(item: Item) -> list[ItemGoal]:
    """What readers see: editors' links, plus the machine's for goals editors have not judged."""
    links = list(item.sdg_links.select_related("goal", "target"))
    judged = {link.goal_id for link in links if link.source == EDITOR}
    return [
        link for link in links
        if (link.source == EDITOR and not link.rejected)
        or (link.source == MACHINE and link.goal_id not in judged)
    ]


DECISIONS = ("confirm", "reject", "add", "remove")


@transaction.atomic
def decide(item: Item, goal: int, decision: str, *, actor, target: str | None = None) -> None:
    """An editor confirms, rejects, adds or removes a goal (or target) of an item."""
    require(is_editor(actor), "Only editors can confirm or reject SDG labels.")
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")
    if target and not target.startswith(f"{goal}."):
        raise ValueError(f"target {target} is not a target of SDG {goal}")
    editor_links = item.sdg_links.filter(source=EDITOR, goal_id=goal, target_id=target)
    editor_links.delete()
    if decision in ("confirm", "add"):
        ItemGoal.objects.create(item=item, goal_id=goal, target_id=target, source=EDITOR)
    elif decision == "reject":
        ItemGoal.objects.create(item=item, goal_id=goal, target_id=target, source=EDITOR,
                                rejected=True)
    record_version(item, actor, f"SDG {target or goal}: {decision}")
    _touch(item)


def labelled_items():
    return (Item.objects.filter(sdg_links__source=EDITOR).distinct()
            .prefetch_related("sdg_links").order_by("id"))


def export_labels(out: IO[str]) -> int:
    """Editors' decisions as JSON lines {id, text, lang, labels, rejected} for training."""
    count = 0
    for item in labelled_items().iterator(chunk_size=200):
        editor = [link for link in item.sdg_links.all() if link.source == EDITOR]
        labels = sorted({link.goal_id for link in editor if not link.rejected})
        rejected = sorted({link.goal_id for link in editor if link.rejected} - set(labels))
        record: dict[str, Any] = {
            "id": item.pk,
            "text": item_text(item)[:20000],
            "lang": item.original_language,
            "labels": ";".join(str(g) for g in labels),
            "rejected": ";".join(str(g) for g in rejected),
            "targets": sorted({link.target_id for link in editor
                               if link.target_id and not link.rejected}),
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
