"""``/sitemap.xml`` and ``/robots.txt``: how search engines and scholarly crawlers find every
published item page (with its JSON-LD and ``citation_*`` tags, ``portal/item.html``).

Why: Google Scholar's inclusion guidelines ask that a crawler can reach every article, by
browsing or from a sitemap; the search page only offers what matches a query, and feeds only
the latest items. Django's sitemaps framework renders the XML and the index.

Item pages are sliced by primary key, not counted off: page *n* lists the published items
whose id lies in ``((n-1)·L, n·L]`` (``L = ItemSitemap.limit``). Django's own paginator
slices with ``OFFSET``, whose query grows with depth (85 ms for the first page of a
million-item library, 135 ms for the hundredth, docs/benchmarks.md section 7; the OAI-PMH
provider's cursor tokens avoid the same thing); a range query on the key costs the same on
every page (the whole request, rendering 10,000 URLs, 600 ms on the first and the hundredth),
and an item keeps its page as others are added. A page whose range holds no published item
is empty, which the protocol allows.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ssehub.core.models import Organisation
from ssehub.library.models import Item, Status


class KeyRangePaginator(Paginator):
    """Pages by primary-key range (see the module's docstring)."""

    def __init__(self, object_list: QuerySet, per_page: int):
        super().__init__(object_list, per_page, allow_empty_first_page=True)

    @property
    def count(self) -> int:  # what num_pages is derived from: the highest key, not a COUNT
        return self.object_list.aggregate(top=Max("pk"))["top"] or 0

    @property
    def num_pages(self) -> int:
        return max(1, ceil(self.count / self.per_page))

    def page(self, number) -> Page:
        number = self.validate_number(number)
        low = (number - 1) * self.per_page
        rows = list(self.object_list.filter(pk__gt=low, pk__lte=low + self.per_page))
        return self._get_page(rows, number, self)


class ItemSitemap(Sitemap):
    """Every published item's page, with when it last changed."""

    limit = 10_000
    changefreq = "monthly"

    def items(self) -> QuerySet:
        return (Item.objects.filter(status=Status.PUBLISHED).only("pk", "updated_at")
                .order_by("pk"))

    @property
    def paginator(self) -> Paginator:
        return KeyRangePaginator(self.items(), self.limit)

    def location(self, item: Item) -> str:
        return f"{self.prefix}{item.pk}/"

    @property
    def prefix(self) -> str:
        return reverse("portal:item", args=[0])[:-2]  # "/items/"

    def lastmod(self, item: Item) -> datetime:
        return item.updated_at

    def get_latest_lastmod(self) -> datetime | None:
        """One MAX query (the framework's default reads every item's lastmod)."""
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class OrganisationSitemap(Sitemap):
    """The member and observer organisations' pages."""

    changefreq = "monthly"

    def items(self) -> QuerySet:
        return Organisation.objects.order_by("slug")

    def location(self, organisation: Organisation) -> str:
        return reverse("portal:organisation", args=[organisation.slug])


class PageSitemap(Sitemap):
    """The portal's own pages."""

    changefreq = "daily"
    NAMES = ("portal:home", "portal:item_list", "portal:organisations", "search:page",
             "sdg:lens", "calls:list", "harvest:status")

    def items(self) -> list[str]:
        return list(self.NAMES)

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {"pages": PageSitemap, "organisations": OrganisationSitemap, "items": ItemSitemap}

# What crawlers are kept out of: the back office, sign-in, and bulk exports of searches
# (the sitemap and the item pages give them everything, one page each).
DISALLOWED = ("/admin/", "/accounts/", "/search/export", "/search/saved/")


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "",
             f"Sitemap: {request.build_absolute_uri(reverse('interop:sitemap'))}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
