"""The web form's markup: every example form renders; languages, accessibility, escaping."""

from __future__ import annotations

import pytest

from ssehub.surveys import languages
from ssehub.surveys.importer import validate
from ssehub.surveys.problems import FormInvalid
from ssehub.surveys.webform import render

from .forms import make_survey
from .helpers import shared_forms, xlsx


def test_every_shared_example_form_renders():
    rendered = 0
    for path in sorted(shared_forms().iterdir()):
        if path.suffix.lower() not in {".xlsx", ".xls", ".csv"}:
            continue
        try:
            form = validate(path.read_bytes(), path.name).definition
        except FormInvalid:
            assert path.name == "unknown_question_type.xls"
            continue
        html = render(form, languages.choose(form))
        assert "<input" in html or "<select" in html or "<textarea" in html, path.name
        rendered += 1
    assert rendered >= 10


@pytest.mark.django_db
def test_language_choice_and_accessible_markup():
    form = make_survey().latest.form()
    assert languages.choose(form, "fr") == "French (fr)"
    assert languages.choose(form, "de", "es") == "English (en)"  # the form's default
    html = render(form, "French (fr)", errors={"staff": "Trop"})
    assert "Nom de l&#x27;organisation" in html and "Membre de l&#x27;Équipe spéciale" in html
    assert '<fieldset class="sv-q sv-choices"' in html and "<legend>Membre" in html
    assert '<label for="f-org_name">' in html
    assert 'aria-invalid="true" aria-describedby="f-staff-error"' in html
    assert 'id="f-staff-error" aria-live="polite">Trop</p>' in html
    assert 'data-relevant="${is_member} = &#x27;yes&#x27;"' in html
    assert 'name="programme:0:prog_name"' in html and "programme:__i__:prog_name" in html
    assert 'data-count-expr="${n_regions}"' in html


def test_labels_from_the_form_are_escaped():
    data = xlsx({"survey": [["type", "name", "label"],
                            ["text", "q", "<script>alert(1)</script>"]]})
    html = render(validate(data, "x.xlsx").definition, "default")
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "Cette question est obligatoire."), ("es", "Esta pregunta es obligatoria.")])
def test_the_apps_own_catalogue_is_translated(language, expected):
    from django.utils import translation

    from ssehub.surveys.definition import Element, FormDefinition
    from ssehub.surveys.submission import clean

    form = FormDefinition("t", "t", children=[Element("q", "text", "q", required="true()")])
    with translation.override(language):
        assert clean(form, {}).errors == {"q": expected}


@pytest.mark.django_db
def test_task_force_form_one_page_per_group_in_spanish(client):
    from django.urls import reverse

    from ssehub.surveys import tokens
    from ssehub.surveys.demo.loader import load
    from ssehub.surveys.models import Invitation

    survey, _count = load()
    invitation = Invitation.objects.filter(survey=survey).first()
    url = reverse("surveys:respond", args=[tokens.token_for(invitation.key)])
    page = client.get(url + "?lang=es").content.decode()
    assert "data-pages" in page and page.count("sv-group sv-page") == 6
    assert "Nombre de la organización" in page and 'class="sv-pager"' in page
    assert 'name="lang" value="Spanish (es)"' in page
