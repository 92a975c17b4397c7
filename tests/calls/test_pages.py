"""Public pages, translations, the call form, and each role's access to the chairs' pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ssehub.calls import permissions
from ssehub.calls.models import Call

from .conftest import call_data, login, user


@pytest.mark.parametrize("lang, text", [("en", "Submit a paper"), ("fr", "Soumettre un article"),
                                        ("es", "Enviar un artículo")])
def test_call_page_in_three_languages(world, client, lang, text):
    page = client.get(f"/calls/{world.call.slug}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert text in page
    assert "Europe/Paris" in page  # the call's time zone, said explicitly


def test_past_calls_stay_visible_with_their_outcomes(world, client):
    past = Call.objects.create(**call_data(
        slug="sse-2023", title="SSE 2023",
        opens_at=timezone.now() - timedelta(days=900),
        abstract_deadline=timezone.now() - timedelta(days=800),
        paper_deadline=timezone.now() - timedelta(days=790),
        review_deadline=timezone.now() - timedelta(days=760),
        notification_date=timezone.now() - timedelta(days=750),
        conference_start=timezone.now() - timedelta(days=700),
        conference_end=timezone.now() - timedelta(days=698)))
    page = client.get("/calls/").content.decode()
    assert "Past calls and their outcomes" in page and "SSE 2023" in page
    assert client.get(f"/calls/{past.slug}/").status_code == 200


def test_editor_creates_a_call_through_the_form_in_its_time_zone(world, client):
    login(client, world.chair)
    form = {"slug": "sse-2029", "title": "SSE 2029", "description": "Call",
            "timezone": "America/Bogota", "themes_text": "finance, care",
            "languages_list": ["en", "es"], "sdgs_list": ["8"], "venue": "Bogota",
            "reviews_per_paper": "3", "min_load": "1", "max_load": "5",
            "series": "UNTFSSE Working Papers"}
    for i, name in enumerate(["opens_at", "abstract_deadline", "paper_deadline",
                              "review_deadline", "notification_date", "conference_start",
                              "conference_end"]):
        form[name] = f"2029-0{i + 1}-15T23:59"
    assert client.post("/calls/new/", form).status_code == 302
    call = Call.objects.get(slug="sse-2029")
    assert call.abstract_deadline.isoformat() == "2029-02-16T04:59:00+00:00"  # Bogota UTC-5
    assert call.themes == ["finance", "care"] and call.languages == ["en", "es"]
    assert permissions.is_manager(world.chair, call)  # the creator chairs it


def test_dates_out_of_order_are_refused(world, client):
    login(client, world.chair)
    form = {"slug": "bad", "title": "Bad", "timezone": "UTC", "languages_list": ["en"],
            "reviews_per_paper": "3", "min_load": "0", "max_load": "5", "series": "S"}
    for name in ["opens_at", "abstract_deadline", "paper_deadline", "review_deadline",
                 "notification_date", "conference_start", "conference_end"]:
        form[name] = "2029-01-15T10:00"
    form["abstract_deadline"] = "2028-01-01T10:00"
    response = client.post("/calls/new/", form)
    assert response.status_code == 200 and "must follow one another" in response.content.decode()
    assert not Call.objects.filter(slug="bad").exists()


def test_role_matrix_of_the_chairs_pages(world, client):
    sub = world.submit()
    plain = user("plain")
    expected = {world.chair: 200, world.committee: 403, world.reviewers[0]: 403,
                world.ann: 403, plain: 403}
    for who, status in expected.items():
        client.logout()
        login(client, who)
        for path in ("manage/", "manage/assignment/", "manage/decisions/",
                     "manage/programme/"):
            assert client.get(f"/calls/{world.call.slug}/{path}").status_code == status, (
                who.username, path)
        paper_status = 200 if who in (world.chair, world.committee, world.reviewers[0],
                                      world.ann) else 403
        assert client.get(f"/calls/paper/{sub.pk}/").status_code == paper_status, who.username
    client.logout()
    assert client.get(f"/calls/{world.call.slug}/manage/").status_code == 302
    assert client.get("/calls/new/").status_code == 302
    login(client, world.committee)
    assert client.get("/calls/new/").status_code == 403


def test_publish_and_assignment_actions_need_post_and_csrf(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    login(strict, world.chair)
    assert strict.post(f"/calls/{world.call.slug}/manage/assignment/",
                       {"action": "propose"}).status_code == 403  # no CSRF token
    assert strict.get(f"/calls/{world.call.slug}/manage/publish/").status_code == 405


def test_outside_text_is_escaped(world, client):
    sub = world.submit(title="<script>alert(1)</script> finance")
    login(client, world.chair)
    page = client.get(f"/calls/paper/{sub.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_reserved_slug_is_refused(world):
    from django.core.exceptions import ValidationError

    from ssehub.calls import services

    with pytest.raises(ValidationError, match="reserved"):
        services.create_call(call_data(slug="new"), actor=world.chair)


def test_reviewer_declares_a_conflict_during_bidding(world, client):
    sub = world.submit()
    rev = world.reviewers[0]
    login(client, rev)
    page = client.get(f"/calls/paper/{sub.pk}/").content.decode()
    assert "Declare a conflict" in page
    response = client.post(f"/calls/paper/{sub.pk}/", {"declare_conflict": "1",
                                                       "reason": "I know this work"})
    assert response.status_code == 302
    assert client.get(f"/calls/paper/{sub.pk}/").status_code == 403


@pytest.mark.parametrize("criteria, text_fields, message", [
    ([{"key": "x", "label": "X", "min": 5, "max": 1}], [], "min must be below max"),
    ([{"key": "x", "label": "X", "min": 1, "max": 5}] * 2, [], "same key"),
    ([{"key": "bad key", "label": "X", "min": 1, "max": 5}], [], "needs a key"),
    ([{"key": "x", "label": "X", "min": "a", "max": 5}], [], "whole numbers"),
    ([], [{"key": "c", "label": "C", "audience": "everyone"}], "audience"),
])
def test_a_broken_review_form_is_refused(world, criteria, text_fields, message):
    from django.core.exceptions import ValidationError

    world.call.criteria, world.call.text_fields = criteria, text_fields
    with pytest.raises(ValidationError, match=message):
        world.call.full_clean()


def test_chair_edits_the_review_form_on_the_web(world, client):
    login(client, world.chair)
    page = client.get(f"/calls/{world.call.slug}/manage/edit/").content.decode()
    assert "relevance | Relevance to the call | 1 | 5 | 1.0" in page
    local = world.call.local(world.call.abstract_deadline).strftime("%Y-%m-%dT%H:%M")
    assert local in page  # dates shown in the call's own time zone
    from django.forms.models import model_to_dict

    from ssehub.calls.forms import CallForm

    form = CallForm(instance=world.call)
    data = {k: v for k, v in model_to_dict(world.call).items() if v is not None}
    for name in ("opens_at", "abstract_deadline", "paper_deadline", "review_deadline",
                 "notification_date", "conference_start", "conference_end"):
        data[name] = form.initial[name].strftime("%Y-%m-%dT%H:%M")
    data.update({"languages_list": ["en"], "themes_text": "care",
                 "criteria_text": "impact | Impact on policy | 0 | 10 | 2",
                 "text_fields_text": "summary | Summary for authors | authors"})
    data.pop("criteria"), data.pop("text_fields")
    response = client.post(f"/calls/{world.call.slug}/manage/edit/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    world.call.refresh_from_db()
    assert world.call.criteria == [{"key": "impact", "label": "Impact on policy", "min": 0,
                                    "max": 10, "weight": 2.0}]
    assert world.call.text_fields[0]["audience"] == "authors"
    assert world.call.themes == ["care"]
    data["criteria_text"] = "impact | Impact | 10 | 0 | 1"
    response = client.post(f"/calls/{world.call.slug}/manage/edit/", data)
    assert response.status_code == 200 and "min must be below max" in response.content.decode()
    login(client, world.committee)
    assert client.get(f"/calls/{world.call.slug}/manage/edit/").status_code == 403


def test_profile_sets_time_zone_language_and_a_checked_orcid(world, client):
    from ssehub.calls.models import Profile

    login(client, world.bob)
    bad = client.post("/calls/profile/", {"timezone": "Mars/Olympus", "language": "es",
                                          "orcid": "0000-0002-1825-0098"}).content.decode()
    assert "Unknown time zone" in bad and "Not a valid ORCID" in bad
    assert client.post("/calls/profile/", {"timezone": "America/Bogota", "language": "es",
                                           "affiliation": "Univ B",
                                           "orcid": "0000-0002-1825-0097"}).status_code == 302
    prof = Profile.objects.get(user=world.bob)
    assert (prof.timezone, prof.language, prof.orcid) == ("America/Bogota", "es",
                                                          "0000-0002-1825-0097")
