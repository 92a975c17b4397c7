"""Atom and RSS feeds of newly published items: all of them, or per SDG goal, item type or
contributing organisation (Django's syndication framework).

Items are ordered by when they were published (``status_changed_at``), so an old document
published today is news to a feed reader. Only published items appear, whoever asks: feeds
are fetched without a login.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from ssehub.core.i18n import pick
from ssehub.core.models import Organisation
from ssehub.interop.xmltext import clean
from ssehub.library.models import Item, ItemType, Status
from ssehub.sdg.models import Goal
from ssehub.sdg.services import effective_links_queryset

FEED_SIZE = 50


@dataclass
class Scope:
    """What a feed covers: ``kind`` is "", "sdg", "type" or "organisation"."""

    kind: str
    value: str
    title: str
    condition: Q | Exists
    link: str


def _scope(kind: str = "", value: str = "") -> Scope:
    if not kind:
        return Scope("", "", _("SSE Hub: latest items"), Q(), reverse("portal:item_list"))
    if kind == "sdg":
        goal = Goal.objects.filter(number=int(value)).first() if value.isdigit() else None
        if goal is None:
            raise Http404("no such goal")
        links = effective_links_queryset().filter(item_id=OuterRef("pk"), goal_id=goal.number)
        return Scope(kind, value, _("SSE Hub: SDG %(n)d – %(title)s")
                     % {"n": goal.number, "title": pick(goal.short)}, Exists(links),
                     goal.get_absolute_url())
    if kind == "type":
        item_type = ItemType.objects.filter(slug=value).first()
        if item_type is None:
            raise Http404("no such type")
        return Scope(kind, value, _("SSE Hub: %(type)s") % {"type": item_type},
                     Q(item_type_id=value), reverse("portal:item_list"))
    if kind == "organisation":
        org = Organisation.objects.filter(slug=value).first()
        if org is None:
            raise Http404("no such organisation")
        return Scope(kind, value, _("SSE Hub: %(org)s") % {"org": org},
                     Q(organisation=org), org.get_absolute_url())
    raise Http404("no such feed")


class ItemsAtomFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, kind: str = "", value: str | int = "") -> Scope:
        return _scope(kind, str(value))

    def title(self, scope: Scope) -> str:
        return clean(scope.title)

    def link(self, scope: Scope) -> str:
        return scope.link

    def subtitle(self, scope: Scope) -> str:
        return _("Newly published items of the social and solidarity economy knowledge hub.")

    description = subtitle  # RSS

    def items(self, scope: Scope) -> list[Item]:
        rows = (Item.objects.filter(status=Status.PUBLISHED).filter(scope.condition)
                .select_related("organisation", "item_type").prefetch_related("creators")
                .defer("full_text").order_by("-status_changed_at", "-id")[:FEED_SIZE])
        items = list(rows)
        goals: dict[int, set[int]] = {}
        for item_id, goal in (effective_links_queryset()
                              .filter(item_id__in=[i.pk for i in items])
                              .values_list("item_id", "goal_id")):
            goals.setdefault(item_id, set()).add(goal)
        for item in items:
            item.feed_goals = sorted(goals.get(item.pk, ()))
        return items

    def item_title(self, item: Item) -> str:
        return clean(item.display_title)

    def item_description(self, item: Item) -> str:
        return clean(item.display_abstract)

    def item_link(self, item: Item) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Item) -> str:
        return f"urn:uuid:{item.uid}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Item) -> datetime:
        return item.status_changed_at or item.created_at

    def item_updateddate(self, item: Item) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Item) -> str:
        names = [c.name for c in item.creators.all()]
        if not names and item.organisation_id:
            names = [str(item.organisation)]
        return clean("; ".join(names))

    def item_categories(self, item: Item) -> list[str]:
        return [f"SDG {goal}" for goal in item.feed_goals] + [clean(str(item.item_type))]


class ItemsRssFeed(ItemsAtomFeed):
    feed_type = Rss201rev2Feed
