"""Survey pages. Thin: the rules live in ``services``, ``submission``, ``exports``,
``analysis`` and ``reports``; a view reads the request, calls them and renders."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ssehub.core.roles import is_editor
from ssehub.surveys import analysis, exports, languages, reports, services, submission, tokens
from ssehub.surveys.models import Report, Survey
from ssehub.surveys.webform import render as render_form


def _editor_only(request: HttpRequest) -> HttpResponse | None:
    """Anonymous visitors are sent to log in; others are checked by the services."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


# --------------------------------------------------------------------------- respondents

def _form_page(request: HttpRequest, survey: Survey, *, invitation=None, response=None,
               values=None, errors=None, status: int = 200, action_url: str = "",
               conflict: bool = False) -> HttpResponse:
    version = response.version if response else survey.latest
    if version is None:
        raise Http404(_("This survey has no form yet."))
    form = version.form()
    language = languages.choose(form, request.GET.get("lang") or request.POST.get("lang"),
                                translation.get_language())
    if values is None:
        values = submission.flatten(form, response.data) if response else {}
    closed = not services.is_open(survey)
    with translation.override(_ui_language(form, language)):
        html = render_form(form, language, values, errors or {}, pages=survey.page_per_group,
                           readonly=closed)
        return render(request, "surveys/respond.html", {
            "survey": survey, "form": form, "fields": html, "language": language,
            "language_options": languages.options(form), "invitation": invitation,
            "response": response, "revision": response.revision if response else 0,
            "errors": errors or {}, "closed": closed, "action_url": action_url,
            "conflict": conflict, "pages": survey.page_per_group,
        }, status=status)


def _ui_language(form, language: str) -> str:
    """The hub's interface follows the respondent's form language when the hub has it."""
    code = next((lang.code for lang in form.languages if lang.name == language), "")
    available = {c for c, _name in settings.LANGUAGES}
    return code if code in available else translation.get_language()


def respond(request: HttpRequest, token: str) -> HttpResponse:
    """A personal link: show the form (resumed), save it partially or submit it."""
    try:
        invitation = services.invitation_for_token(token)
    except services.InvalidToken:
        return render(request, "surveys/message.html", {
            "title": _("This link is not valid"),
            "text": _("Check that the whole link was copied from the e-mail you received.")},
            status=404)
    survey = invitation.survey
    response = services.response_of(invitation)
    if request.method != "POST":
        return _form_page(request, survey, invitation=invitation, response=response)
    version = response.version if response else survey.latest
    ui = (_ui_language(version.form(), request.POST.get("lang", "")) if version
          else translation.get_language())
    with translation.override(ui):
        return _save(request, invitation, response)


def _save(request: HttpRequest, invitation, response) -> HttpResponse:
    survey = invitation.survey
    final = request.POST.get("action") == "submit"
    revision = request.POST.get("revision", "0")
    try:
        result = services.save_response(
            invitation, request.POST, request.FILES, final=final,
            revision=int(revision) if revision.isdigit() else -1,
            language=request.POST.get("lang", ""))
    except services.SurveyClosed:
        return render(request, "surveys/message.html", {
            "title": _("This survey is closed"),
            "text": _("The deadline has passed: answers can no longer be changed.")},
            status=403)
    except services.EditConflict:
        messages.error(request, _("These answers were changed elsewhere (in another window or "
                                  "by a colleague) since you opened this page. Here they are "
                                  "as now saved: please check them and enter your changes "
                                  "again."))
        return _form_page(request, survey, invitation=invitation,
                          response=services.response_of(invitation), status=409,
                          conflict=True)
    if not result.saved:
        return _form_page(request, survey, invitation=invitation, response=response,
                          values=_posted(request), errors=result.cleaned.errors, status=400)
    if result.cleaned.errors:
        messages.warning(request, _("Saved, except the answers marked below, which were not "
                                    "valid."))
        return _form_page(request, survey, invitation=invitation, response=result.response,
                          values=_posted(request), errors=result.cleaned.errors)
    if final:
        messages.success(request, _("Thank you: your answers are submitted. You can change "
                                    "them with the same link until the deadline."))
    else:
        messages.success(request, _("Saved. Come back to this link to go on."))
    return redirect(request.get_full_path())


def _posted(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.POST.getlist(key) for key in request.POST}


