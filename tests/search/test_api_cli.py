"""The three doors to one search: /api/search (JSON), the /search/ page and `ssehub search`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(make_item, indexed):
    water = make_item({"en": "Water cooperatives in Bolivia"}, sdgs="6", countries="BO",
                      date="2019", abstract={"en": "Cooperatives supply drinking water."})
    energy = make_item({"fr": "Coopératives d'énergie en France"}, sdgs="7", countries="FR",
                       date="2020")
    indexed()
    return water, energy


def test_api_shape(client, items):
    water, _energy = items
    response = client.get("/api/search", {"q": "water", "page_size": 5})
    assert response.status_code == 200
    data = response.json()
    assert data["total"] >= 1
    first = data["results"][0]
    assert first["id"] == water.pk and first["title"] == "Water cooperatives in Bolivia"
    assert isinstance(first["score"], float) and "<mark>" in first["snippet"]
    assert {"value": 6, "count": 1, "label": data["facets"]["sdg"][0]["label"]} in \
        data["facets"]["sdg"]
    assert set(data["facets"]) == {"sdg", "type", "language", "region", "country", "year",
                                   "organisation", "source"}


def test_api_facet_parameters_and_bad_input(client, items):
    _water, energy = items
    data = client.get("/api/search", {"q": "cooperatives", "sdg": "7"}).json()
    assert [r["id"] for r in data["results"]] == [energy.pk]
    for params in ({"q": "x" * 10_000}, {"page": "-3"}, {"page": "abc"},
                   {"page_size": "100000"}, {"sdg": "'; DROP TABLE x"}, {"year_from": "x"},
                   {"q": '"(('}, {"sort": "evil"}, {"mode": "nope"}):
        response = client.get("/api/search", params)
        assert response.status_code == 200, params
        assert "total" in response.json()


def test_search_page(client, items):
    response = client.get("/search/", {"q": "cooperatives"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Water cooperatives in Bolivia" in html and "<mark>" in html
    assert "?q=cooperatives&amp;sdg=6" in html  # a facet link keeps the query
    assert client.get("/search/").status_code == 200  # browse view
    response = client.get("/search/", {"q": "eau", "sdg": ["6", "7"], "sort": "date",
                                       "page": "9"})
    assert response.status_code == 200


def test_search_page_in_french(client, items):
    client.cookies["django_language"] = "fr"
    response = client.get("/search/", {"q": "water"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


def test_cli_json_prints_the_api_object(items, client):
    water, _energy = items
    out = io.StringIO()
    call_command("search", "water", "--json", "--limit", "3", stdout=out)
    data = json.loads(out.getvalue())
    assert data["results"][0]["id"] == water.pk
    api = client.get("/api/search", {"q": "water", "page_size": 3}).json()
    assert data == api


def test_cli_text_and_reindex_check(items):
    out = io.StringIO()
    call_command("search", "cooperatives", stdout=out)
    assert "Water cooperatives in Bolivia" in out.getvalue()
    out = io.StringIO()
    call_command("reindex", "--check", "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is True
    out = io.StringIO()
    call_command("reindex", "--json", stdout=out)
    assert json.loads(out.getvalue())["indexed"] == 2
    out = io.StringIO()
    call_command("reindex", "--outbox", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"applied": 0, "pending": 0}


def test_reindex_check_reports_missing_items(items, settings):
    from ssehub.library.models import Item
    from ssehub.search.models import Outbox

    settings.SSEHUB_SEARCH_INLINE = False
    Item.objects.create(title={"en": "Added without indexing"}, status="published")
    Outbox.objects.all().delete()  # as if the outbox row had been lost
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("reindex", "--check", stdout=out)
    assert exit_info.value.code == 1
    assert "1 missing from the index" in out.getvalue()
