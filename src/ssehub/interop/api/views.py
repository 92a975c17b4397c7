"""REST API views: thin wrappers over the library, search and SDG services.

Reads apply ``library.permissions.visible_items`` / ``can_view``; writes call
``library.services`` with the authenticated user as actor, so the permission rules and the
version history are exactly those of the portal and the CLI. A refused write is a 403 (the
service's PermissionDenied), invalid metadata a 400 naming every bad field.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ssehub.core.models import Organisation
from ssehub.interop.api import pagination
from ssehub.interop.api.serializers import (
    GoalSerializer,
    ItemSerializer,
    ItemWriteSerializer,
    OrganisationSerializer,
)
from ssehub.interop.records import bounded, items_by_ids, public_dicts
from ssehub.library import permissions, services
from ssehub.library.metadata import MetadataError
from ssehub.library.models import Item
from ssehub.sdg.models import Goal, Target
from ssehub.search.backends.base import FACETS
from ssehub.search.services import MAX_PAGE_SIZE, SearchParams, search

SEARCH_CURSOR_SALT = "ssehub.interop.api.search-cursor"

SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Search query (as on /search/)."),
    *[OpenApiParameter(name, OpenApiTypes.INT if kind == "int" else OpenApiTypes.STR,
                       many=True, description=f"Search filter: {name} (repeatable).")
      for name, kind in FACETS.items()],
    OpenApiParameter("year_from", OpenApiTypes.INT),
    OpenApiParameter("year_to", OpenApiTypes.INT),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=["relevance", "date"]),
    OpenApiParameter("mode", OpenApiTypes.STR, enum=["hybrid", "lexical", "semantic"]),
]


def _with_urls(request: Request, dicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for data in dicts:
        data["url"] = request.build_absolute_uri(f"/items/{data['id']}/")
    return dicts


def _item_payload(request: Request, item: Item) -> dict[str, Any]:
    return _with_urls(request, public_dicts(items_by_ids([item.pk])))[0]


class ItemListView(generics.ListCreateAPIView):
    """Items the caller may see. Without search parameters: every item, newest first, by
    cursor (for complete copies). With ``q`` or any filter: the search service's answer in its
    order (relevance by default), up to the search's window of results."""

    pagination_class = pagination.ItemCursorPagination

    def get_serializer_class(self):
        return ItemWriteSerializer if self.request.method == "POST" else ItemSerializer

    def get_queryset(self):
        return permissions.visible_items(self.request.user).only("id")

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=ItemSerializer(many=True))
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = bounded(SearchParams.from_querydict(request.query_params))
        if params.q.strip() or params.filters or params.year_from or params.year_to:
            return self._search(request, params)
        page = self.paginate_queryset(self.get_queryset())
        dicts = _with_urls(request, public_dicts(items_by_ids([item.pk for item in page])))
        return self.get_paginated_response(dicts)

    def _search(self, request: Request, params: SearchParams) -> Response:
        page = 1
        token = request.query_params.get("cursor")
        if token:
            try:
                page = int(signing.loads(token, salt=SEARCH_CURSOR_SALT))
            except (signing.BadSignature, ValueError, TypeError):
                raise NotFound("Invalid cursor.") from None
        try:
            size = int(request.query_params.get("page_size", pagination.ItemCursorPagination
                                                .page_size or 25))
        except ValueError:
            size = 25
        size = min(max(size, 1), MAX_PAGE_SIZE)
        answer = search(replace(params, page=page, page_size=size), request.user,
                        with_facets=False)
        if answer.unavailable:
            return Response({"detail": " ".join(answer.messages)},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        dicts = _with_urls(request, public_dicts(items_by_ids([h.id for h in answer.results])))
        url = request.build_absolute_uri()

        def link(target: int) -> str | None:
            if target < 1 or target > answer.pages:
                return None
            if target == 1:
                return remove_query_param(url, "cursor")
            return replace_query_param(url, "cursor",
                                       signing.dumps(target, salt=SEARCH_CURSOR_SALT))

        return Response({"next": link(page + 1), "previous": link(page - 1) if page > 1 else None,
                         "results": dicts, "total": answer.total, "messages": answer.messages})

    @extend_schema(request=ItemWriteSerializer, responses={201: ItemSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ItemWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            item = services.create_item(
                serializer.metadata(), actor=request.user, provenance="api",
                status=serializer.validated_data.get("status", "draft"))
        except MetadataError as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_item_payload(request, item), status=status.HTTP_201_CREATED)


class ItemDetailView(generics.GenericAPIView):
    """One item (404 unless the caller may see it); PATCH changes the fields given and, with
    ``status``, moves it along the workflow, all in one transaction."""

    serializer_class = ItemSerializer

    def get_queryset(self):
        return permissions.visible_items(self.request.user)

    def _item(self, pk: int) -> Item:
        item = get_object_or_404(Item.objects.defer("full_text"), pk=pk)
        if not permissions.can_view(self.request.user, item):
            raise NotFound()
        return item

    @extend_schema(responses=ItemSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_item_payload(request, self._item(pk)))

    @extend_schema(request=ItemWriteSerializer, responses=ItemSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        item = self._item(pk)
        serializer = ItemWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                services.update_item(item, serializer.metadata(), actor=request.user,
                                     comment="edited through the API")
                if "status" in serializer.validated_data:
                    services.change_status(item, serializer.validated_data["status"],
                                           actor=request.user)
        except MetadataError as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_item_payload(request, item))


class OrganisationListView(generics.ListAPIView):
    serializer_class = OrganisationSerializer
    pagination_class = pagination.SlugCursorPagination
    queryset = Organisation.objects.all()


class OrganisationDetailView(generics.RetrieveAPIView):
    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.all()
    lookup_field = "slug"


def _goals():
    targets = Target.objects.order_by("position", "code").prefetch_related("indicators")
    return Goal.objects.order_by("number").prefetch_related(Prefetch("targets", targets))


class GoalListView(generics.ListAPIView):
    """The SDG framework: 17 goals with their targets and indicators (EN/FR/ES titles)."""

    serializer_class = GoalSerializer
    pagination_class = None

    def get_queryset(self):
        return _goals()


class GoalDetailView(generics.RetrieveAPIView):
    serializer_class = GoalSerializer
    lookup_field = "number"

    def get_queryset(self):
        return _goals()
