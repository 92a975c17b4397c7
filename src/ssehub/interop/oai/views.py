"""The OAI-PMH endpoint: collects arguments (GET or form POST, both allowed by the protocol)
and absolute URLs, and hands them to :mod:`provider`."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ssehub.interop.oai.provider import Endpoint, respond
from ssehub.library.models import Item

SCHEMA_FILE = Path(__file__).with_name("schemas") / "ssehub-item-1.0.xsd"


@csrf_exempt  # harvesters POST without a session; the endpoint only reads
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    pairs = [(name, value) for name, values in data.lists() for value in values]
    site = request.build_absolute_uri("/").rstrip("/")

    def item_url(item: Item) -> str:
        return site + item.get_absolute_url()

    body = respond(pairs, Endpoint(
        base_url=request.build_absolute_uri(reverse("interop:oai")),
        item_url=item_url,
        native_schema=request.build_absolute_uri(reverse("interop:oai_schema")),
    ))
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


def native_schema(request: HttpRequest) -> HttpResponse:
    """The XML Schema of the ``ssehub`` metadata format (ListMetadataFormats points here)."""
    return HttpResponse(SCHEMA_FILE.read_bytes(), content_type="application/xml")
