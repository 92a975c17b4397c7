"""Harvest sources, read-only: name, type, URL, schedule and the last run's counts.

Imported only when ``ssehub.harvest`` is installed (the harvest app is developed separately).
Options and state are never exposed: they may hold credentials and resumption positions.
"""

from __future__ import annotations

from rest_framework import generics

from ssehub.harvest.models import Source
from ssehub.interop.api import pagination
from ssehub.interop.api.serializers import HarvestSourceSerializer


class HarvestNamePagination(pagination.ItemCursorPagination):
    ordering = "name"


class SourceListView(generics.ListAPIView):
    serializer_class = HarvestSourceSerializer
    pagination_class = HarvestNamePagination
    queryset = Source.objects.all()


class SourceDetailView(generics.RetrieveAPIView):
    serializer_class = HarvestSourceSerializer
    queryset = Source.objects.all()
    lookup_field = "name"
