"""Responses through personal links: validation on the server, partial saves, conflicts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ssehub.surveys import services, tokens
from ssehub.surveys.models import Answer, Response
from ssehub.surveys.submission import clean

from .forms import GOOD, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    return make_survey()


@pytest.fixture
def invitation(survey, org):
    return services.invite_organisations(survey, [org])[0]


def url(invitation) -> str:
    return reverse("surveys:respond", args=[tokens.token_for(invitation.key)])


def post(client, invitation, data, action="submit", revision=0, **extra):
    return client.post(url(invitation), {**data, "action": action, "revision": str(revision)},
                       **extra)


def test_valid_submission_is_stored_typed_with_its_version(client, invitation, survey):
    response = post(client, invitation, GOOD)
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.status == "complete" and stored.version == survey.latest
    assert stored.organisation == invitation.organisation
    assert stored.data["staff"] == 120 and stored.data["sdgs"] == ["sdg1", "sdg8"]
    assert [p["prog_name"] for p in stored.data["programme"]] == ["Coops", "Finance"]
    assert stored.data["budget_k"] == "2.5"  # calculated on the server
    staff = Answer.objects.get(question="staff")
    assert staff.number == 120 and staff.repeat == ""
    assert Answer.objects.filter(question="sdgs").count() == 2
    second = Answer.objects.get(question="beneficiaries", instance="2")
    assert second.repeat == "programme" and second.number == 40
    office = Answer.objects.get(question="office")
    assert (office.latitude, office.longitude) == (46.2, 6.1)


def test_constraint_violation_shows_the_forms_own_message(client, invitation):
    response = post(client, invitation, {**GOOD, "staff": "-3"})
    assert response.status_code == 400
    assert "Staff must be between 0 and 99,999" in response.content.decode()
    assert not Response.objects.exists()


def test_constraint_message_in_the_respondents_language(client, invitation):
    response = post(client, invitation, {**GOOD, "staff": "-3", "lang": "fr",
                                         "org_name": ""})
    body = response.content.decode()
    assert "Le personnel doit être entre 0 et 99 999" in body
    # No French required message in the form: its default language's, not the hub's.
    assert "Please give the organisation&#x27;s name" in body
    # The hub's own words follow the form's language.
    assert "Enregistrer et continuer plus tard" in body and '<html lang="fr">' in body
    # A language the form does not have: its default language, for the hub's words too.
    page = client.get(url(invitation) + "?lang=es").content.decode()
    assert "Save and continue later" in page and "Organisation name" in page


def test_required_questions_skipped_are_refused(client, invitation):
    data = {k: v for k, v in GOOD.items() if k != "org_name"}
    response = post(client, invitation, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Please give the organisation&#x27;s name" in body
    assert 'aria-invalid="true"' in body and 'aria-describedby="f-org_name-error"' in body
    assert not Response.objects.exists()


def test_required_in_a_repeat_instance(survey):
    form = survey.latest.form()
    cleaned = clean(form, {**GOOD, "programme:1:prog_name": ""})
    assert cleaned.errors == {"programme:1:prog_name": "This question is required."}


def test_non_relevant_answers_are_dropped(client, invitation):
    post(client, invitation, {**GOOD, "is_member": "no", "staff": "55"})
    stored = Response.objects.get()
    assert "staff" not in stored.data
    assert not Answer.objects.filter(question="staff").exists()


def test_choice_outside_the_list_and_wrong_types_are_refused(survey):
    form = survey.latest.form()
    cleaned = clean(form, {**GOOD, "is_member": "maybe", "sdgs": ["sdg1", "sdg99"],
                           "staff": "12abc", "budget": "1e9", "founded": "2999-01-01",
                           "office": "95 10"})
    # staff is not relevant once is_member is refused: its error is dropped with it.
    assert set(cleaned.errors) == {"is_member", "sdgs", "budget", "founded", "office"}
    assert clean(form, {**GOOD, "staff": "12abc"}).errors == {"staff": "Enter a whole number."}


def test_extra_fields_are_never_stored_and_missing_ones_are_unanswered(client, invitation):
    post(client, invitation, {**GOOD, "is_admin": "1", "programme:0:evil": "x",
                              "region:7:region_name": "Nowhere"})
    stored = Response.objects.get()
    flat = repr(stored.data)
    assert "is_admin" not in flat and "evil" not in flat and "Nowhere" not in flat
    assert len(stored.data["region"]) == 1  # the form computes the count: ${n_regions}


def test_computed_repeat_count_is_enforced(survey):
    form = survey.latest.form()
    cleaned = clean(form, {**GOOD, "n_regions": "2", "region:count": "5"})
    assert len(cleaned.data["region"]) == 2


def test_partial_save_then_resume_from_the_same_link(client, invitation):
    response = post(client, invitation, {"org_name": "ILO", "budget": "-1"}, action="save")
    assert response.status_code == 200  # saved, except the invalid answer, shown again
    stored = Response.objects.get()
    assert stored.status == "partial" and stored.data == {"org_name": "ILO"}
    page = client.get(url(invitation)).content.decode()
    assert 'value="ILO"' in page and 'name="revision" value="1"' in page
    response = post(client, invitation, GOOD, revision=1)
    assert response.status_code == 302
    assert Response.objects.get().status == "complete"


def test_forged_token_is_refused(client, invitation):
    forged = invitation.key + "." + "0" * 32
    assert client.get(reverse("surveys:respond", args=[forged])).status_code == 404
    assert client.post(reverse("surveys:respond", args=["nothing"]),
                       {**GOOD, "action": "submit"}).status_code == 404
    assert not Response.objects.exists()


def test_response_after_the_deadline_is_refused(client, invitation, survey):
    post(client, invitation, GOOD)
    survey.deadline = timezone.now() - dt.timedelta(minutes=1)
    survey.save()
    response = post(client, invitation, {**GOOD, "org_name": "Changed"}, revision=1)
    assert response.status_code == 403
    assert Response.objects.get().data["org_name"] == "ILO"
    page = client.get(url(invitation)).content.decode()
    assert "This survey is closed" in page and "disabled" in page


def test_stale_revision_loses_the_compare_and_set(client, invitation):
    assert post(client, invitation, GOOD).status_code == 302
    # Two tabs opened at revision 1: the first save wins, the second is told.
    assert post(client, invitation, {**GOOD, "org_name": "A"}, revision=1).status_code == 302
    response = post(client, invitation, {**GOOD, "org_name": "B"}, revision=1)
    assert response.status_code == 409
    assert "changed elsewhere" in response.content.decode()
    assert Response.objects.get().data["org_name"] == "A"


def test_two_first_submissions_at_once_one_wins(invitation, monkeypatch):
    """Both requests read "no response yet" before either wrote: the database's unique
    invitation decides, and the loser gets EditConflict instead of a second response."""
    assert services.save_response(invitation, GOOD, final=True, revision=0).saved
    monkeypatch.setattr(services, "response_of", lambda invitation: None)
    with pytest.raises(services.EditConflict):
        services.save_response(invitation, {**GOOD, "org_name": "B"}, final=True, revision=0)
    assert Response.objects.count() == 1 and Response.objects.get().data["org_name"] == "ILO"


def test_upload_over_the_size_limit_is_refused(settings, survey):
    from .forms import make_upload_survey

    upload_survey = make_upload_survey()
    settings.SSEHUB_SURVEY_MAX_UPLOAD_BYTES = 100
    form = upload_survey.latest.form()
    big = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 200, "image/png")
    cleaned = clean(form, {}, {"logo": big})
    assert "over the limit of 100 bytes" in cleaned.errors["logo"]
    fake = SimpleUploadedFile("logo.png", b"<script>alert(1)</script>", "image/png")
    assert "not accepted" in clean(form, {}, {"logo": fake}).errors["logo"]
    small = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n1234", "image/png")
    cleaned = clean(form, {}, {"logo": small})
    assert cleaned.valid and cleaned.data["logo"]["type"] == "image/png"


def test_form_revision_keeps_older_responses_on_their_version(client, invitation, survey):
    from ssehub.surveys.importer import import_form

    post(client, invitation, GOOD)
    old_version = survey.latest
    import_form(_revised(), "tf.xlsx", survey.name)
    survey.refresh_from_db()
    assert survey.latest.number == 2
    stored = Response.objects.get()
    assert stored.version == old_version
    # Editing it again still validates against version 1.
    assert post(client, invitation, {**GOOD, "org_name": "ILO 2"}, revision=1).status_code \
        == 302
    assert Response.objects.get().version == old_version


def _revised() -> bytes:
    from .forms import CHOICES, HEADER, ROWS, SETTINGS
    from .helpers import xlsx

    rows = [*ROWS, ["text", "new_q", "New question", "Nouvelle question"] + [""] * 9]
    return xlsx({"survey": [HEADER, *rows], "choices": CHOICES, "settings": SETTINGS})


def test_token_holder_only_reaches_their_own_response(client, survey, org, other_org):
    mine, theirs = services.invite_organisations(survey, [org, other_org])
    post(client, theirs, {**GOOD, "org_name": "RIPESS"})
    page = client.get(url(mine)).content.decode()
    assert "RIPESS" not in page


def test_open_link_gives_each_visitor_a_personal_link(client, survey):
    key = services.enable_open_link(survey)
    open_url = reverse("surveys:open", args=[key])
    assert client.get(open_url).status_code == 200
    response = client.post(open_url, {"org_name": "Coop", "action": "save"})
    assert response.status_code == 302 and "/surveys/r/" in response["Location"]
    stored = Response.objects.get()
    assert stored.organisation is None and stored.data == {"org_name": "Coop"}
    # An invalid final submission through the open link creates nothing.
    bad = client.post(open_url, {"org_name": "", "action": "submit"})
    assert bad.status_code == 400 and Response.objects.count() == 1
    assert client.get(reverse("surveys:open", args=["wrong"])).status_code == 404


def test_uploaded_files_are_for_editors_of_that_survey_only(client, settings, editor,
                                                            contributor):
    from .forms import make_upload_survey

    upload_survey = make_upload_survey()
    invitation = services.invite_contacts(upload_survey, [("A", "a@example.org")])[0]
    png = b"\x89PNG\r\n\x1a\n" + b"1" * 50
    services.save_response(invitation, {}, {"logo": SimpleUploadedFile("logo.png", png)},
                           final=True, revision=0)
    digest = Response.objects.get().data["logo"]["sha256"]
    target = reverse("surveys:file", args=[upload_survey.name, digest])
    client.force_login(contributor)
    assert client.get(target).status_code == 403
    client.force_login(editor)
    response = client.get(target)
    assert response.status_code == 200 and b"".join(response.streaming_content) == png
    assert "attachment" in response["Content-Disposition"]
    other = make_survey("other")
    assert client.get(reverse("surveys:file", args=[other.name, digest])).status_code == 404
