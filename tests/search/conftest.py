"""Fixtures for the search tests: an index of its own per test, and items made through the
library services (so the outbox rows come from the real write paths)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ssehub.library import services as library
from ssehub.library.models import Item, Status
from ssehub.search import outbox
from ssehub.search import services as search


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    """Every test has its own index folder, and the backend chosen by the environment."""
    settings.SSEHUB_INDEX_DIR = tmp_path / "index"
    settings.SSEHUB_SEARCH_AUTO_REBUILD_MAX = 2000
    return settings.SSEHUB_INDEX_DIR


@pytest.fixture
def make_item(db) -> Callable[..., Item]:
    """Create an item through the library service; published unless told otherwise."""

    def make(title: str | dict[str, str], *, status: str = Status.PUBLISHED,
             full_text: str = "", **data: Any) -> Item:
        return library.create_item({"title": title, **data}, status=status,
                                   full_text=full_text)

    return make


@pytest.fixture
def indexed() -> Callable[[], int]:
    """Apply the outbox now (what the after-commit hook does in production)."""
    return outbox.apply_pending


@pytest.fixture
def run_search():
    def run(q: str = "", user=None, **params: Any) -> search.SearchResponse:
        filters = {k: [str(x) for x in (v if isinstance(v, list) else [v])]
                   for k, v in params.pop("filters", {}).items()}
        return search.search(search.SearchParams(q=q, filters=filters, **params), user)

    return run
