"""Publishing a survey's analysis into the library, and coding open answers.

A report is rendered once, when the editor publishes it, and kept as HTML on ``Report``: the
published page must not change as later responses arrive (publish again for a new edition).
It becomes a library ``Item`` of type "survey report" through ``library.services.create_item``
(the one write path for items: versions, status history, search index), pointing at the
report page. Only aggregates are published, unless the editor marked a question public in
``Survey.public_questions``: then, and only then, its individual answers are listed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from ssehub.surveys import analysis, conf, languages
from ssehub.surveys.models import Answer, Code, Report, Survey
from ssehub.surveys.services import SYSTEM, require_editor

ITEM_TYPE = "survey-report"


def render_report(survey: Survey, *, title: str, questions: list[str], crosstab: str = "",
                  language: str = "") -> tuple[str, str]:
    """(HTML, language name) of a report on the named questions."""
    version = survey.latest
    if version is None:
        raise ValueError(_("the survey has no form"))
    form = version.form()
    lang = languages.choose(form, language)
    public = set(survey.public_questions) & set(questions)
    summaries = analysis.summarise(survey, form, lang, questions=questions, crosstab=crosstab,
                                   with_texts=public, min_group=conf.get("SSEHUB_SURVEY_MIN_GROUP"))
    complete = survey.responses.filter(status="complete").count()
    html = render_to_string("surveys/report_body.html", {
        "title": title, "survey": survey, "summaries": summaries, "complete": complete,
        "public": public, "generated": timezone.now()})
    return html, lang


def publish(survey: Survey, *, actor: Any = SYSTEM, title: str, questions: list[str],
            crosstab: str = "", language: str = "", public: list[str] | None = None) -> Report:
    """Render and publish a report; it appears in the library as a survey report.

    ``public``, when given, replaces the survey's list of questions whose individual answers
    may be published (the editor's explicit decision, kept for later reports).
    """
    from ssehub.library.models import Status
    from ssehub.library.services import create_item

    require_editor(actor)
    known = {q.name for q in survey.latest.form().questions()} if survey.latest else set()
    questions = [q for q in questions if q in known]
    if public is not None:
        survey.public_questions = [q for q in public if q in known]
        survey.save(update_fields=["public_questions", "updated"])
    if not questions:
        raise ValueError(_("Choose at least one question to show."))
    html, lang = render_report(survey, title=title, questions=questions, crosstab=crosstab,
                               language=language)
    form = survey.latest.form()
    code = next((lg.code for lg in form.languages if lg.name == lang), "") or "en"
    with transaction.atomic():
        report = Report.objects.create(
            survey=survey, title=title[:255], questions=questions, crosstab=crosstab[:255],
            language=lang[:100], html=html,
            created_by=actor if getattr(actor, "pk", None) else None)
        url = settings.SSEHUB_BASE_URL + reverse("surveys:report", args=[report.pk])
        item = create_item(
            {"title": {code: title[:500]}, "type": ITEM_TYPE,
             "abstract": {code: _("Results of the survey \"%(survey)s\": %(count)d complete "
                                  "responses.") % {"survey": survey.title or survey.name,
                                                   "count": survey.responses.filter(
                                                       status="complete").count()}},
             "languages": [code], "url": url, "date": timezone.now().date().isoformat()},
            actor=actor, status=Status.PUBLISHED, provenance="survey",
            source_name="SSE Hub surveys", source_record=f"survey-report:{report.pk}",
            full_text=strip_tags(html))
        _attach_html(item, report, title, code, url)
        report.item = item
        report.save(update_fields=["item"])
    return report


def _attach_html(item: Any, report: Report, title: str, language: str, url: str) -> None:
    """The report as a standalone HTML file of the item: downloadable, kept with the library's
    files (backups, OAI and exports include it), readable without the hub."""
    from ssehub.library import storage
    from ssehub.library.models import ItemFile

    document = render_to_string("surveys/report_file.html", {
        "title": title, "language": language, "url": url, "body": report.html})
    data = document.encode("utf-8")
    digest = storage.sha256_bytes(data)  # unique: the page's address is in it
    ItemFile.objects.create(item=item, sha256=digest, size=len(data), mime_type="text/html",
                            filename=f"survey-report-{report.pk}.html",
                            text=strip_tags(report.html))
    storage.store(data, digest)


def add_code(survey: Survey, question: str, label: str, *, actor: Any = SYSTEM) -> Code:
    """An editor's theme for the open answers of ``question``."""
    require_editor(actor)
    label = " ".join(label.split())[:200]
    if not label:
        raise ValueError(_("A theme needs a name."))
    code, _created = Code.objects.get_or_create(survey=survey, question=question, label=label)
    return code


def tag(survey: Survey, answer_id: int, code_ids: list[int], *, actor: Any = SYSTEM) -> None:
    """Set the themes of one open answer (replacing those it had)."""
    require_editor(actor)
    answer = Answer.objects.get(pk=answer_id, response__survey=survey)
    codes = list(Code.objects.filter(pk__in=code_ids, survey=survey, question=answer.question))
    for code in Code.objects.filter(survey=survey, question=answer.question):
        if code in codes:
            code.answers.add(answer)
        else:
            code.answers.remove(answer)
