"""The Task Force survey shipped in the repository, and its loading by ``ssehub demo``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ssehub.core.models import Organisation
from ssehub.surveys import services
from ssehub.surveys.demo import build_form
from ssehub.surveys.demo.loader import NAME, load
from ssehub.surveys.importer import validate
from ssehub.surveys.models import Invitation, Survey

pytestmark = pytest.mark.django_db


def test_the_shipped_form_is_valid_trilingual_and_complete():
    validation = validate(build_form.FORM.read_bytes(), build_form.FORM.name)
    assert [p for p in validation.problems if p.level == "error"] == []
    form = validation.definition
    assert {lang.code for lang in form.languages} == {"en", "fr", "es"}
    names = {q.name for q in form.questions()}
    for topic in ("org_type", "activity_types", "programme", "beneficiary_groups",
                  "investment_usd", "sdgs", "regions", "contact_email"):
        assert topic in names or form.element(topic) is not None
    assert len(form.choices["sdg"]) == 17
    assert form.element("sdgs").label["French (fr)"].startswith("Quels ODD")


def test_the_shipped_form_is_what_the_builder_writes(tmp_path):
    rebuilt = build_form.build(tmp_path / "form.xlsx")
    # Same rows (the zip container may differ by timestamps of the archive members).
    import openpyxl

    def cells(path):
        book = openpyxl.load_workbook(path, read_only=True)
        return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book}

    assert cells(rebuilt) == cells(build_form.FORM)


def test_demo_sends_it_to_task_force_members_and_observers():
    survey, invited = load()
    expected = Organisation.objects.filter(role__in=["member", "observer"]).count()
    assert invited == expected > 0
    assert load()[1] == 0  # idempotent
    assert Survey.objects.get(name=NAME).versions.count() == 1
    assert survey.deadline is not None and survey.page_per_group
    assert services.dashboard(survey, actor=None)[0]["status"] == "silent"
    assert Invitation.objects.filter(survey=survey, sent__isnull=False).count() == 0


def test_demo_command_loads_the_survey(monkeypatch):
    from ssehub.library.management.commands import demo

    monkeypatch.setattr(demo, "read_entries", lambda: [])
    out = StringIO()
    call_command("demo", stdout=out)
    assert f"survey {NAME}:" in out.getvalue()
    assert Survey.objects.filter(name=NAME).exists()
