"""Exports of a search: ``/search/export?format=bibtex&q=...`` (any /search/ parameter)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.http import require_GET

from ssehub.interop import exports
from ssehub.interop.records import bounded
from ssehub.search.services import SearchParams


@require_GET
def search_export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest(
            "format must be one of: " + ", ".join(exports.FORMATS), content_type="text/plain")
    params = bounded(SearchParams.from_querydict(request.GET))
    # The whole export is built before answering: at most MAX_WINDOW items, and an error
    # becomes an error response instead of a silently truncated download.
    body = "".join(exports.export(fmt, params, request.user))
    content_type, extension = exports.FORMATS[fmt]
    response = HttpResponse(body, content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="ssehub-search-{stamp}.{extension}"'
    return response
