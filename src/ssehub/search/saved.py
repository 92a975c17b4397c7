"""Saved searches: what a reader keeps, its Atom feed and the e-mail digest of new results.

A saved search is the search page's query string (query, facet filters, years, sort, mode), so
opening it again, its feed and its digest all run the same search service as the page, as its
owner: the feed shows what the owner may see (the token stands in for the owner's login, and
feed readers cannot log in), never more.

**Digests never send an item twice.** Each run looks at items that became visible (created or
changed status) since the search was last checked, keeps those the saved search matches, drops
those already recorded in :class:`SentAlert` for that search, and sends one message per user.
The records and the new "checked" time are written in the same transaction as the sending: if
sending fails the transaction rolls back and the next run tries again; if it succeeds the
records stop any later run from sending the same items. The window starts an hour before the
last check, so an item committed (or indexed) just after a run started is not missed; the
records make the overlap harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ssehub.library.models import Item
from ssehub.library.permissions import visible_items
from ssehub.search import services
from ssehub.search.backends.base import BackendQuery
from ssehub.search.models import SavedSearch, SentAlert
from ssehub.search.query import ParsedQuery, parse
from ssehub.search.vectors import Encoder

logger = logging.getLogger(__name__)

KEPT_PARAMETERS = ("q", "year_from", "year_to", "sort", "mode", *services.FACETS)
MAX_SAVED = 100
FEED_SIZE = 30
OVERLAP = timedelta(hours=1)
MAX_ITEMS_PER_SEARCH = 50


def normalise(querystring: str) -> str:
    """Keep only the search's own parameters (no page), in a stable order."""
    data = QueryDict(querystring or "")
    out = QueryDict(mutable=True)
    for name in KEPT_PARAMETERS:
        values = [v[:1000] for v in data.getlist(name) if v.strip()][:20]
        if values:
            out.setlist(name, values)
    return out.urlencode()[:4000]


def params_of(saved: SavedSearch, **changes) -> services.SearchParams:
    params = services.SearchParams.from_querydict(QueryDict(saved.querystring))
    for key, value in changes.items():
        setattr(params, key, value)
    return params


def save(user, name: str, querystring: str) -> SavedSearch:
    if not user.is_authenticated:
        raise PermissionError("log in to save a search")
    if user.saved_searches.count() >= MAX_SAVED:
        raise ValueError(_("You have %(n)d saved searches already; delete one first.")
                         % {"n": MAX_SAVED})
    querystring = normalise(querystring)
    name = " ".join((name or "").split())[:200]
    if not name:
        name = QueryDict(querystring).get("q", "")[:200] or _("All items")
    # Checked from now: the first digest brings what is new after saving, not the backlog.
    return SavedSearch.objects.create(user=user, name=name, querystring=querystring,
                                      checked_at=timezone.now())


def feed_results(saved: SavedSearch) -> list[services.Hit]:
    """The newest results of a saved search, as its owner may see them."""
    params = params_of(saved, page=1, page_size=FEED_SIZE, sort="date")
    response = services.search(params, saved.user, with_facets=False)
    return response.results


# --- digests ---------------------------------------------------------------------------------

def matching(saved: SavedSearch, candidates: list[int]) -> list[int]:
    """Which of these item ids the saved search finds, for its owner.

    The lexical query runs on the backend restricted to the candidates (filters, years and
    exclusions included); in hybrid or semantic mode, candidates whose vectors are close
    enough to the query's (the semantic threshold of the search page) match too."""
    if not candidates:
        return []
    params = params_of(saved)
    parsed = parse(params.q[: settings.SSEHUB_SEARCH_MAX_QUERY_CHARS])
    filters = services._clean_filters(params.filters, [])
    base = dict(filters=filters, year_range=(params.year_from, params.year_to),
                visibility=services.visibility_for(saved.user), limit=len(candidates))
    backend = services.get_backend()
    found: set[int] = set()
    if params.mode != "semantic" or parsed.is_empty:
        result = backend.search(BackendQuery(query=parsed, only_ids=candidates, **base))
        found.update(i for i, _s in result.hits)
    if params.mode != "lexical" and not parsed.is_empty and services.semantic_enabled():
        ids, vectors = services.vector_store().vectors_for(candidates)
        if ids:
            query = Encoder.encode([parsed.text or params.q[:1000]])[0]
            scores = vectors @ query
            close = [i for i, s in zip(ids, scores, strict=True)
                     if s >= settings.SSEHUB_SEARCH_SEMANTIC_MIN]
            if close:
                result = backend.search(BackendQuery(query=ParsedQuery(parsed.negative),
                                                     only_ids=close, **base))
                found.update(i for i, _s in result.hits)
    return [i for i in candidates if i in found]


