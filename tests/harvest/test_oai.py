"""OAI-PMH harvesting against a real loopback repository: mapping, provenance, incremental
runs, updates without duplicates, deletions, and the checkpoint of each page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ssehub.harvest.models import Checkpoint, RecordState, Run, Source
from ssehub.library.models import Item, Status

from .servers import OAIRecord, generated


def test_first_run_creates_every_record_with_provenance(oai_server, harvest):
    server = oai_server(generated(25), page_size=10)
    out = harvest("oai", "repo", server.url)
    assert out == {"source": "repo", "outcome": "complete", "seen": 25, "created": 25,
                   "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0, "errors": []}
    assert server.served == [0, 1, 2]
    item = Item.objects.get(source_record="oai:test:1")
    assert item.source_name == "repo" and item.provenance == "harvest"
    assert item.status == Status.PUBLISHED
    state = RecordState.objects.get(identifier="oai:test:1")
    assert state.item == item and state.datestamp == "2024-01-01"
    assert "<dc:title" in state.raw and "Montreal" in state.raw  # original metadata kept
    assert not Checkpoint.objects.exists()  # a complete run leaves no checkpoint
    assert Source.objects.get(name="repo").state == {"datestamp": "2024-01-01"}


def test_oai_dc_mapping(oai_server, harvest):
    record = OAIRecord(
        identifier="oai:x:1", datestamp="2024-02-03T10:00:00Z",
        titles=[("fr", "Les coopératives d'habitants"), ("en", "Housing cooperatives")],
        creators=["Dupont, Marie", "Réseau ESS"], date="2019-05-17T00:00:00Z",
        descriptions=[("fr", "Une étude des coopératives."), ("en", "A study of co-ops.")],
        subjects=["logement", "coopératives"], types=["info:eu-repo/semantics/workingPaper"],
        languages=["fre", "eng"],
        identifiers=["https://hal.example.org/hal-1", "https://doi.org/10.1234/abc.5"],
        rights=["Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"],
    )
    harvest("oai", "repo", oai_server([record]).url)
    item = Item.objects.get(source_record="oai:x:1")
    assert item.title == {"fr": "Les coopératives d'habitants", "en": "Housing cooperatives"}
    assert item.abstract == {"fr": "Une étude des coopératives.", "en": "A study of co-ops."}
    assert [c.name for c in item.creators.all()] == ["Dupont, Marie", "Réseau ESS"]
    assert (item.pub_year, item.pub_month, item.pub_day) == (2019, 5, 17)
    assert item.keywords == ["logement", "coopératives"]
    assert item.item_type_id == "working-paper"
    assert item.languages == ["fr", "en"]
    assert item.doi == "10.1234/abc.5"
    assert item.identifiers["url"] == "https://hal.example.org/hal-1"
    assert item.licence == "https://creativecommons.org/licenses/by/4.0/"


def test_untagged_title_takes_the_record_language(oai_server, harvest):
    record = OAIRecord(identifier="oai:x:2", titles=[("", "Economía solidaria")],
                       languages=["es"])
    harvest("oai", "repo", oai_server([record]).url)
    assert Item.objects.get(source_record="oai:x:2").title == {"es": "Economía solidaria"}


def test_second_run_is_incremental_and_changes_nothing(oai_server, harvest):
    server = oai_server(generated(12), page_size=5)
    harvest("oai", "repo", server.url)
    server.requests.clear()
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "complete"
    assert "from=2024-01-01" in server.requests[0]
    # Records at the boundary datestamp come back (OAI from is inclusive): unchanged.
    assert (out["seen"], out["unchanged"], out["created"]) == (12, 12, 0)
    assert Item.objects.count() == 12
    assert Run.objects.filter(source__name="repo").count() == 2


def test_changed_record_updates_its_item_and_new_ones_are_added(oai_server, harvest):
    records = generated(6)
    server = oai_server(records, page_size=4)
    harvest("oai", "repo", server.url)
    before = Item.objects.get(source_record="oai:test:2")
    records[2].titles = [("es", "Un título nuevo")]
    records[2].datestamp = "2024-03-01"
    server.records = [*records, *generated(2, start=100, datestamp="2024-03-02")]
    out = harvest("oai", "repo", server.url)
    assert "from=2024-01-01" in server.requests[-1] or any(
        "from=2024-01-01" in r for r in server.requests)
    assert (out["created"], out["updated"]) == (2, 1)
    after = Item.objects.get(source_record="oai:test:2")
    assert after.pk == before.pk and after.title["es"] == "Un título nuevo"
    assert Item.objects.count() == 8
    assert Item.objects.filter(source_record="oai:test:2").count() == 1
    assert RecordState.objects.get(identifier="oai:test:2").datestamp == "2024-03-01"
    assert Source.objects.get(name="repo").state["datestamp"] == "2024-03-02"


def test_deleted_record_withdraws_its_item_and_a_return_restores_it(oai_server, harvest):
    records = generated(3)
    server = oai_server(records)
    harvest("oai", "repo", server.url)
    records[1] = OAIRecord(identifier="oai:test:1", datestamp="2024-04-01", deleted=True)
    out = harvest("oai", "repo", server.url)
    assert out["deleted"] == 1
    item = Item.objects.get(source_record="oai:test:1")
    assert item.status == Status.WITHDRAWN
    assert item.status_changes.last().note == "deleted at source repo"
    assert RecordState.objects.get(identifier="oai:test:1").deleted
    # A deletion seen again changes nothing.
    assert harvest("oai", "repo", server.url)["deleted"] == 0
    records[1] = generated(2)[1]
    records[1].datestamp = "2024-05-01"
    out = harvest("oai", "repo", server.url)
    assert out["updated"] == 1
    assert Item.objects.get(source_record="oai:test:1").status == Status.PUBLISHED


def test_deleted_record_never_seen_is_only_noted(oai_server, harvest):
    server = oai_server([OAIRecord(identifier="oai:gone", deleted=True), *generated(1)])
    out = harvest("oai", "repo", server.url)
    assert (out["seen"], out["deleted"], out["created"], out["unchanged"]) == (2, 0, 1, 1)
    assert RecordState.objects.get(identifier="oai:gone").item is None


def test_full_run_ignores_from(oai_server, harvest):
    server = oai_server(generated(3))
    harvest("oai", "repo", server.url)
    server.requests.clear()
    out = harvest("oai", "repo", server.url, full=True)
    assert "from=" not in server.requests[0]
    assert out["seen"] == 3 and out["created"] == 0


def test_set_and_prefix_options_reach_the_server(oai_server, harvest):
    server = oai_server(generated(2))
    harvest("oai", "repo", server.url, set="sse", until="2030-01-01")
    assert "set=sse" in server.requests[0] and "until=2030-01-01" in server.requests[0]


def test_other_prefix_needs_a_mapper(oai_server, harvest):
    out = harvest("oai", "repo", oai_server(generated(2)).url, metadata_prefix="mods")
    assert out["outcome"] == "failed"
    assert "no mapper for metadataPrefix 'mods'" in out["errors"][0]["error"]


def plugin_mapper(element, context):
    """A plug-in mapper (the source names it by dotted path)."""
    return {"title": {"en": "Mapped by a plug-in"}, "type": context.default_type}


def test_pluggable_mapper(oai_server, harvest):
    server = oai_server(generated(1))
    harvest("oai", "repo", server.url, mapper="tests.harvest.test_oai.plugin_mapper",
            type="dataset")
    item = Item.objects.get()
    assert item.title == {"en": "Mapped by a plug-in"} and item.item_type_id == "dataset"


def test_no_records_match_is_a_complete_empty_run(oai_server, harvest):
    out = harvest("oai", "repo", oai_server([]).url)
    assert out["outcome"] == "complete" and out["seen"] == 0


@contextmanager
def refused(event: str, record: str, message: str) -> Iterator[None]:
    """While inside, the database refuses an ``event`` (INSERT or UPDATE) of the item of
    ``record`` with ``message``, as a constraint or a full disk would (a trigger)."""
    from django.db import connection

    name = f"refuse_{event.lower()}"
    create = {
        "sqlite": [f"CREATE TRIGGER {name} BEFORE {event} ON library_item "
                   f"WHEN NEW.source_record = '{record}' "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END"],
        "postgresql": [
            f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.source_record = '{record}' THEN RAISE EXCEPTION '{message}'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name} BEFORE {event} ON library_item "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()"],
    }
    drop = {"sqlite": [f"DROP TRIGGER {name}"],
            "postgresql": [f"DROP TRIGGER {name} ON library_item", f"DROP FUNCTION {name}()"]}
    with connection.cursor() as cursor:
        for sql in create[connection.vendor]:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in drop[connection.vendor]:
                cursor.execute(sql)


def test_a_record_the_database_refuses_fails_alone(oai_server, harvest):
    """New records of a page are stored in one batch; when the database refuses one of them
    (here a trigger, as a constraint or a full disk would), the batch is rolled back and its
    records go one by one: that record fails with the database's reason, the others are
    stored, and the run completes."""
    server = oai_server(generated(25), page_size=10)
    with refused("INSERT", "oai:test:13", "refused by the test"):
        out = harvest("oai", "repo", server.url)
    assert (out["outcome"], out["seen"], out["created"], out["failed"]) == (
        "complete", 25, 24, 1)
    [error] = out["errors"]
    assert error["record"] == "oai:test:13" and "refused by the test" in error["error"]
    assert Item.objects.count() == 24
    assert not Item.objects.filter(source_record="oai:test:13").exists()
    assert RecordState.objects.count() == 24
    # The next run stores it (the database takes it now) and nothing else changes.
    again = harvest("oai", "repo", server.url, full=True)
    assert (again["created"], again["unchanged"], again["failed"]) == (1, 24, 0)


def sdg_mapper(element, context):
    """oai_dc, and the goals a record names in its subjects ("SDG 8") as its SDGs."""
    from ssehub.harvest.sources.oai import map_oai_dc

    meta = map_oai_dc(element, context)
    goals = [int(k[4:]) for k in meta.get("keywords", []) if k.startswith("SDG ")]
    if goals:
        meta["sdgs"] = goals
    return meta


def test_a_page_of_changed_records_updates_its_items_together(oai_server, harvest):
    """Records changed at the source update their items in one batch per page: the same
    outcome as one by one (counts, a version each with its comment, provenance, the index),
    and a record whose new metadata is invalid fails alone, its item as it was."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ssehub.search import services as search

    records = generated(25)
    server = oai_server(records, page_size=10)
    harvest("oai", "repo", server.url, mapper="tests.harvest.test_oai.sdg_mapper")
    for i, record in enumerate(records):
        if i % 5:
            record.titles = [(lang, f"{title} (revised)") for lang, title in record.titles]
            record.creators = ["Martin, Paul"]
            record.subjects = ["SDG 8"]
            record.datestamp = "2024-03-01"
    records[7].subjects = ["SDG 99"]
    with CaptureQueriesContext(connection) as queries:
        out = harvest("oai", "repo", server.url)
    # Together: a few statements per page (one by one, it was some twenty per record).
    assert len(queries) < 150
    assert (out["seen"], out["updated"], out["unchanged"], out["failed"]) == (25, 19, 5, 1)
    [error] = out["errors"]
    assert error["record"] == "oai:test:7" and "invalid metadata" in error["error"]
    assert "there is no SDG 99" in error["error"]
    seventh = Item.objects.get(source_record="oai:test:7")
    assert seventh.title == {"fr": "L'économie sociale et solidaire à Manila (7)"}
    assert seventh.versions.count() == 1
    assert RecordState.objects.get(identifier="oai:test:7").datestamp == "2024-01-01"
    item = Item.objects.get(source_record="oai:test:1")
    assert item.title == {"fr": "L'économie sociale et solidaire à Montreal (1) (revised)"}
    assert list(item.creators.values_list("name", flat=True)) == ["Martin, Paul"]
    version = item.versions.get(number=2)
    assert version.comment == "re-ingested from oai:test:1"
    assert version.changed_fields == ["creators", "keywords", "sdgs", "title"]
    assert list(item.sdg_links.values_list("goal_id", "source")) == [(8, "editor")]
    state = RecordState.objects.get(identifier="oai:test:1")
    assert state.datestamp == "2024-03-01" and "(revised)" in state.raw
    assert Item.objects.count() == 25
    found = search.search(search.SearchParams(q='"Montreal (1) (revised)"'))
    assert item.pk in {hit.id for hit in found.results}
    # Seen again (from the new datestamp: the revised records), nothing changes; the bad
    # record fails again until its source mends it.
    again = harvest("oai", "repo", server.url)
    assert (again["seen"], again["updated"], again["unchanged"], again["failed"]) == (
        20, 0, 19, 1)


