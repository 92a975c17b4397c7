"""Fixtures for interoperability tests: a small library in every state of the workflow."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from ssehub.library.models import Item, ItemGoal, Status
from ssehub.library.services import change_status, create_item


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """API throttles count in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def make_item(title: str, *, status: str = Status.PUBLISHED, **extra) -> Item:
    data = {"title": {"en": title}, "type": "report", "organisation": "ilo",
            "creators": ["Ada Lovelace"], "date": "2023-05", **extra}
    return create_item(data, status=status, provenance="cli")


@dataclass
class Library:
    published: list[Item]
    withdrawn: Item
    back_to_draft: Item
    draft: Item


@pytest.fixture
def library(db) -> Library:
    """Seven published items, one withdrawn, one withdrawn then back to draft, one draft."""
    published = [
        make_item(f"Cooperatives and decent work {i}", sdgs=["8.3"] if i % 2 else [5],
                  abstract={"en": f"Abstract {i}", "fr": f"Résumé {i}"},
                  type="dataset" if i == 3 else "report")
        for i in range(7)
    ]
    withdrawn = make_item("Withdrawn study", sdgs=[8])
    change_status(withdrawn, Status.WITHDRAWN)
    back = make_item("Back to draft")
    change_status(back, Status.WITHDRAWN)
    change_status(back, Status.DRAFT)
    draft = make_item("Never published", status=Status.DRAFT)
    return Library(published, withdrawn, back, draft)


def reject_machine_goal(item: Item, goal: int) -> None:
    """A machine link an editor rejected: must not be published anywhere."""
    ItemGoal.objects.create(item=item, goal_id=goal, source=ItemGoal.Source.MACHINE,
                            confidence=0.9, status="suggested")
    ItemGoal.objects.create(item=item, goal_id=goal, source=ItemGoal.Source.EDITOR,
                            rejected=True)
