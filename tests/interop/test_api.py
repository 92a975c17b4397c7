"""The REST API: reading with the reader's permissions, writing through the library services
with token authentication, cursor pages, search filters, throttling, the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.apps import apps
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ssehub.library.models import Item, ItemVersion, Status

from .conftest import reject_machine_goal


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def all_pages(client: APIClient, url: str) -> list[dict]:
    results = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        results += response.json()["results"]
        url = response.json()["next"]
    return results


def test_public_list_is_published_items_by_cursor(library):
    results = all_pages(api(), "/api/items/?page_size=3")
    assert sorted(r["id"] for r in results) == sorted(i.pk for i in library.published)
    assert all(r["status"] == "published" for r in results)
    first = results[0]
    assert set(first) >= {"uid", "title", "abstract", "creators", "sdgs", "url", "provenance"}
    assert first["url"].startswith("http://testserver/items/")


def test_editor_sees_everything_and_contributor_their_drafts(library, editor, contributor):
    assert len(all_pages(api(editor), "/api/items/")) == 10
    mine = {r["id"] for r in all_pages(api(contributor), "/api/items/")}
    assert library.draft.pk in mine  # ILO draft, contributor is an ILO member
    assert api().get(f"/api/items/{library.draft.pk}/").status_code == 404
    assert api(contributor).get(f"/api/items/{library.draft.pk}/").status_code == 200


def test_detail_shows_only_effective_sdg_links(library):
    item = library.published[1]
    reject_machine_goal(item, 13)
    data = api().get(f"/api/items/{item.pk}/").json()
    assert {(s["goal"], s["target"]) for s in data["sdgs"]} == {(8, "8.3")}
    assert data["title"] == {"en": "Cooperatives and decent work 1"}


def test_create_needs_a_token_and_a_role(db, org, contributor, plain_user, editor):
    body = {"title": {"en": "Via the API", "fr": "Par l'API"}, "type": "report",
            "organisation": "ilo", "sdgs": ["8.3"], "creators": [{"name": "A. Author"}]}
    assert api().post("/api/items/", body, format="json").status_code in (401, 403)
    assert api(plain_user).post("/api/items/", body, format="json").status_code == 403
    response = api(contributor).post("/api/items/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft" and data["provenance"]["kind"] == "api"
    item = Item.objects.get(pk=data["id"])
    assert item.versions.count() == 1 and item.created_by == contributor
    # Contributors cannot publish; editors can.
    assert api(contributor).post("/api/items/", {**body, "status": "published"},
                                 format="json").status_code == 403
    assert api(editor).post("/api/items/", {**body, "status": "published"},
                            format="json").status_code == 201
    assert Item.objects.count() == 2


def test_create_reports_every_bad_field(db, editor):
    response = api(editor).post("/api/items/", {
        "title": {"1!": "t"}, "type": "nonsense", "date": "last year",
        "sdgs": ["99"], "organisation": "nobody"}, format="json")
    assert response.status_code == 400
    assert {"title", "type", "date", "sdgs", "organisation"} <= set(response.json()["errors"])
    wrong_types = api(editor).post("/api/items/", {"title": 5, "languages": [1, {}],
                                                   "creators": "x"}, format="json")
    assert wrong_types.status_code == 400
    assert Item.objects.count() == 0


def test_update_through_the_services(library, contributor, other_contributor, editor):
    draft = library.draft
    response = api(contributor).patch(f"/api/items/{draft.pk}/",
                                      {"publisher": "ILO Press"}, format="json")
    assert response.status_code == 200 and response.json()["publisher"] == "ILO Press"
    assert ItemVersion.objects.filter(item=draft).count() == 2
    # Another organisation's contributor does not even see it.
    assert api(other_contributor).patch(f"/api/items/{draft.pk}/", {"publisher": "x"},
                                        format="json").status_code == 404
    # Contributors may not publish, and a refused status change leaves the metadata alone.
    response = api(contributor).patch(f"/api/items/{draft.pk}/",
                                      {"publisher": "Other", "status": "published"},
                                      format="json")
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.publisher == "ILO Press" and draft.status == Status.DRAFT
    response = api(editor).patch(f"/api/items/{draft.pk}/", {"status": "published"},
                                 format="json")
    assert response.status_code == 200 and response.json()["status"] == "published"
    # Published items are the editors' to change.
    assert api(contributor).patch(f"/api/items/{draft.pk}/", {"publisher": "x"},
                                  format="json").status_code == 403


def test_search_filters_use_the_search_service(library):
    response = api().get("/api/items/?type=dataset")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [r["id"] for r in data["results"]] == [library.published[3].pk]
    assert data["total"] == 1
    ids = {r["id"] for r in all_pages(api(), "/api/items/?sdg=8&page_size=2")}
    assert ids == {i.pk for i in library.published[1::2]}
    response = api().get("/api/items/?q=decent&cursor=forged")
    assert response.status_code == 404


def test_organisations_and_sdg_framework(db):
    orgs = all_pages(api(), "/api/organisations/")
    assert "ilo" in {o["slug"] for o in orgs}
    assert api().get("/api/organisations/ilo/").json()["slug"] == "ilo"
    assert api().get("/api/organisations/nope/").status_code == 404
    goals = api().get("/api/sdg/goals/").json()
    assert [g["number"] for g in goals] == list(range(1, 18))
    goal8 = api().get("/api/sdg/goals/8/").json()
    assert "8.3" in {t["code"] for t in goal8["targets"]}
    assert api().get("/api/sdg/goals/99/").status_code == 404
    # /api/search and /api/sdg/classify still belong to their apps.
    assert api().get("/api/search?q=x").status_code == 200


def test_throttling(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"}}
    codes = [api().get("/api/sdg/goals/8/").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_schema_and_docs(db):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/items/", "/api/items/{id}/", "/api/organisations/",
            "/api/sdg/goals/"} <= set(schema["paths"])
    assert api().get("/api/docs/").status_code == 200


@pytest.mark.parametrize("path", ["/api/items/?page_size=abc", "/api/items/?cursor=%00",
                                  "/api/items/?year_from=99999999999999999999",
                                  "/api/items/?sdg=1&sdg=x&q=" + "a" * 5000])
def test_bad_query_parameters(library, path):
    assert api().get(path).status_code in (200, 400, 404)


@pytest.mark.skipif(not apps.is_installed("ssehub.harvest"), reason="harvest app not installed")
def test_harvest_sources_are_read_only_and_discreet(db, editor):
    from ssehub.harvest.models import Source

    Source.objects.create(name="socioeco", kind="oai", url="https://example.org/oai",
                          options={"api_key": "secret"})
    Source.objects.create(name="local-csv", kind="tabular", url="/srv/private/data.csv")
    sources = {s["name"]: s for s in all_pages(api(), "/api/harvest/sources/")}
    assert sources["socioeco"]["url"] == "https://example.org/oai"
    assert sources["local-csv"]["url"] == ""
    assert "secret" not in str(sources) and "options" not in sources["socioeco"]
    assert sources["socioeco"]["last_run"] is None
    assert sources["socioeco"]["health"] == "never"
    assert api(editor).post("/api/harvest/sources/", {"name": "x"}).status_code == 405
    assert api().get("/api/harvest/sources/socioeco/").status_code == 200


def test_the_schema_lists_every_health_a_source_can_have(db):
    from ssehub.harvest.services import HEALTH_LABELS

    schemas = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
                        ).json()["components"]["schemas"]
    [ref] = schemas["HarvestSource"]["properties"]["health"]["allOf"]
    assert set(schemas[ref["$ref"].rsplit("/", 1)[-1]]["enum"]) == set(HEALTH_LABELS)


def test_invalid_unicode_is_a_400_not_a_500(db, editor):
    body = '{"title": {"en": "bad \\ud800 text"}, "type": "report"}'
    response = api(editor).post("/api/items/", body, content_type="application/json")
    assert response.status_code == 400
    assert Item.objects.count() == 0
