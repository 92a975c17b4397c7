"""Search views: thin wrappers over ``search.services.search`` (the CLI calls it too)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ssehub.search import services
from ssehub.search.backends.base import FACETS

FACET_TITLES = {
    "sdg": _("SDG"), "type": _("Type"), "language": _("Language"), "region": _("Region"),
    "country": _("Country"), "year": _("Year"), "organisation": _("Organisation"),
    "source": _("Source"),
}


def _toggle_url(request: HttpRequest, name: str, value: str) -> str:
    """The page's URL with one facet value added or removed (and back to page 1)."""
    data = request.GET.copy()
    values = data.getlist(name)
    data.setlist(name, [v for v in values if v != value] if value in values
                 else [*values, value])
    data.pop("page", None)
    return "?" + data.urlencode()


def _with(request: HttpRequest, **changes: Any) -> str:
    """The page's URL with some parameters replaced (facet selections are kept)."""
    data = request.GET.copy()
    for key, value in changes.items():
        data[key] = str(value)
    return "?" + data.urlencode()


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    params = services.SearchParams.from_querydict(request.GET)
    response = services.search(params, request.user)
    facets: list[dict[str, Any]] = []
    for name in FACETS:
        values = response.facets.get(name) or []
        if not values:
            continue
        facets.append({
            "name": name,
            "title": FACET_TITLES[name],
            "values": [{"value": f.value, "label": f.label, "count": f.count,
                        "selected": f.selected, "url": _toggle_url(request, name, str(f.value))}
                       for f in values],
        })
    active = [
        {"name": FACET_TITLES.get(name, name), "value": value,
         "url": _toggle_url(request, name, value)}
        for name, values in params.filters.items() for value in values
    ]
    context = {
        "response": response,
        "params": params,
        "facets": facets,
        "active": active,
        "start": (response.page - 1) * response.page_size + 1,
        "previous_url": _with(request, page=response.page - 1) if response.page > 1 else "",
        "next_url": _with(request, page=response.page + 1)
        if response.page < response.pages else "",
        "sort_urls": {sort: _with(request, sort=sort, page=1) for sort in services.SORTS},
    }
    status = 503 if response.unavailable else 200
    return render(request, "search/search.html", context, status=status)


@require_GET
def api_search(request: HttpRequest) -> JsonResponse:
    """``/api/search?q=&page=&page_size=&<facet>=``: the search as JSON."""
    params = services.SearchParams.from_querydict(request.GET)
    response = services.search(params, request.user)
    return JsonResponse(response.as_dict(), status=503 if response.unavailable else 200,
                        json_dumps_params={"ensure_ascii": False})
