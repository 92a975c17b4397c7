"""The OAI-PMH provider through Django's test client: verbs, formats, sets, dates, deleted
records, cursor tokens, and every error condition of the protocol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from ssehub.interop.oai import tokens
from ssehub.interop.oai.provider import oai_identifier
from ssehub.library.models import Item, Status
from ssehub.library.services import update_item

from .conftest import make_item, reject_machine_goal

NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "h": "urn:x-ssehub:item:1.0"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def oai(client, query: str = "", method: str = "get") -> etree._Element:
    if method == "post":
        from urllib.parse import parse_qsl

        response = client.post("/oai", dict(parse_qsl(query)))
    else:
        response = client.get("/oai?" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return etree.fromstring(response.content)


def error_code(root: etree._Element) -> str | None:
    error = root.find("o:error", NS)
    return error.get("code") if error is not None else None


def identifiers(root: etree._Element) -> list[str]:
    return [e.text for e in root.iterfind(".//o:header/o:identifier", NS)]


def harvest(client, query: str) -> tuple[list[etree._Element], int]:
    """All headers of a list request, following resumption tokens; and the number of pages."""
    headers, pages = [], 0
    root = oai(client, query)
    verb = query.split("verb=")[1].split("&")[0]
    while True:
        pages += 1
        assert error_code(root) is None, etree.tostring(root)
        headers += root.findall(".//o:header", NS)
        token = root.find(".//o:resumptionToken", NS)
        if token is None or not token.text:
            return headers, pages
        root = oai(client, f"verb={verb}&resumptionToken={token.text}")


@pytest.fixture
def one_item(db) -> Item:
    """Enough for argument checking (the parametrised error tests run dozens of times)."""
    return make_item("One item", sdgs=["8.3"])


# --- the verbs -------------------------------------------------------------------------------

def test_identify(client, library):
    root = oai(client, "verb=Identify")
    identify = root.find("o:Identify", NS)
    assert identify.findtext("o:baseURL", namespaces=NS) == "http://testserver/oai"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert "@" in identify.findtext("o:adminEmail", namespaces=NS)
    assert root.find("o:request", NS).get("verb") == "Identify"


def test_list_metadata_formats(client, library):
    root = oai(client, "verb=ListMetadataFormats")
    prefixes = [e.text for e in root.iterfind(".//o:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "ssehub"]
    item = library.published[0]
    root = oai(client, f"verb=ListMetadataFormats&identifier={oai_identifier(item)}")
    assert error_code(root) is None
    root = oai(client, "verb=ListMetadataFormats&identifier=oai:ssehub.local:nope")
    assert error_code(root) == "idDoesNotExist"
    # The native format's schema is served by the hub and is a well-formed XML Schema.
    schema_url = root.xpath("string(//o:schema)", namespaces=NS)
    response = client.get("/oai/schemas/ssehub-item-1.0.xsd")
    assert response.status_code == 200 and etree.fromstring(response.content) is not None
    del schema_url


def test_list_sets(client, library):
    root = oai(client, "verb=ListSets")
    specs = [e.text for e in root.iterfind(".//o:setSpec", NS)]
    assert {"sdg", "sdg:8", "sdg:17", "type", "type:report", "org", "org:ilo"} <= set(specs)
    assert error_code(oai(client, "verb=ListSets&resumptionToken=abc")) == "badResumptionToken"


def test_list_records_dublin_core(client, library):
    root = oai(client, "verb=ListRecords&metadataPrefix=oai_dc")
    records = root.findall(".//o:record", NS)
    by_id = {r.findtext("o:header/o:identifier", namespaces=NS): r for r in records}
    first = by_id[oai_identifier(library.published[1])]
    dc = first.find(".//o:metadata", NS)[0]
    assert dc.findtext("dc:title", namespaces=NS) == "Cooperatives and decent work 1"
    assert dc.find("dc:title", NS).get(XML_LANG) == "en"
    descriptions = {d.get(XML_LANG): d.text for d in dc.iterfind("dc:description", NS)}
    assert descriptions == {"en": "Abstract 1", "fr": "Résumé 1"}
    assert "SDG target 8.3" in [s.text for s in dc.iterfind("dc:subject", NS)]
    assert dc.findtext("dc:creator", namespaces=NS) == "Ada Lovelace"
    assert "http://testserver/items/" in " ".join(e.text for e in dc.iterfind("dc:identifier",
                                                                              NS))
    specs = [s.text for s in first.iterfind("o:header/o:setSpec", NS)]
    assert {"sdg:8", "type:report", "org:ilo"} <= set(specs)


def test_native_format_keeps_languages_and_targets(client, library):
    item = library.published[1]
    reject_machine_goal(item, 13)
    root = oai(client, f"verb=GetRecord&metadataPrefix=ssehub&identifier={oai_identifier(item)}")
    native = root.find(".//h:item", NS)
    assert {t.get(XML_LANG) for t in native.iterfind("h:abstract", NS)} == {"en", "fr"}
    links = [(s.get("goal"), s.get("target"), s.get("source")) for s in native.iterfind("h:sdg",
                                                                                       NS)]
    assert ("8", "8.3", "editor") in links
    assert all(goal != "13" for goal, _t, _s in links), "a rejected machine link leaked"
    assert native.findtext("h:organisation", namespaces=NS).startswith("ILO")


def test_deleted_records(client, library):
    headers, _pages = harvest(client, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    status = {h.findtext("o:identifier", namespaces=NS): h.get("status") for h in headers}
    for item in library.published:
        assert status[oai_identifier(item)] is None
    assert status[oai_identifier(library.withdrawn)] == "deleted"
    assert status[oai_identifier(library.back_to_draft)] == "deleted"
    assert oai_identifier(library.draft) not in status
    root = oai(client, "verb=GetRecord&metadataPrefix=oai_dc&identifier="
               + oai_identifier(library.withdrawn))
    record = root.find(".//o:record", NS)
    assert record.find("o:header", NS).get("status") == "deleted"
    assert record.find("o:metadata", NS) is None
    root = oai(client, "verb=GetRecord&metadataPrefix=oai_dc&identifier="
               + oai_identifier(library.draft))
    assert error_code(root) == "idDoesNotExist"


def test_post_is_accepted(client, library):
    root = oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=type:dataset",
               method="post")
    assert identifiers(root) == [oai_identifier(library.published[3])]


# --- resumption ------------------------------------------------------------------------------

def test_cursor_pages_return_every_record_once(client, library, settings):
    settings.SSEHUB_OAI_PAGE_SIZE = 2
    headers, pages = harvest(client, "verb=ListRecords&metadataPrefix=ssehub")
    ids = [h.findtext("o:identifier", namespaces=NS) for h in headers]
    assert len(ids) == len(set(ids)) == 9 and pages == 5
    root = oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    token = root.find(".//o:resumptionToken", NS)
    assert token.get("cursor") == "0" and token.text


def test_item_changed_during_harvest_is_not_lost(client, library, settings):
    settings.SSEHUB_OAI_PAGE_SIZE = 3
    root = oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    seen = identifiers(root)
    first = Item.objects.get(uid=seen[0].rsplit(":", 1)[1])
    update_item(first, {"publisher": "Changed while harvesting"})
    token = root.find(".//o:resumptionToken", NS).text
    while token:
        root = oai(client, f"verb=ListIdentifiers&resumptionToken={token}")
        seen += identifiers(root)
        token = root.find(".//o:resumptionToken", NS).text
    # Seen twice (once per version), never missed.
    assert seen.count(oai_identifier(first)) == 2
    assert len(set(seen)) == 9


def test_bad_resumption_tokens(client, library, settings):
    settings.SSEHUB_OAI_PAGE_SIZE = 2
    root = oai(client, "verb=ListRecords&metadataPrefix=oai_dc")
    token = root.find(".//o:resumptionToken", NS).text
    for bad in ("", "nonsense", token[:-3] + "xyz", token + "a", "x" * 5000,
                "' OR 1=1 --"):
        assert error_code(oai(client, f"verb=ListRecords&resumptionToken={bad}")) in (
            "badResumptionToken", "badArgument"), bad
    assert error_code(oai(client, f"verb=ListRecords&resumptionToken={token}")) is None
    # A token belongs to its verb.
    assert error_code(oai(client, f"verb=ListIdentifiers&resumptionToken={token}")) == \
        "badResumptionToken"
    # A token is exclusive.
    assert error_code(oai(client, f"verb=ListRecords&resumptionToken={token}"
                                  "&metadataPrefix=oai_dc")) == "badArgument"


def test_forged_token_is_refused(client, library):
    cursor = tokens.Cursor("ListRecords", "oai_dc", "", "", "", datetime.now(UTC), 1, 0)
    good = tokens.encode(cursor)
    payload, _sep, signature = good.rpartition(":")
    forged = payload + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert error_code(oai(client, f"verb=ListRecords&resumptionToken={forged}")) == \
        "badResumptionToken"


# --- dates -----------------------------------------------------------------------------------

def _stamp(item: Item, when: datetime) -> None:
    Item.objects.filter(pk=item.pk).update(updated_at=when)


def test_from_until_day_and_seconds(client, library):
    a, b, c = library.published[:3]
    _stamp(a, datetime(2020, 1, 1, 10, 0, 0, 500000, tzinfo=UTC))
    _stamp(b, datetime(2020, 1, 2, 23, 59, 59, 900000, tzinfo=UTC))
    _stamp(c, datetime(2020, 1, 3, 0, 0, 0, tzinfo=UTC))

    def listed(args: str) -> set[str]:
        root = oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc&" + args)
        if error_code(root) == "noRecordsMatch":
            return set()
        assert error_code(root) is None, etree.tostring(root)
        return set(identifiers(root))

    ids = {x: oai_identifier(x) for x in (a, b, c)}
    assert listed("until=2020-01-02") == {ids[a], ids[b]}
    assert listed("from=2020-01-02&until=2020-01-02") == {ids[b]}
    assert listed("from=2020-01-01T10:00:00Z&until=2020-01-01T10:00:00Z") == {ids[a]}
    assert listed("until=2020-01-02T23:59:59Z") == {ids[a], ids[b]}
    assert listed("from=2020-01-03T00:00:00Z&until=2020-01-03T00:00:00Z") == {ids[c]}
    assert listed("until=2019-12-31") == set()
    root = oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc&until=1900-01-01")
    assert error_code(root) == "noRecordsMatch"
    # The datestamp shown is to the second, and from= that datestamp finds the item again.
    root = oai(client, "verb=GetRecord&metadataPrefix=oai_dc&identifier=" + ids[a])
    shown = root.findtext(".//o:datestamp", namespaces=NS)
    assert shown == "2020-01-01T10:00:00Z"
    assert ids[a] in listed(f"from={shown}&until={shown}")


def test_far_future_until_and_now(client, library):
    now = datetime.now(UTC) + timedelta(days=1)
    root = oai(client, f"verb=ListIdentifiers&metadataPrefix=oai_dc&until={now:%Y-%m-%d}")
    assert error_code(root) is None
    root = oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc&until=9999-12-31T23:59:59Z")
    assert error_code(root) is None
    root = oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc&until=9999-12-31")
    assert error_code(root) is None


@pytest.mark.parametrize("args", [
    "from=2020-13-01", "from=2020-02-30", "until=99999-01-01", "until=2020-01-01T10:00:00",
    "until=2020-01-01T25:00:00Z", "from=yesterday", "from=2020-01-02&until=2020-01-01",
    "from=2020-01-01&until=2020-01-02T00:00:00Z", "until=" + "9" * 3000,
    "from=2020-01-01T10:00:00.5Z", "until=", "from=",
])
def test_bad_dates(client, one_item, args):
    root = oai(client, "verb=ListRecords&metadataPrefix=oai_dc&" + args)
    assert error_code(root) == "badArgument"


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "code"), [
    ("", "badVerb"),
    ("verb=Explode", "badVerb"),
    ("verb=identify", "badVerb"),
    ("verb=Identify&verb=Identify", "badVerb"),
    ("verb=Identify&foo=bar", "badArgument"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=sdg:8&set=sdg:5", "badArgument"),
    ("verb=ListRecords&metadataPrefix=", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&identifier=x", "badArgument"),
    ("verb=GetRecord&metadataPrefix=oai_dc", "badArgument"),
    ("verb=GetRecord&identifier=oai:ssehub.local:x", "badArgument"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:ssehub.local:x", "idDoesNotExist"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:other.org:"
     "00000000-0000-4000-8000-000000000000", "idDoesNotExist"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=sdg:99", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=org:nobody", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=type:video", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=sdg:8'%20OR%201=1--", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=sdg:8;DROP%20TABLE%20library_item",
     "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=%3Cscript%3E", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=sdg:%25", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=..%2F..%2Fetc", "badArgument"),
    ("verb=ListSets&resumptionToken=", "badResumptionToken"),
])
def test_error_conditions(client, one_item, query, code):
    root = oai(client, query)
    assert error_code(root) == code
    request = root.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}, "arguments are echoed only when they are legal"
    assert Item.objects.count() == 1  # and nothing was dropped


def test_no_records_in_empty_repository(client, db):
    root = oai(client, "verb=ListRecords&metadataPrefix=oai_dc")
    assert error_code(root) == "noRecordsMatch"
    assert oai(client, "verb=Identify").findtext(".//o:earliestDatestamp", namespaces=NS)


def test_hostile_text_stays_escaped(client, db):
    item = make_item("Title <b>&amp; \x01\x0b control ]]>", sdgs=[1],
                     abstract={"en": "<script>alert(1)</script>"})
    for prefix in ("oai_dc", "ssehub"):
        response = client.get(f"/oai?verb=GetRecord&metadataPrefix={prefix}"
                              f"&identifier={oai_identifier(item)}")
        root = etree.fromstring(response.content)
        assert root.find(".//o:metadata", NS) is not None
        assert b"<script>" not in response.content and b"<b>" not in response.content
    assert Item.objects.filter(status=Status.PUBLISHED).count() == 1


def test_page_queries_do_not_grow_with_page_size(client, library, settings):
    """A page costs a fixed number of queries (no query per record)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 9):
        settings.SSEHUB_OAI_PAGE_SIZE = size
        with CaptureQueriesContext(connection) as queries:
            oai(client, "verb=ListRecords&metadataPrefix=ssehub")
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
