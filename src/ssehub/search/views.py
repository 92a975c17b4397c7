"""Search views: thin wrappers over ``search.services.search`` (the CLI calls it too)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ssehub.search import documents, evidence, services
from ssehub.search import saved as saved_searches
from ssehub.search.backends.base import FACETS
from ssehub.search.models import SavedSearch

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
        "save_querystring": saved_searches.normalise(request.GET.urlencode()),
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


# --- evidence map ----------------------------------------------------------------------------

def _mix(colour: str, share: float) -> tuple[str, str]:
    """The goal's colour blended into white by ``share`` (0..1), and a readable text colour."""
    try:
        rgb = [int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
    except (ValueError, IndexError):
        rgb = [80, 80, 80]
    alpha = 0.12 + 0.88 * share ** 0.5 if share > 0 else 0.0
    mixed = [round(255 * (1 - alpha) + c * alpha) for c in rgb]

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * channel(mixed[0]) + 0.7152 * channel(mixed[1]) + 0.0722 * channel(mixed[2])
    text = "#ffffff" if 1.05 / (lum + 0.05) > (lum + 0.05) / 0.0559 else "#111111"
    return "#{:02x}{:02x}{:02x}".format(*mixed), text


def _region_filter(column: str) -> str:
    """The World column counts place-less items: the index calls them "global"."""
    return documents.GLOBAL_REGION if column == evidence.WORLD else column


@require_GET
def evidence_map(request: HttpRequest) -> HttpResponse:
    """SDG × region heat map of the items the reader may see; every cell opens the search."""
    data = evidence.evidence_map(request.user)
    search_url = reverse("search:page")
    columns = [(code, gettext("World / global") if code == evidence.WORLD else label)
               for code, label in data.regions]
    names = dict(columns)
    rows = []
    for row in data.rows:
        cells = []
        for cell in row.cells:
            background, text = _mix(row.goal.colour, cell.share)
            cells.append({
                "count": cell.count, "background": background, "text": text,
                "url": f"{search_url}?sdg={row.goal.number}&region={_region_filter(cell.region)}",
                "label": ngettext("SDG %(goal)d, %(region)s: %(n)d item",
                                  "SDG %(goal)d, %(region)s: %(n)d items", cell.count) % {
                    "goal": row.goal.number, "region": names[cell.region], "n": cell.count},
            })
        rows.append({"goal": row.goal, "cells": cells})
    return render(request, "search/evidence_map.html", {
        "columns": columns, "rows": rows, "totals": data.totals, "maximum": data.maximum,
        "search_url": search_url,
    })


# --- saved searches --------------------------------------------------------------------------

@login_required
def saved_list(request: HttpRequest) -> HttpResponse:
    searches = list(request.user.saved_searches.all())
    for saved in searches:
        saved.feed_url = request.build_absolute_uri(
            reverse("search:saved_feed", args=[saved.token]))
    return render(request, "search/saved_list.html", {"searches": searches})


@login_required
@require_POST
def saved_create(request: HttpRequest) -> HttpResponse:
    querystring = request.POST.get("querystring", "")[:8000]
    try:
        saved = saved_searches.save(request.user, request.POST.get("name", ""), querystring)
    except ValueError as exc:
        flash.error(request, str(exc))
        back = reverse("search:page") + "?" + saved_searches.normalise(querystring)
        return redirect(back)
    flash.success(request, gettext("Search saved as “%(name)s”.") % {"name": saved.name})
    return redirect("search:saved")


@login_required
@require_POST
def saved_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    saved.delete()
    flash.success(request, gettext("Saved search “%(name)s” deleted.") % {"name": saved.name})
    return redirect("search:saved")


@login_required
@require_POST
def saved_alert(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    saved.alert = request.POST.get("alert") == "1"
    saved.save(update_fields=["alert"])
    if saved.alert and not request.user.email:
        flash.warning(request, gettext("Your account has no e-mail address: digests cannot be "
                                       "sent until an administrator adds one."))
    else:
        flash.success(request, gettext("E-mail digest on.") if saved.alert
                      else gettext("E-mail digest off."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("search:saved")
    return redirect(target)
