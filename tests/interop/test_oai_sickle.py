"""A real harvester (Sickle) harvests the hub end to end over HTTP, through several
resumption pages: every published item comes back exactly once, withdrawn ones as deleted."""

from __future__ import annotations

import pytest
from sickle import Sickle
from sickle.oaiexceptions import BadArgument, IdDoesNotExist, NoRecordsMatch

from ssehub.interop.oai.provider import oai_identifier
from ssehub.library.models import Status
from ssehub.library.services import change_status

from .conftest import make_item

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Transactional tests start from a flushed database: load the reference tables."""
    from ssehub.core.reference import ensure_all

    ensure_all()


def test_sickle_harvests_everything_once(live_server, settings):
    settings.SSEHUB_OAI_PAGE_SIZE = 4
    published = [make_item(f"Solidarity finance {i}", sdgs=[8] if i % 3 else [1, 10],
                           abstract={"en": f"Text {i}", "es": f"Texto {i}"})
                 for i in range(13)]
    withdrawn = [make_item(f"Withdrawn {i}") for i in range(2)]
    for item in withdrawn:
        change_status(item, Status.WITHDRAWN)
    make_item("A draft", status=Status.DRAFT)

    sickle = Sickle(live_server.url + "/oai", max_retries=1, timeout=30)
    assert sickle.Identify().repositoryName == "SSE Hub"

    for prefix in ("oai_dc", "ssehub"):
        records = list(sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=False))
        ids = [r.header.identifier for r in records]
        assert len(ids) == len(set(ids)) == 15, "each record exactly once"
        live = {r.header.identifier for r in records if not r.header.deleted}
        deleted = {r.header.identifier for r in records if r.header.deleted}
        assert live == {oai_identifier(i) for i in published}
        assert deleted == {oai_identifier(i) for i in withdrawn}
    dc = next(r for r in records if not r.header.deleted)
    assert dc.metadata  # Sickle parsed the native metadata into a dict

    records = list(sickle.ListRecords(metadataPrefix="oai_dc"))
    titles = sorted(r.metadata["title"][0] for r in records if not r.header.deleted)
    assert titles == sorted(f"Solidarity finance {i}" for i in range(13))

    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="sdg:1"))
    assert {h.identifier for h in headers} == {oai_identifier(published[i])
                                               for i in range(0, 13, 3)}
    specs = {s.setSpec for s in sickle.ListSets()}
    assert {"sdg:1", "type:report", "org:ilo"} <= specs
    record = sickle.GetRecord(identifier=oai_identifier(published[0]), metadataPrefix="oai_dc")
    assert record.metadata["title"] == ["Solidarity finance 0"]
    formats = {f.metadataPrefix for f in sickle.ListMetadataFormats()}
    assert formats == {"oai_dc", "ssehub"}

    with pytest.raises(IdDoesNotExist):
        sickle.GetRecord(identifier="oai:ssehub.local:nope", metadataPrefix="oai_dc")
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", set="sdg:14"))
    with pytest.raises(BadArgument):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "last tuesday"}))
