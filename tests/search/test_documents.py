"""The index document of an item: what it holds, and a digest that stays what stored indexes
hold (``reindex --check`` compares the two)."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from ssehub.library.models import ItemGoal
from ssehub.search import documents


def _digest_as_first_stored(doc: documents.IndexDocument) -> int:
    """The digest as the first indexes stored it: JSON of ``dataclasses.asdict``."""
    data = dataclasses.asdict(doc)
    data.pop("digest")
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big") >> 1


def test_a_document_holds_the_item_and_its_relations(make_item, org, editor):
    item = make_item(
        {"fr": "Les coopératives d'habitants", "en": "Housing cooperatives", "es": ""},
        abstract={"fr": "Une étude."}, full_text="Texte intégral.",
        creators=[{"name": "Zoé B", "kind": "person"}, {"name": "Alain A", "kind": "person"}],
        countries=["SN", "FR"], regions=["419"], sdgs=[{"goal": 8, "target": "8.3"}],
        keywords=["logement"], type="working-paper", date="2019-05-17",
        languages=["fr"], organisation=org.slug,
    )
    # A machine link the editors rejected is not shown; one for a goal they did not judge is.
    for goal in (11, 5):
        ItemGoal.objects.create(item=item, goal_id=goal, source=ItemGoal.Source.MACHINE)
    ItemGoal.objects.create(item=item, goal_id=11, source=ItemGoal.Source.EDITOR,
                            rejected=True)
    [doc] = documents.build([item.pk, 10**9])
    assert doc.id == item.pk and doc.status == "published"
    assert doc.title == {"fr": "Les coopératives d'habitants", "en": "Housing cooperatives"}
    assert doc.abstract == {"fr": "Une étude."} and doc.body == "Texte intégral."
    assert doc.body_language == "fr" and doc.language == ["en", "fr"]
    assert doc.creators == ["Zoé B", "Alain A"]  # in the source's order
    assert doc.country == ["FR", "SN"]
    # Each place with the regions above it (Senegal: Western Africa, Sub-Saharan Africa,
    # Africa; France: Western Europe, Europe; 419 itself: Latin America and the Caribbean,
    # in the Americas), never "World".
    assert {"011", "202", "002", "155", "150", "419", "019"} <= set(doc.region)
    assert "001" not in doc.region and doc.region == sorted(doc.region)
    assert doc.sdg == [5, 8]
    assert (doc.type, doc.year, doc.date_key) == ("working-paper", 2019, 20190517)
    assert (doc.organisation, doc.organisation_id) == (org.slug, org.pk)
    assert doc.source == "upload" and doc.keywords == ["logement"]
    assert doc.digest == _digest_as_first_stored(doc)


def test_a_place_less_item_is_global_and_the_digest_follows_every_field(make_item):
    item = make_item("Economía solidaria")
    [doc] = documents.build([item.pk])
    assert doc.region == [documents.GLOBAL_REGION] and doc.organisation == ""
    assert doc.digest == _digest_as_first_stored(doc)
    changed = dataclasses.replace(doc, creators=["Someone"])
    assert changed.compute_digest() != doc.digest
