"""The back office upload: "Add survey" checks and imports an XLSForm, or lists what to fix."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ssehub.surveys.models import FormVersion, Survey

from .helpers import simple, xlsx

URL = "/admin/surveys/survey/import/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_add_survey_leads_to_the_upload(admin_client):
    response = admin_client.get(reverse("admin:surveys_survey_add"))
    assert response.status_code == 302 and response["Location"] == URL
    page = admin_client.get(URL)
    assert page.status_code == 200 and b"Import an XLSForm" in page.content


@pytest.mark.django_db
def test_upload_imports_a_version(admin_client, admin_user):
    data = xlsx(simple())  # built once: openpyxl stamps the time into each new file
    response = admin_client.post(URL, {"file": SimpleUploadedFile("members.xlsx", data),
                                       "name": ""})
    version = FormVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:surveys_formversion_change",
                                           args=[version.pk])
    assert version.survey.name == "members" and version.created_by == admin_user
    page = admin_client.get(response["Location"])
    assert page.status_code == 200

    again = admin_client.post(URL, {"file": SimpleUploadedFile("members.xlsx", data),
                                    "name": "members"}, follow=True)
    assert b"Unchanged" in again.content
    assert FormVersion.objects.count() == 1


@pytest.mark.django_db
def test_upload_of_a_bad_form_lists_the_problems(admin_client):
    bad = xlsx(simple(rows=[["select_one nope", "x", "X"]]))
    response = admin_client.post(URL, {"file": SimpleUploadedFile("bad.xlsx", bad)})
    assert response.status_code == 200
    text = response.content.decode()
    assert "survey sheet, row 2, column A (type)" in text and "&#x27;nope&#x27;" in text
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_upload_over_the_size_limit(admin_client, settings):
    settings.SSEHUB_SURVEY_MAX_FILE_BYTES = 100
    response = admin_client.post(URL, {"file": SimpleUploadedFile("big.xlsx", b"x" * 101)})
    assert response.status_code == 200 and b"over the limit" in response.content


@pytest.mark.django_db
def test_people_outside_the_back_office_cannot_upload(client, contributor):
    client.force_login(contributor)
    upload = SimpleUploadedFile("members.xlsx", xlsx(simple()))
    response = client.post(URL, {"file": upload})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_editors_set_the_deadline_and_see_responses_read_only(client, editor):
    from django.urls import reverse

    from ssehub.surveys import services
    from ssehub.surveys.models import Response

    from .forms import GOOD, make_survey

    survey = make_survey()
    editor.is_staff = True  # the back office is for staff; editors are staff there
    editor.save()
    client.force_login(editor)
    change = reverse("admin:surveys_survey_change", args=[survey.pk])
    page = client.get(change)
    assert page.status_code == 200 and b"deadline" in page.content
    response = client.post(change, {
        "title": "T", "deadline_0": "2099-01-31", "deadline_1": "12:00:00",
        "public_questions": '["comments"]',
        "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
        "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "0"})
    assert response.status_code == 302, response.content[:2000]
    survey.refresh_from_db()
    assert survey.deadline.year == 2099 and survey.public_questions == ["comments"]
    invitation = services.invite_task_force(survey)[0]
    services.save_response(invitation, GOOD, final=True, revision=0)
    stored = Response.objects.get()
    page = client.get(reverse("admin:surveys_response_change", args=[stored.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content


@pytest.mark.django_db
def test_editors_correct_an_invitations_e_mail(client, editor):
    from ssehub.surveys import services
    from ssehub.surveys.models import Invitation

    from .forms import make_survey

    survey = make_survey()
    invitation = services.invite_task_force(survey)[0]
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    change = reverse("admin:surveys_invitation_change", args=[invitation.pk])
    response = client.post(change, {"name": "ILO", "email": "focal@ilo.example"})
    assert response.status_code == 302
    assert Invitation.objects.get(pk=invitation.pk).emails() == ["focal@ilo.example"]
