"""Cursor pagination: stable pages while items are added, and no OFFSET cost at depth."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class ItemCursorPagination(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 100


class SlugCursorPagination(ItemCursorPagination):
    ordering = "slug"


class NumberCursorPagination(ItemCursorPagination):
    ordering = "number"
