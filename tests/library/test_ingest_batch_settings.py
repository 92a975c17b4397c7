"""What a batch changes for its own duration: SQLite checkpoints its write-ahead log less
often while a batch writes (fewer synced copies of the log), and is back to its setting after;
index updates are applied by time, and all of them at the end."""

from __future__ import annotations

import pytest
from django.db import connection

from ssehub.library.ingest import inputs, pipeline
from ssehub.search.models import Outbox

from . import factories as f

pytestmark = pytest.mark.django_db


def _autocheckpoint() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return int(cursor.fetchone()[0])


def test_a_batch_checkpoints_less_often_and_restores_the_setting():
    if connection.vendor != "sqlite":
        # Skipped on PostgreSQL on purpose: the setting and the cost it avoids are SQLite's.
        pytest.skip("wal_autocheckpoint is a SQLite setting; PostgreSQL has no equivalent here")
    before = _autocheckpoint()
    seen: list[int] = []
    sources = [inputs.from_bytes(f.html_page(f.varied(i, seed=i)), f"p{i}.html")
               for i in range(3)]
    results = list(pipeline.ingest(sources, on_result=lambda r: seen.append(_autocheckpoint())))
    assert [r.status for r in results] == ["created"] * 3
    assert seen == [pipeline.BATCH_CHECKPOINT_PAGES] * 3
    assert _autocheckpoint() == before != pipeline.BATCH_CHECKPOINT_PAGES


def test_index_updates_wait_for_the_interval_and_are_all_applied_at_the_end(monkeypatch,
                                                                              settings):
    settings.SSEHUB_SEARCH_INLINE = True
    monkeypatch.setattr(pipeline, "INDEX_SECONDS", 3600.0)
    pending: list[int] = []
    sources = [inputs.from_bytes(f.html_page(f.varied(i, seed=i)), f"p{i}.html")
               for i in range(3)]
    results = list(pipeline.ingest(sources,
                                   on_result=lambda r: pending.append(Outbox.objects.count())))
    assert [r.status for r in results] == ["created"] * 3
    assert pending[0] > 0 and pending == sorted(pending)  # nothing applied during the batch
    assert Outbox.objects.count() == 0  # all applied when it ended