def open_link(request: HttpRequest, key: str) -> HttpResponse:
    """The anonymous open link: the first save gives the visitor a personal link."""
    survey = Survey.objects.filter(open_key=key).exclude(open_key="").first()
    if survey is None or not key:
        raise Http404(_("No such survey."))
    if request.method != "POST":
        return _form_page(request, survey)
    final = request.POST.get("action") == "submit"
    try:
        invitation, result = services.save_open_response(
            survey, request.POST, request.FILES, final=final,
            language=request.POST.get("lang", ""))
    except services.SurveyClosed:
        return render(request, "surveys/message.html", {
            "title": _("This survey is closed"),
            "text": _("The deadline has passed.")}, status=403)
    if not result.saved:
        return _form_page(request, survey, values=_posted(request),
                          errors=result.cleaned.errors, status=400)
    messages.success(request, _("Saved. Keep this page's address: it is your personal link "
                                "to come back to your answers."))
    return redirect("surveys:respond", tokens.token_for(invitation.key))


# --------------------------------------------------------------------------- editors

def survey_list(request: HttpRequest) -> HttpResponse:
    if (login := _editor_only(request)) is not None:
        return login
    if not is_editor(request.user):
        raise PermissionDenied(_("Only editors can manage surveys."))
    surveys = Survey.objects.all()
    return render(request, "surveys/list.html", {"surveys": surveys})


def dashboard(request: HttpRequest, name: str) -> HttpResponse:
    if (login := _editor_only(request)) is not None:
        return login
    survey = get_object_or_404(Survey, name=name)
    rows = services.dashboard(survey, actor=request.user)
    counts = {key: sum(1 for r in rows if r["status"] == key)
              for key in (services.SILENT, services.PARTIAL, services.COMPLETE)}
    open_url = (request.build_absolute_uri(reverse("surveys:open", args=[survey.open_key]))
                if survey.open_key else "")
    links = {r["invitation"].pk: request.build_absolute_uri(
        reverse("surveys:respond", args=[tokens.token_for(r["invitation"].key)])) for r in rows}
    for row in rows:
        row["link"] = links[row["invitation"].pk]
    return render(request, "surveys/dashboard.html", {
        "survey": survey, "rows": rows, "counts": counts, "open_url": open_url,
        "reports": survey.reports.all()[:20]})


@require_POST
def dashboard_action(request: HttpRequest, name: str) -> HttpResponse:
    if (login := _editor_only(request)) is not None:
        return login
    survey = get_object_or_404(Survey, name=name)
    action = request.POST.get("action")
    user = request.user
    if action == "invite-task-force":
        made = services.invite_task_force(survey, actor=user)
        messages.success(request, _("%(count)d organisation(s) invited.") % {"count": len(made)})
    elif action == "invite-contacts":
        contacts = []
        for line in request.POST.get("contacts", "").splitlines()[:1000]:
            name_part, _sep, email = line.rpartition(",")
            contacts.append((name_part.strip(), email.strip()))
        made = services.invite_contacts(survey, contacts, actor=user)
        messages.success(request, _("%(count)d contact(s) invited.") % {"count": len(made)})
    elif action == "send":
        sent = services.send_invitations(survey, actor=user)
        messages.success(request, _("%(count)d invitation(s) sent.") % {"count": sent})
    elif action == "remind":
        reminded = services.remind(survey, actor=user)
        messages.success(request, _("%(count)d reminder(s) sent.") % {"count": len(reminded)})
    elif action == "open-link":
        services.enable_open_link(survey, actor=user)
        messages.success(request, _("The open link is on."))
    else:
        messages.error(request, _("Unknown action."))
    return redirect("surveys:dashboard", survey.name)


