"""Editors' side: invitations, reminders, the dashboard, exports, analysis and reports.
Each page and service is checked for editor, contributor, anonymous and token holder."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ssehub.core.models import Membership, Organisation
from ssehub.library.models import Item
from ssehub.surveys import analysis, exports, reports, services, tokens
from ssehub.surveys.models import Invitation, Response

from .forms import GOOD, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    return make_survey()


def answer(invitation, data=None, final=True):
    return services.save_response(invitation, data or GOOD, final=final,
                                  revision=0).response


def three(survey):
    """A member (complete), an observer (partial) and another member (silent)."""
    members = list(Organisation.objects.filter(role="member").order_by("slug")[:2])
    observer = Organisation.objects.filter(role="observer").order_by("slug").first()
    invitations = services.invite_organisations(survey, [members[0], observer, members[1]])
    for invitation in invitations:
        invitation.email = f"{invitation.organisation.slug}@example.org"
        invitation.save()
    answer(invitations[0])
    answer(invitations[1], {"org_name": "Obs", "is_member": "no"}, final=False)
    return invitations


@pytest.mark.parametrize("page", ["dashboard", "analysis", "export"])
def test_editor_pages_are_for_editors_only(client, survey, editor, contributor, page):
    args = [survey.name, "csv"] if page == "export" else [survey.name]
    target = reverse(f"surveys:{page}", args=args)
    assert client.get(target).status_code == 302  # anonymous: log in first
    client.force_login(contributor)
    assert client.get(target).status_code == 403
    client.force_login(editor)
    assert client.get(target).status_code == 200


def test_a_token_holder_is_not_an_editor(client, survey, org):
    invitation = services.invite_organisations(survey, [org])[0]
    client.get(reverse("surveys:respond", args=[tokens.token_for(invitation.key)]))
    assert client.get(reverse("surveys:dashboard", args=[survey.name])).status_code == 302


def test_services_refuse_contributors(survey, contributor, anonymous):
    for actor in (contributor, anonymous):
        with pytest.raises(PermissionDenied):
            services.invite_task_force(survey, actor=actor)
        with pytest.raises(PermissionDenied):
            services.remind(survey, actor=actor)
        with pytest.raises(PermissionDenied):
            reports.publish(survey, actor=actor, title="x", questions=["staff"])


def test_invite_task_force_members_and_observers_with_their_contacts(survey, contributor):
    contributor.email = "focal@ilo.example"
    contributor.save()
    made = services.invite_task_force(survey)
    roles = set(Organisation.objects.filter(role__in=["member", "observer"])
                .values_list("pk", flat=True))
    assert {i.organisation_id for i in made} == roles
    ilo = Invitation.objects.get(organisation__slug="ilo")
    assert ilo.emails() == ["focal@ilo.example"]
    assert services.invite_task_force(survey) == []  # once per organisation
    sent = services.send_invitations(survey)
    assert sent == 1 and mail.outbox[0].to == ["focal@ilo.example"]
    assert tokens.token_for(ilo.key) in mail.outbox[0].body


def test_e_mails_speak_the_respondents_language_or_all_three(survey):
    done, partial, silent = three(survey)
    # The partial response was started in French: its reminder is in French only.
    response = partial.response
    response.language = "French (fr)"
    response.save()
    services.remind(survey)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    french = by_recipient[partial.email]
    assert "Chères et chers collègues," in french.body
    assert "Dear colleagues," not in french.body
    # The silent one never said: English, French and Spanish, one after the other.
    body = by_recipient[silent.email].body
    assert body.index("Dear colleagues,") < body.index("Chères et chers collègues,") < body.index(
        "Estimados colegas:")
    assert body.count(tokens.token_for(silent.key)) == 3


def test_remind_only_the_silent_and_partial(survey):
    done, partial, silent = three(survey)
    reminded = services.remind(survey)
    assert {i.pk for i in reminded} == {partial.pk, silent.pk}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([partial.email, silent.email])
    silent.refresh_from_db()
    assert silent.reminders == 1 and silent.last_reminded is not None
    # --due: nothing again within the reminder interval, then again after it.
    assert services.remind(survey, due_only=True) == []
    later = timezone.now() + dt.timedelta(days=8)
    assert len(services.remind(survey, due_only=True, now=later)) == 2


def test_no_reminders_after_the_deadline(survey):
    three(survey)
    survey.deadline = timezone.now() - dt.timedelta(days=1)
    survey.save()
    assert services.remind(survey) == [] and services.remind_due() == 0


def test_remind_command_and_scheduled_job(survey):
    from ssehub.core.scheduler import DEFAULT_JOBS, send_due_survey_reminders

    three(survey)
    out = io.StringIO()
    call_command("survey", "remind", survey.name, stdout=out)
    assert "2 reminder(s) sent" in out.getvalue()
    assert send_due_survey_reminders in DEFAULT_JOBS
    survey.deadline = timezone.now() + dt.timedelta(days=30)
    survey.save()
    Invitation.objects.update(last_reminded=timezone.now() - dt.timedelta(days=10))
    mail.outbox.clear()
    send_due_survey_reminders()
    assert len(mail.outbox) == 2


def test_dashboard_shows_silent_partial_complete_and_reminders(client, survey, editor):
    three(survey)
    services.remind(survey)
    client.force_login(editor)
    page = client.get(reverse("surveys:dashboard", args=[survey.name])).content.decode()
    assert "1 complete, 1 partial, 1 silent." in page
    assert page.count('class="sv-status-silent"') == 1
    assert timezone.now().strftime("%Y-%m-%d") in page


def test_dashboard_actions(client, survey, editor, contributor):
    target = reverse("surveys:action", args=[survey.name])
    client.force_login(contributor)
    assert client.post(target, {"action": "invite-task-force"}).status_code == 403
    client.force_login(editor)
    client.post(target, {"action": "invite-contacts",
                         "contacts": "Ana, ana@example.org\nbob@example.org"})
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "ana@example.org", "bob@example.org"}
    client.post(target, {"action": "open-link"})
    survey.refresh_from_db()
    assert survey.open_key


def test_exports_csv_labels_repeats_xlsx_json(client, survey, editor):
    three(survey)
    csv_text = "".join(exports.csv_chunks(survey))
    header, first = csv_text.lstrip("\ufeff").splitlines()[:2]
    assert header.startswith("_response,_organisation,_status") and "staff" in header
    assert ",complete,1," in first and "sdg1 sdg8" in first
    french = "".join(exports.csv_chunks(survey, labels=True, language="French (fr)"))
    assert "Nom de l'organisation" in french and "Pas de pauvreté; Travail décent" in french
    repeat = "".join(exports.csv_chunks(survey, "programme")).lstrip("\ufeff").splitlines()
    assert repeat[0] == "_response,_parent,_index,prog_name,beneficiaries"
    assert repeat[2].endswith(",2,Finance,40")

    import openpyxl

    client.force_login(editor)
    response = client.get(reverse("surveys:export", args=[survey.name, "xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["responses", "programme", "region"]
    assert book["programme"].max_row == 3
    response = client.get(reverse("surveys:export", args=[survey.name, "json"]))
    records = json.loads(b"".join(response.streaming_content))
    assert len(records) == 2 and records[0]["answers"]["staff"] == 120
    response = client.get(reverse("surveys:export", args=[survey.name, "csv"]) + "?repeat=x")
    assert response.status_code == 404


def test_export_neutralises_formulas(survey, org):
    invitation = services.invite_organisations(survey, [org])[0]
    answer(invitation, {**GOOD, "org_name": "=HYPERLINK(\"http://evil\")"})
    assert "'=HYPERLINK" in "".join(exports.csv_chunks(survey))


def test_analysis_frequencies_crosstab_terms_and_codes(survey):
    done, partial, _silent = three(survey)
    extra = services.invite_organisations(
        survey, [Organisation.objects.filter(role="observer").order_by("slug")[1]])[0]
    answer(extra, {**GOOD, "is_member": "no", "sdgs": ["sdg5"],
                   "comments": "Decent work and gender equality"})
    form = survey.latest.form()
    by = {s.question.name: s for s in analysis.summarise(survey, form, "English (en)",
                                                         crosstab=analysis.ROLE)}
    sdgs = by["sdgs"]
    assert sdgs.answered == 2  # partial responses are not counted
    assert [(label, n) for label, n, _p in sdgs.items] == [
        ("No poverty", 1), ("Gender equality", 1), ("Decent work", 1)]
    assert sdgs.items[0][2] == 50.0
    table = sdgs.crosstab
    keys = [key for key, _label in table.columns]
    assert table.totals[keys.index("member")] == 1 and table.totals[keys.index("observer")] == 1
    assert "<svg" in str(sdgs.chart) and "Gender equality" in str(sdgs.chart)
    assert by["staff"].stats["max"] == 120 and "<svg" in str(by["staff"].chart)
    assert dict(by["comments"].terms)["decent"] == 2
    code = reports.add_code(survey, "comments", "Decent work")
    reports.tag(survey, by["comments"].texts[0][0] if by["comments"].texts else
                analysis.complete_answers(survey, "comments").first().pk, [code.pk])
    again = analysis.summarise(survey, form, "English (en)", questions=["comments"])[0]
    assert again.codes == [("Decent work", 1)]


def test_publish_report_into_the_library_without_private_answers(client, survey, editor,
                                                                 settings):
    # One complete response: the minimum group size is lowered so that its aggregates show
    # (the next test keeps the default and checks what it hides).
    settings.SSEHUB_SURVEY_MIN_GROUP = 1
    three(survey)
    client.force_login(editor)
    response = client.post(reverse("surveys:publish", args=[survey.name]), {
        "title": "Task Force survey 2026", "questions": ["sdgs", "comments", "org_name"],
        "by": analysis.ROLE})
    assert response.status_code == 302
    item = Item.objects.get(item_type__slug="survey-report")
    assert item.status == "published" and item.title == {"en": "Task Force survey 2026"}
    client.logout()
    page = client.get(response["Location"]).content.decode()
    assert "No poverty" in page and "<svg" in page
    assert "Decent work for all" not in page and "ILO" not in page  # individual answers

    # The editor marks the open comments public: their answers are then listed.
    client.force_login(editor)
    response = client.post(reverse("surveys:publish", args=[survey.name]), {
        "title": "Public comments", "questions": ["comments"], "public": ["comments"]})
    survey.refresh_from_db()
    assert survey.public_questions == ["comments"]
    assert "Decent work for all" in client.get(response["Location"]).content.decode()
    report = reports.publish(survey, actor=editor, title="Again", questions=["comments"])
    assert "Decent work for all" in report.html  # the decision is kept
    # Each report is also a standalone HTML file of its item.
    (file,) = report.item.files.all()
    assert file.mime_type == "text/html" and file.filename.endswith(".html")
    from ssehub.library import storage

    with storage.open_blob(file.sha256) as handle:
        document = handle.read().decode()
    assert document.startswith("<!doctype html>") and "<title>Again</title>" in document
    assert "Decent work for all" in document


def test_published_reports_hide_what_too_few_answered(survey, editor):
    invitations = three(survey)
    form = survey.latest.form()
    # One complete response: every aggregate would be that organisation's own answer.
    report = reports.publish(survey, actor=editor, title="Too early", questions=["sdgs"],
                             crosstab=analysis.ROLE)
    assert "No poverty" not in report.html
    assert "fewer than 3 answers" in report.html
    # The editor's own analysis page still shows everything.
    private = analysis.summarise(survey, form, "English (en)", questions=["sdgs"])[0]
    assert private.answered == 1 and not private.suppressed and private.items
    # Three complete responses (two members, one observer): the question is published; with
    # groups of at least two, the members' cross-tab column is, the observer's is not.
    for invitation in invitations[1:]:
        current = Response.objects.filter(invitation=invitation).first()
        services.save_response(invitation, GOOD, final=True,
                               revision=current.revision if current else 0)
    published = analysis.summarise(survey, form, "English (en)", questions=["sdgs"],
                                   crosstab=analysis.ROLE, min_group=2)[0]
    assert published.answered == 3 and not published.suppressed
    table = published.crosstab
    assert table is not None and table.hidden == 1
    shown = dict(zip([key for key, _label in table.columns], table.totals, strict=True))
    assert shown["member"] == 2 and "observer" not in shown
    report = reports.publish(survey, actor=editor, title="Now", questions=["sdgs"],
                             crosstab=analysis.ROLE)  # the default minimum, 3
    assert "No poverty" in report.html and "too few answers to publish" in report.html


def test_publish_needs_known_questions(survey, editor):
    with pytest.raises(ValueError):
        reports.publish(survey, actor=editor, title="x", questions=["nope"])


def test_invite_and_export_commands(survey, tmp_path):
    member = Organisation.objects.filter(role="member").first()
    user = Membership.objects.filter(organisation=member).first()
    out = io.StringIO()
    call_command("survey", "invite", survey.name, "--organisation", member.slug,
                 "--contact", "Ana,ana@example.org", "--deadline", "2099-12-31",
                 "--open-link", stdout=out)
    assert "2 new invitation(s)" in out.getvalue() and "/surveys/open/" in out.getvalue()
    survey.refresh_from_db()
    assert survey.deadline.year == 2099
    assert user is None or mail.outbox
    answer(Invitation.objects.get(organisation=member))
    target = tmp_path / "out.xlsx"
    call_command("survey", "export", survey.name, "--format", "xlsx", "-o", str(target),
                 stdout=io.StringIO())
    assert target.stat().st_size > 0
    assert Response.objects.count() == 1


def test_themes_survive_an_edit_of_the_response_when_the_text_is_unchanged(survey, org):
    invitation = services.invite_organisations(survey, [org])[0]
    answer(invitation)
    code = reports.add_code(survey, "comments", "Decent work")
    reports.tag(survey, analysis.complete_answers(survey, "comments").get().pk, [code.pk])
    services.save_response(invitation, {**GOOD, "staff": "121"}, final=True, revision=1)
    assert code.answers.count() == 1
    services.save_response(invitation, {**GOOD, "comments": "Other"}, final=True, revision=2)
    assert code.answers.count() == 0