@dataclass
class Digest:
    user: object
    sections: list[tuple[SavedSearch, list[Item]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(items) for _saved, items in self.sections)


def new_items(saved: SavedSearch, now) -> list[Item]:
    """Items the saved search finds that became visible since it was last checked and that
    were never sent for it."""
    since = saved.created_at
    if saved.checked_at:
        since = max(since, saved.checked_at - OVERLAP)
    changed = (visible_items(saved.user, Item.objects.filter(
        Q(created_at__gt=since) | Q(status_changed_at__gt=since)))
        .filter(Q(created_at__lte=now)).order_by("-created_at", "-id"))
    sent = SentAlert.objects.filter(saved_search=saved).values("item_id")
    candidates = list(changed.exclude(pk__in=sent).values_list("pk", flat=True)[:5000])
    ids = matching(saved, candidates)[:MAX_ITEMS_PER_SEARCH]
    items = {i.pk: i for i in Item.objects.filter(pk__in=ids).defer("full_text")}
    return [items[i] for i in ids if i in items]


def digests(now=None) -> list[Digest]:
    """What each user with alerts would receive now (nothing is recorded)."""
    now = now or timezone.now()
    out: dict[int, Digest] = {}
    searches = (SavedSearch.objects.filter(alert=True, user__is_active=True)
                .exclude(user__email="").select_related("user").order_by("user_id", "id"))
    for saved in searches:
        items = new_items(saved, now)
        digest = out.setdefault(saved.user_id, Digest(saved.user))
        digest.sections.append((saved, items))
    return list(out.values())


def render_digest(digest: Digest, base_url: str) -> tuple[str, str]:
    base_url = base_url.rstrip("/")
    subject = ngettext("SSE Hub: %(n)d new result for your saved searches",
                       "SSE Hub: %(n)d new results for your saved searches",
                       digest.count) % {"n": digest.count}
    lines = [_("New in the SSE Hub library since your last digest:"), ""]
    for saved, items in digest.sections:
        if not items:
            continue
        lines.append(f"{saved.name} ({base_url}{saved.get_absolute_url()})")
        for item in items:
            lines.append(f"  - {item.display_title}")
            lines.append(f"    {base_url}{item.get_absolute_url()}")
        lines.append("")
    lines.append(_("Manage your saved searches: %(url)s") % {
        "url": base_url + reverse("search:saved")})
    return subject, "\n".join(lines)


def send_digests(*, dry_run: bool = False, base_url: str = "", now=None,
                 language: str | None = None) -> list[Digest]:
    """Send every due digest; returns the digests that had something new."""
    now = now or timezone.now()
    base_url = base_url or settings.SSEHUB_BASE_URL
    sent: list[Digest] = []
    with translation.override(language or settings.LANGUAGE_CODE):
        for digest in digests(now):
            if not digest.count:
                if not dry_run:
                    SavedSearch.objects.filter(
                        pk__in=[s.pk for s, _i in digest.sections]).update(checked_at=now)
                continue
            sent.append(digest)
            if dry_run:
                continue
            # Records first, mail last, in one transaction: a failed send rolls the records
            # back (tried again next time); a sent mail leaves records (never sent again).
            with transaction.atomic():
                # Lock the user's searches so that two concurrent runs cannot both send.
                locked = list(SavedSearch.objects.select_for_update()
                              .filter(pk__in=[s.pk for s, _i in digest.sections]))
                already = set(SentAlert.objects.filter(saved_search__in=locked)
                              .values_list("saved_search_id", "item_id"))
                digest.sections = [
                    (saved, [i for i in items if (saved.pk, i.pk) not in already])
                    for saved, items in digest.sections]
                if not digest.count:
                    sent.pop()
                    continue
                SentAlert.objects.bulk_create(
                    [SentAlert(saved_search=saved, item_id=item.pk)
                     for saved, items in digest.sections for item in items])
                SavedSearch.objects.filter(pk__in=[s.pk for s in locked]).update(
                    checked_at=now)
                subject, body = render_digest(digest, base_url)
                send_mail(subject, body, None, [digest.user.email])
    return sent
