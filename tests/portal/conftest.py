"""Fixtures for the portal tests: items in each status, made through the real services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ssehub.library.ingest.inputs import from_bytes
from ssehub.library.ingest.pipeline import Options, ingest_one
from ssehub.library.models import Item
from ssehub.library.services import create_item

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_item(db, org) -> Callable[..., Item]:
    """Create an item of ``org`` (by default) with the given status and metadata."""

    def make(title: str = "Cooperatives and decent work", status: str = "published",
             **extra: Any) -> Item:
        data: dict[str, Any] = {"title": {"en": title}, "type": "report",
                                "organisation": org.slug}
        data.update(extra)
        return create_item(data, status=status, provenance=extra.pop("provenance", "cli"))

    return make


@pytest.fixture
def item_with_file(db, org) -> Item:
    """A published item with one stored text file, made by the ingestion service."""
    result = ingest_one(
        from_bytes(b"Social economy enterprises create jobs.\n" * 20, "jobs.txt",
                   {"title": "Jobs in the social economy", "organisation": org.slug,
                    "type": "report"}),
        Options(status="published", provenance="cli"),
    )
    assert result.status == "created", result.reason
    return Item.objects.get(pk=result.id)


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    """Log a fixture user in on the test client (through the real auth backend)."""

    def do(user) -> Client:
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return do
