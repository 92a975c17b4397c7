"""The evidence map: SDG × top-level region counts in two queries, readers' links, permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ssehub.library.models import ItemGoal, Status
from ssehub.search import evidence


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def places(make_item):
    items = {
        "africa": make_item("Savings groups in Senegal", sdgs="5; 8", countries="SN"),
        # A country (Europe) plus an explicit sub-region of the Americas (South America).
        "two": make_item("Energy cooperatives in France and South America", sdgs="7",
                         countries="FR", regions="005"),
        "nowhere": make_item("Decent work in the social economy", sdgs="8"),
        "world": make_item("A global survey of cooperatives", sdgs="8", regions="001"),
        # Two countries of the same continent count once there.
        "andes": make_item("Water in Bolivia and Uruguay", sdgs="6", countries="BO; UY"),
        "draft": make_item("Draft on women traders in Mali", sdgs="5", countries="ML",
                           status=Status.DRAFT, organisation="ilo"),
        "withdrawn": make_item("Withdrawn study in Kenya", sdgs="5", countries="KE",
                               status=Status.WITHDRAWN),
    }
    # A machine link an editor rejected is not shown to readers, so not counted.
    ItemGoal.objects.create(item=items["africa"], goal_id=9, source=ItemGoal.Source.MACHINE)
    ItemGoal.objects.create(item=items["africa"], goal_id=9, source=ItemGoal.Source.EDITOR,
                            rejected=True)
    # A machine link nobody judged is shown, so counted.
    ItemGoal.objects.create(item=items["andes"], goal_id=11, source=ItemGoal.Source.MACHINE)
    # A target link of a goal already linked adds nothing.
    ItemGoal.objects.create(item=items["andes"], goal_id=6, target_id="6.1",
                            source=ItemGoal.Source.EDITOR)
    return items


def test_top_level_regions_roll_up_the_m49_tree(db):
    tops = evidence.top_level_of()
    assert tops["011"] == "002"  # Western Africa → Sub-Saharan Africa → Africa
    assert tops["005"] == "019" and tops["419"] == "019"
    assert tops["001"] == "001"


def test_counts_for_the_public(places, anonymous, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        cells, totals = evidence.counts(anonymous)
    assert cells[(5, "002")] == 1  # the draft (Mali) and the withdrawn item (Kenya) are hidden
    assert cells[(8, "002")] == 1
    assert cells[(8, "001")] == 2  # no place, and explicitly World
    assert cells[(7, "150")] == 1 and cells[(7, "019")] == 1
    assert cells[(6, "019")] == 1  # Bolivia and Uruguay: one item
    assert cells[(11, "019")] == 1
    assert (9, "002") not in cells
    assert totals == {"002": 1, "019": 2, "150": 1, "001": 2}


def test_counts_follow_the_viewer(places, contributor, editor):
    assert evidence.counts(contributor)[0][(5, "002")] == 2  # their organisation's draft
    assert evidence.counts(editor)[0][(5, "002")] == 3  # editors see everything


def test_page_is_a_heat_map_table_linking_to_the_search(client, places):
    response = client.get(reverse("search:evidence_map"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<th scope="row">') == 18  # 17 goals and the totals row
    assert "/search/?sdg=5&amp;region=002" in html
    assert "/search/?sdg=8&amp;region=global" in html
    assert 'aria-label="SDG 8, World / global: 2 items"' in html
    assert response.context["maximum"] == 2
    assert "Evidence map" in client.get(reverse("portal:home")).content.decode()


def test_every_cell_opens_a_search_with_its_count(client, places, indexed):
    indexed()
    response = client.get(reverse("search:evidence_map"))
    checked = 0
    for row in response.context["rows"]:
        for cell in row["cells"]:
            if not cell["count"]:
                continue
            found = client.get(cell["url"]).context["response"]
            assert found.total == cell["count"], (cell["label"], cell["url"])
            checked += 1
    assert checked == 7  # every non-empty cell of the public map, World / global included
    # The facet names the place-less items "World / global" and no longer offers World (001),
    # which every placed item is in.
    regions = {f.value: f.label for f in client.get("/search/?q=").context["response"]
               .facets["region"]}
    assert regions["global"] == "World / global" and "001" not in regions


def test_an_empty_library_shows_zeros(client, db):
    response = client.get(reverse("search:evidence_map"))
    assert response.status_code == 200
    assert response.context["maximum"] == 0


def test_page_counts_are_cached_per_kind_of_viewer(client, places, make_item, contributor):
    url = reverse("search:evidence_map")

    def sdg8_world(response) -> int:
        row = next(r for r in response.context["rows"] if r["goal"].number == 8)
        return row["cells"][-1]["count"]

    assert sdg8_world(client.get(url)) == 2
    make_item("Another global study of decent work", sdgs="8")
    assert sdg8_world(client.get(url)) == 2  # cached for the public
    client.force_login(contributor)
    assert sdg8_world(client.get(url)) == 3  # another viewer, computed now
    from django.core.cache import cache

    cache.clear()
    client.logout()
    assert sdg8_world(client.get(url)) == 3
