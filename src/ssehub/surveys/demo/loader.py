"""``ssehub demo`` loads the Task Force survey: imported, sent to every Task Force member and
observer (invitations created, not e-mailed: a demo must not send mail), open until a date
in the future. Safe to run again: an unchanged form and existing invitations change nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ssehub.surveys import services
from ssehub.surveys.demo.build_form import FORM
from ssehub.surveys.importer import import_form

NAME = "task-force-2026"


def load() -> tuple[object, int]:
    """(the survey, the number of new invitations)."""
    result = import_form(FORM.read_bytes(), FORM.name, NAME)
    survey = result.survey
    if survey.deadline is None:
        survey.deadline = timezone.now() + dt.timedelta(days=90)
        survey.page_per_group = True
        survey.save(update_fields=["deadline", "page_per_group", "updated"])
    made = services.invite_task_force(survey)
    return survey, len(made)
