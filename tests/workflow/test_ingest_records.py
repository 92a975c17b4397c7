"""Records known by their source identifier, and concurrent ingests of the same file."""

from __future__ import annotations

import threading

import pytest

from ssehub.library.ingest.inputs import Input, from_bytes
from ssehub.library.ingest.pipeline import CREATED, UNCHANGED, UPDATED, Options, ingest_one
from ssehub.library.models import Item, ItemFile


@pytest.mark.django_db
def test_metadata_only_record_is_found_again_by_its_source_identifier():
    options = Options(source_name="Socioeco.org")
    first = ingest_one(Input(label="rec", record="oai:socioeco:1",
                             metadata={"title": "Économie solidaire et territoires"}), options)
    again = ingest_one(Input(label="rec", record="oai:socioeco:1",
                             metadata={"title": "Économie solidaire et territoires"}), options)
    changed = ingest_one(Input(label="rec", record="oai:socioeco:1",
                               metadata={"title": "Économie solidaire et territoires (2e éd.)"}),
                         options)
    assert (first.status, again.status, changed.status) == (CREATED, UNCHANGED, UPDATED)
    assert first.id == again.id == changed.id
    item = Item.objects.get()
    assert (item.source_name, item.source_record) == ("Socioeco.org", "oai:socioeco:1")
    # The same identifier from another source is another record.
    other = ingest_one(Input(label="rec", record="oai:socioeco:1",
                             metadata={"title": "Another platform's record"}),
                       Options(source_name="SSE Collective Brain"))
    assert other.status == CREATED and Item.objects.count() == 2


TEXT = ("Community energy cooperatives let citizens own wind and solar plants together; "
        "members decide democratically how the income is reinvested in the neighbourhood. ") * 6


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ingests_of_one_new_file_make_one_item():
    from django.db import connection

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        # In-memory SQLite is one connection shared by every thread: there is no concurrency
        # to test. The PostgreSQL run of the suite exercises this path for real.
        pytest.skip("in-memory SQLite has no concurrent connections (tested on PostgreSQL)")
    from ssehub.core.reference import ensure_all

    ensure_all()  # an earlier transactional test may have flushed the reference tables
    results = []
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        results.append(ingest_one(from_bytes(TEXT.encode(), "energy.txt"), Options()))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in results) == [CREATED, UNCHANGED]
    assert Item.objects.count() == 1 and ItemFile.objects.count() == 1


@pytest.mark.django_db
def test_a_batch_ingest_is_searchable_when_it_ends(tmp_path):
    """Index updates are batched during an ingest, and all applied by its end."""
    from io import StringIO

    from django.core.management import call_command

    from ssehub.search.models import Outbox
    from ssehub.search.services import SearchParams, search

    for i in range(3):
        (tmp_path / f"doc{i}.txt").write_text(
            f"Housing cooperative number {i} in Montevideo. " + TEXT, encoding="utf-8")
    call_command("ingest", str(tmp_path), stdout=StringIO())
    assert Item.objects.count() == 3
    assert Outbox.objects.count() == 0
    assert search(SearchParams(q="Montevideo")).total == 3
