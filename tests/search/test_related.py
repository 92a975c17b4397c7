"""More like this: nearest items by embedding, across languages, only what the viewer may see."""

from __future__ import annotations

import pytest

from ssehub.library.models import Status
from ssehub.search import related, services


@pytest.fixture
def water(make_item, indexed):
    items = {
        "en": make_item({"en": "Water cooperatives and safe drinking water in rural Bolivia"},
                        abstract={"en": "Community water cooperatives supply safe drinking "
                                        "water to villages, governed by their members."}),
        "fr": make_item({"fr": "Les coopératives de l'eau potable dans les villages du Sénégal"},
                        abstract={"fr": "Des coopératives d'usagers gèrent les forages et "
                                        "distribuent l'eau potable aux habitants."}),
        "es": make_item({"es": "Cooperativas de agua potable en comunidades rurales"},
                        abstract={"es": "Las cooperativas comunitarias distribuyen agua potable "
                                        "y gestionan los sistemas de saneamiento."}),
        "housing": make_item({"en": "Football league results of the 1990 season"},
                             abstract={"en": "Scores of the matches and the final table."}),
        "draft": make_item({"en": "Draft: drinking water cooperatives in the Andes"},
                           abstract={"en": "Water cooperatives deliver safe drinking water."},
                           status=Status.DRAFT, organisation="ilo"),
    }
    indexed()
    return items


def test_nearest_items_in_other_languages_without_the_item_or_drafts(water, anonymous):
    found = related.more_like_this(water["en"], anonymous)
    ids = [item.pk for item in found]
    assert water["en"].pk not in ids
    assert water["draft"].pk not in ids
    assert {water["fr"].pk, water["es"].pk} <= set(ids)
    assert ids.index(water["fr"].pk) < len(ids) and water["housing"].pk not in ids[:2]


def test_members_see_their_organisations_drafts(water, contributor, plain_user):
    assert water["draft"].pk in [i.pk for i in related.more_like_this(water["en"], contributor)]
    assert water["draft"].pk not in [i.pk for i in related.more_like_this(water["en"],
                                                                          plain_user)]


def test_limit_and_window_widening(water, anonymous, monkeypatch):
    assert len(related.more_like_this(water["en"], anonymous, limit=1)) == 1
    assert related.more_like_this(water["en"], anonymous, limit=0) == []
    # A window too small for the viewer (the draft comes first) is widened, not cut short.
    monkeypatch.setattr(related, "FIRST_WINDOW", 1)
    found = related.more_like_this(water["draft"], anonymous, limit=2)
    assert len(found) == 2 and water["draft"].pk not in [i.pk for i in found]


def test_an_item_not_yet_embedded_is_embedded_on_the_fly(make_item, water, anonymous):
    fresh = make_item({"en": "Drinking water cooperatives in Peru"})  # outbox not applied
    assert fresh.pk not in services.vector_store().digests()
    assert water["en"].pk in [i.pk for i in related.more_like_this(fresh, anonymous)]


def test_item_page_lists_related_items(client, water):
    response = client.get(water["en"].get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "More like this" in html
    assert water["fr"].get_absolute_url() in html
    assert water["draft"].get_absolute_url() not in html


def test_a_damaged_vector_store_never_breaks_the_item_page(client, water, index_dir):
    store = services.vector_store()
    store.compact()
    (index_dir / "vectors" / "base.npz").write_bytes(b"not a numpy file")
    store._base_stamp = None
    response = client.get(water["en"].get_absolute_url())
    assert response.status_code == 200
    assert "More like this" not in response.content.decode()


def test_semantic_search_off_means_no_related_items(water, anonymous, settings):
    settings.SSEHUB_SEARCH_SEMANTIC = False
    assert related.more_like_this(water["en"], anonymous) == []
