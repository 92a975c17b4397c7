"""The SDG lens page and POST /api/sdg/classify."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

WATER = ("Access to safe drinking water and sanitation remains a challenge in rural areas, "
         "where community water cooperatives build wells and run the pipes for every family.")


def _post_json(client, body, **extra):
    return client.post("/api/sdg/classify", data=json.dumps(body),
                       content_type="application/json", **extra)


@pytest.mark.django_db
def test_api_classifies_json_text(client):
    response = _post_json(client, {"id": "p1", "text": WATER})
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == "p1" and data["language"] == "en"
    first = data["goals"][0]
    assert first["goal"] == 6 and first["status"] in ("confirmed", "suggested")
    assert first["targets"][0]["target"].startswith("6.")
    assert [g["score"] for g in data["goals"]] == sorted((g["score"] for g in data["goals"]),
                                                         reverse=True)
    term = first["evidence"][0]["terms"][0]
    assert WATER[term["start"]:term["end"]] == term["text"]


@pytest.mark.django_db
def test_api_threshold_filters_goals(client):
    everything = _post_json(client, {"text": WATER}).json()["goals"]
    strict = _post_json(client, {"text": WATER, "threshold": 0.99}).json()["goals"]
    assert all(g["score"] >= 0.99 for g in strict)
    assert len(strict) <= len(everything)


@pytest.mark.django_db
def test_api_target_titles_follow_the_request_language(client):
    data = _post_json(client, {"text": WATER}, HTTP_ACCEPT_LANGUAGE="es").json()
    assert "agua" in data["goals"][0]["targets"][0]["title"].lower()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,status,message",
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"text": 42}', 400, '"text" is required'),
        (b'{"text": "x", "threshold": "high"}', 400, "threshold"),
    ],
)
def test_api_bad_input_gets_a_clear_error(client, body, status, message):
    response = client.post("/api/sdg/classify", data=body, content_type="application/json")
    assert response.status_code == status and message in response.json()["error"]


@pytest.mark.django_db
def test_api_accepts_a_file(client):
    upload = SimpleUploadedFile("water.txt", WATER.encode(), content_type="text/plain")
    data = client.post("/api/sdg/classify", {"file": upload}).json()
    assert data["goals"][0]["goal"] == 6


@pytest.mark.django_db
def test_api_refuses_a_file_it_cannot_read(client):
    upload = SimpleUploadedFile("x.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    response = client.post("/api/sdg/classify", {"file": upload})
    assert response.status_code == 400 and "unsupported" in response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("language,heading", [("en", "SDG lens"), ("fr", "Lentille ODD"),
                                              ("es", "Lente ODS")])
def test_lens_page_in_three_languages(client, language, heading):
    response = client.get("/sdg/lens/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert heading in response.content.decode()


@pytest.mark.django_db
def test_lens_page_shows_wheel_evidence_and_targets(client):
    response = client.post("/sdg/lens/", {"text": WATER + " <script>alert(1)</script>"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<path d=") == 17
    assert 'opacity="1"' in page  # at least one goal in full colour
    assert '<mark class="sdg-mark sdg-mark-6"' in page
    assert "6.1" in page
    assert "<script>alert(1)</script>" not in page


@pytest.mark.django_db
def test_lens_page_explains_empty_input(client):
    page = client.post("/sdg/lens/", {"text": "   "}).content.decode()
    assert "Paste a text or choose a file." in page


@pytest.mark.django_db
def test_goal_names_and_mapper_notes_follow_the_language():
    from django.utils import translation

    from ssehub.sdg.mapper import classify
    from ssehub.sdg.models import Goal

    with translation.override("fr"):
        assert str(Goal.objects.get(number=8)) == "ODD 8 : Travail décent et croissance économique"
        assert classify("zzz qqq www xxx yyy").notes[-1].startswith("aucun ODD trouvé")
    with translation.override("es"):
        assert str(Goal.objects.get(number=8)).startswith("ODS 8: ")
