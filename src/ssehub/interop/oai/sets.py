"""Sets: by SDG goal (``sdg:8``), item type (``type:report``) and contributing organisation
(``org:ilo``), each under its parent (``sdg``, ``type``, ``org``).

Set specs arrive from anyone: they are matched against a strict pattern and then used only as
ORM parameters, never spliced into SQL or XML as raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from ssehub.core.i18n import pick
from ssehub.core.models import Organisation
from ssehub.library.models import ItemType
from ssehub.sdg.models import Goal
from ssehub.sdg.services import effective_links_queryset

SET_SPEC = re.compile(r"^(sdg|type|org)(?::([A-Za-z0-9][A-Za-z0-9._-]{0,79}))?$")
NOTHING = Q(pk__in=[])

PARENTS = {
    "sdg": "Sustainable Development Goals",
    "type": "Item types",
    "org": "Contributing organisations",
}


class MalformedSetSpec(ValueError):
    pass


@dataclass(frozen=True)
class OAISet:
    spec: str
    name: str
    description: str = ""


def _goal_exists(goal: int | None = None) -> Exists:
    links = effective_links_queryset().filter(item_id=OuterRef("pk"))
    if goal is not None:
        links = links.filter(goal_id=goal)
    return Exists(links)


def set_filter(spec: str) -> Q | Exists:
    """The condition for items in set ``spec``; a well-formed unknown set matches nothing."""
    match = SET_SPEC.match(spec)
    if not match:
        raise MalformedSetSpec(spec)
    kind, value = match.groups()
    if kind == "sdg":
        if value is None:
            return _goal_exists()
        if not value.isdigit() or len(value) > 2:
            return NOTHING
        return _goal_exists(int(value))
    if kind == "type":
        return Q() if value is None else Q(item_type_id=value)
    return Q(organisation__isnull=False) if value is None else Q(organisation__slug=value)


def all_sets() -> list[OAISet]:
    """Every set of the repository, parents first (for ListSets)."""
    sets = [OAISet("sdg", PARENTS["sdg"])]
    sets += [
        OAISet(f"sdg:{goal.number}", f"SDG {goal.number}: {pick(goal.short, 'en')}",
               pick(goal.title, "en"))
        for goal in Goal.objects.order_by("number")
    ]
    sets.append(OAISet("type", PARENTS["type"]))
    sets += [OAISet(f"type:{t.slug}", pick(t.label, "en") or t.slug)
             for t in ItemType.objects.order_by("position", "slug")]
    sets.append(OAISet("org", PARENTS["org"]))
    sets += [OAISet(f"org:{o.slug}", str(o)) for o in Organisation.objects.order_by("slug")
             if SET_SPEC.match(f"org:{o.slug}")]
    return sets


def specs_for(item, goals: list[int]) -> list[str]:
    """The sets an item belongs to (for its header); goals are its effective SDG goals."""
    specs = [f"sdg:{goal}" for goal in sorted(set(goals))]
    if goals:
        specs.insert(0, "sdg")
    specs += ["type", f"type:{item.item_type_id}"]
    if item.organisation_id is not None:
        specs += ["org", f"org:{item.organisation.slug}"]
    return specs
