"""Every portal page renders, lists only what the user may see, and filters correctly."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ssehub.library.models import ItemGoal
from ssehub.sdg.models import Goal

pytestmark = pytest.mark.django_db

USERS = ["anonymous", "plain_user", "contributor", "editor"]


def _as(request, login, client, who):
    if who != "anonymous":
        login(request.getfixturevalue(who))
    return client


@pytest.mark.parametrize("who", USERS)
def test_pages_render_for_everyone(request, login, client, who, make_item, org):
    item = make_item(sdgs=[8])
    client = _as(request, login, client, who)
    for url in [
        reverse("portal:home"),
        reverse("portal:item_list"),
        reverse("portal:item_list") + "?q=decent&sdg=8&page=1",
        reverse("portal:item", args=[item.pk]),
        reverse("portal:organisations"),
        reverse("portal:organisation", args=[org.slug]),
        reverse("login"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="en"' in html
        assert 'href="#main"' in html and "<main" in html and "<footer" in html


def test_home_shows_17_coloured_sdg_tiles_with_counts(client, make_item):
    make_item("About work", sdgs=[8, "8.3"])
    make_item("About poverty", sdgs=[1, 8])
    make_item("Hidden draft", status="draft", sdgs=[8])
    html = client.get(reverse("portal:home")).content.decode()
    assert html.count('class="sdg-tile"') == 17
    for goal in Goal.objects.all():
        assert f"?sdg={goal.number}" in html
        assert goal.colour in html
    # SDG 8 counts the two published items once each (the 8.3 target is not a second item).
    tile_8 = html.split("?sdg=8\"")[1].split("</a>")[0]
    assert "2 items" in tile_8
    assert "About work" in html and "About poverty" in html
    assert "Hidden draft" not in html


def test_item_list_filters(client, make_item, other_org):
    a = make_item("Solidarity finance in Kenya", date="2020", countries=["KE"],
                  languages=["en"], sdgs=[8], type="case-study")
    b = make_item("Économie sociale au Sénégal", date="2022", countries=["SN"],
                  languages=["fr"], sdgs=[1], organisation=other_org.slug)
    url = reverse("portal:item_list")

    def titles(query: str) -> set[str]:
        page = client.get(url + query).context["page"]
        return {item.display_title for item in page.object_list}

    both = {a.display_title, b.display_title}
    assert titles("") == both
    assert titles("?q=solidarity") == {a.display_title}
    assert titles("?q=sénégal") == {b.display_title}  # non-ASCII text stored in JSON
    assert titles("?type=case-study") == {a.display_title}
    assert titles("?sdg=1") == {b.display_title}
    assert titles("?language=fr") == {b.display_title}
    assert titles(f"?organisation={other_org.slug}") == {b.display_title}
    assert titles("?year=2020") == {a.display_title}
    assert titles("?country=ke") == {a.display_title}
    assert titles("?year=2020&country=SN") == set()
    assert titles("?year=notayear") == both  # a bad value is ignored, not an error


def test_item_list_paginates_by_20(client, make_item):
    for n in range(25):
        make_item(f"Report number {n}")
    first = client.get(reverse("portal:item_list"))
    assert len(first.context["page"].object_list) == 20
    assert first.context["paginator"].num_pages == 2
    second = client.get(reverse("portal:item_list") + "?page=2")
    assert len(second.context["page"].object_list) == 5
    assert 'rel="prev"' in second.content.decode()


def test_item_page_shows_metadata_and_citation(client, make_item):
    item = make_item(
        "Cooperatives and decent work", creators=["Doe, Jane", "Roe, Richard"],
        publisher="International Labour Office", date="2021-05", doi="10.1234/coop.2021",
        languages=["en", "fr"], countries=["KE"], regions=["014"], keywords=["cooperatives"],
        licence="CC BY 4.0", sdgs=[8, "8.3"], abstract={"en": "Plain text abstract."},
    )
    ItemGoal.objects.create(item=item, goal_id=5, source=ItemGoal.Source.MACHINE, confidence=0.7)
    html = client.get(item.get_absolute_url()).content.decode()
    assert html.index("Doe, Jane") < html.index("Roe, Richard")
    assert 'href="https://doi.org/10.1234/coop.2021"' in html
    assert "Kenya" in html and "CC BY 4.0" in html and "cooperatives" in html
    assert "Target 8.3" in html and "suggested by machine" in html and "by an editor" in html
    assert ("Doe, Jane; Roe, Richard (2021). Cooperatives and decent work. "
            "International Labour Office. https://doi.org/10.1234/coop.2021") in html
    assert "Plain text abstract." in html
    assert "Demo content" not in html
    assert "Editorial workflow" not in html  # anonymous: no status buttons


def test_demo_items_are_badged(client, make_item):
    item = make_item("A demo report", provenance="demo")
    assert item.provenance == "demo"
    assert "Demo content" in client.get(item.get_absolute_url()).content.decode()


def test_title_falls_back_with_a_note(client, make_item):
    item = make_item("Only in English")
    html = client.get(item.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Only in English" in html
    note = html.split('class="note"')[1].split("</p>")[0]
    assert "votre langue" in note and "affiché en anglais" in note  # French, naming English


def test_abstract_html_is_sanitised(client, make_item):
    item = make_item(abstract={"en": (
        '<p onclick="steal()">Good <strong>bold</strong> <a href="https://example.org" '
        'onmouseover="x()">link</a></p><script>alert("x")</script>'
        '<img src=x onerror="alert(1)"><iframe src="https://evil"></iframe>'
        '<a href="javascript:alert(1)">js</a>')})
    html = client.get(item.get_absolute_url()).content.decode()
    abstract = html.split('class="abstract"')[1].split("</div>")[0]
    assert "<strong>bold</strong>" in abstract
    assert 'rel="noopener nofollow"' in abstract
    for bad in ("<script", "onerror", "onclick", "onmouseover", "<img", "<iframe", "javascript:"):
        assert bad not in abstract.lower(), bad


def test_organisation_pages(client, make_item, org, other_org):
    make_item("Published by ILO")
    make_item("ILO draft", status="draft")
    index = client.get(reverse("portal:organisations")).content.decode()
    assert "Task Force members" in index and "Task Force observers" in index
    assert org.get_absolute_url() in index and other_org.get_absolute_url() in index
    page = client.get(org.get_absolute_url()).content.decode()
    assert "Published by ILO" in page and "ILO draft" not in page
    assert client.get(reverse("portal:organisation", args=["no-such-org"])).status_code == 404


def test_missing_item_is_404(client):
    assert client.get(reverse("portal:item", args=[999999])).status_code == 404