def test_an_update_the_database_refuses_fails_alone(oai_server, harvest, caplog):
    """When the database refuses one item's update, the page's update batch is rolled back
    and its records go one by one: that record fails with the database's reason (its item
    and provenance as they were), the others are updated."""
    records = generated(25)
    server = oai_server(records, page_size=10)
    harvest("oai", "repo", server.url)
    for record in records:
        record.titles = [(lang, f"{title} (revised)") for lang, title in record.titles]
        record.datestamp = "2024-03-01"
    with refused("UPDATE", "oai:test:13", "update refused by the test"):
        out = harvest("oai", "repo", server.url)
    assert (out["outcome"], out["seen"], out["updated"], out["failed"]) == (
        "complete", 25, 24, 1)
    [error] = out["errors"]
    assert error["record"] == "oai:test:13" and "update refused by the test" in error["error"]
    assert "an update of 10 records failed; retrying them one by one" in caplog.text
    assert Item.objects.filter(title__icontains="(revised)").count() == 24
    assert "(revised)" not in str(Item.objects.get(source_record="oai:test:13").title)
    assert RecordState.objects.get(identifier="oai:test:13").datestamp == "2024-01-01"
    again = harvest("oai", "repo", server.url)
    assert (again["updated"], again["unchanged"], again["failed"]) == (1, 24, 0)