def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if (login := _editor_only(request)) is not None:
        return login
    survey = get_object_or_404(Survey, name=name)
    services.require_editor(request.user)
    labels = request.GET.get("labels") == "1"
    language = ""
    if survey.latest is not None:
        language = languages.choose(survey.latest.form(), request.GET.get("lang"))
    if fmt == "csv":
        table = request.GET.get("repeat", "")
        if table not in {t.name for t in exports.tables(survey)}:
            raise Http404(_("No such repeat group."))
        response = StreamingHttpResponse(
            exports.csv_safe(exports.csv_chunks(survey, table, labels=labels,
                                                language=language)),
            content_type="text/csv; charset=utf-8")
        filename = f"{survey.name}{'-' + table if table else ''}.csv"
    elif fmt == "json":
        response = StreamingHttpResponse(exports.csv_safe(exports.json_chunks(survey)),
                                         content_type="application/json")
        filename = f"{survey.name}.json"
    elif fmt == "xlsx":
        response = StreamingHttpResponse(
            exports.xlsx_chunks(survey, labels=labels, language=language),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        filename = f"{survey.name}.xlsx"
    else:
        raise Http404(_("Unknown export format."))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def analysis_page(request: HttpRequest, name: str) -> HttpResponse:
    if (login := _editor_only(request)) is not None:
        return login
    survey = get_object_or_404(Survey, name=name)
    services.require_editor(request.user)
    if survey.latest is None:
        raise Http404(_("This survey has no form yet."))
    form = survey.latest.form()
    language = languages.choose(form, request.GET.get("lang"), translation.get_language())
    crosstab = request.GET.get("by", "")
    summaries = analysis.summarise(survey, form, language, crosstab=crosstab, with_texts=True)
    codes = {}
    for code in survey.codes.all():
        codes.setdefault(code.question, []).append(code)
    tagged: dict[int, set[int]] = {}
    for code in survey.codes.prefetch_related("answers"):
        for answer in code.answers.all():
            tagged.setdefault(answer.pk, set()).add(code.pk)
    for summary in summaries:
        summary.code_list = codes.get(summary.question.name, [])
        summary.tagged_texts = [(pk, text, tagged.get(pk, set())) for pk, text in summary.texts]
    return render(request, "surveys/analysis.html", {
        "survey": survey, "summaries": summaries, "crosstab": crosstab,
        "crosstab_options": analysis.crosstab_options(form, language),
        "language": language, "language_options": languages.options(form),
        "questions": [(q.name, languages.pick(q.label, language, form) or q.name,
                       q.name in survey.public_questions) for q in analysis.analysable(form)]})


@require_POST
def codes(request: HttpRequest, name: str) -> HttpResponse:
    if (login := _editor_only(request)) is not None:
        return login
    survey = get_object_or_404(Survey, name=name)
    question = request.POST.get("question", "")
    try:
        if request.POST.get("label"):
            reports.add_code(survey, question, request.POST["label"], actor=request.user)
        for key in request.POST:
            if key.startswith("answer-") and key[7:].isdigit():
                ids = [int(v) for v in request.POST.getlist(key) if v.isdigit()]
                reports.tag(survey, int(key[7:]), ids, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("surveys:analysis", args=[survey.name]) + f"#q-{question}")


@require_POST
def publish(request: HttpRequest, name: str) -> HttpResponse:
    if (login := _editor_only(request)) is not None:
        return login
    survey = get_object_or_404(Survey, name=name)
    title = request.POST.get("title", "").strip() or survey.title or survey.name
    try:
        report = reports.publish(survey, actor=request.user, title=title,
                                 questions=request.POST.getlist("questions"),
                                 crosstab=request.POST.get("by", ""),
                                 language=request.POST.get("lang", ""),
                                 public=request.POST.getlist("public"))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("surveys:analysis", survey.name)
    messages.success(request, _("The report is published in the library."))
    return redirect("surveys:report", report.pk)


def report(request: HttpRequest, pk: int) -> HttpResponse:
    """A published report: public (its content holds aggregates only, see ``reports``)."""
    item = get_object_or_404(Report.objects.select_related("item"), pk=pk)
    if item.item is not None and item.item.status != "published" and not is_editor(request.user):
        raise Http404(_("This report is not published."))
    return render(request, "surveys/report.html", {"report": item})


def uploaded_file(request: HttpRequest, name: str, sha256: str) -> HttpResponse:
    """A file a respondent uploaded, for editors; sent as a download, never shown inline."""
    if (login := _editor_only(request)) is not None:
        return login
    from ssehub.library import storage

    survey = get_object_or_404(Survey, name=name)
    try:
        meta = services.uploaded_file(survey, sha256, actor=request.user)
    except LookupError as exc:
        raise Http404(_("No such file.")) from exc
    return FileResponse(storage.open_blob(sha256), as_attachment=True,
                        filename=meta["filename"], content_type="application/octet-stream")
