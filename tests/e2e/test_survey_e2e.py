"""A respondent fills the web form in Chromium: skip logic and live validation as one types,
a repeat group added by hand and one whose count the form computes, then submits; the server
stores what was typed. The browser's expression evaluator is also checked against the
server's on the same expressions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ssehub.core.models import Organisation
from ssehub.surveys import expressions, services, tokens
from ssehub.surveys.models import Response

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    from ssehub.core.reference import ensure_all

    ensure_all()


EXPRESSIONS = [
    "1 + 2 * 3", "10 div 4", "7 mod 3", "-5 mod 3", "1 div 0", "'a' = 'a' and 2 > 1",
    "${n} + 1", "${n} = 3", "${s} = ''", "${empty} = ''", "${empty} = 0",
    "selected(${m}, 'b')", "count-selected(${m})", "string-length('abc')",
    "if(${n} > 2, 'big', 'small')", "concat('a', ${n}, 'b')", "round(2.456, 2)",
    "int(-3.7)", "floor(-1.5)", "ceiling(1.2)", "substr('hello', 1, 3)",
    "coalesce(${empty}, 'x')", "not(${n} < 0)", "contains('social economy', 'eco')",
    "regex('abc123', '^[a-z]+[0-9]+$')", "normalize-space('  a   b ')", "pow(2, 10)",
    "'2024-05-01' < '2024-06-01'", "number('12.5') * 2", "true() != false()",
    "${d} >= '2020-01-01'", "1 < 2 < 3", "boolean('')", "string(1 div 3)",
]
VALUES = {"n": "3", "s": "x", "empty": "", "m": ["a", "b"], "d": "2021-03-04"}


def test_fill_and_submit_with_skip_logic_and_repeats(live_server, browser_page, artifacts):
    from tests.surveys.forms import make_survey

    survey = make_survey()
    invitation = services.invite_organisations(
        survey, [Organisation.objects.get(slug="ilo")])[0]
    page = browser_page
    page.goto(live_server.url + reverse("surveys:respond",
                                        args=[tokens.token_for(invitation.key)]))

    # The browser evaluator gives the server's answers.
    for text in EXPRESSIONS:
        js = page.evaluate("([t, v]) => window.SSEHubSurveys.evaluate(t, v).string",
                           [text, VALUES])
        python = expressions.evaluate_string(
            text, expressions.Context(values=VALUES))
        assert js == python, text

    staff = page.get_by_label("Staff")
    assert not staff.is_visible()  # relevant only for members
    page.get_by_label("Organisation name").fill("ILO")
    page.get_by_label("Yes").check()
    assert staff.is_visible()
    staff.fill("-3")
    staff.blur()
    assert page.get_by_text("Staff must be between 0 and 99,999").is_visible()
    staff.fill("12")
    assert not page.get_by_text("Staff must be between 0 and 99,999").is_visible()
    page.get_by_label("Decent work").check()

    # A repeat group added by hand.
    page.get_by_label("Programme name").first.fill("Coops")
    page.get_by_role("button", name="Add: Programme").click()
    names = page.get_by_label("Programme name")
    assert names.count() == 2
    names.nth(1).fill("Finance")
    page.get_by_label("Beneficiaries").nth(1).fill("40")

    # A repeat group whose count the form computes from an answer.
    page.get_by_label("How many regions?").fill("2")
    regions = page.get_by_label("Region name")
    assert regions.count() == 2
    regions.nth(0).fill("Africa")
    regions.nth(1).fill("Europe")
    page.screenshot(path=str(artifacts / "survey-01-filled.png"), full_page=True)

    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/surveys/r/"))
    assert page.get_by_text("Thank you: your answers are submitted").is_visible()
    page.screenshot(path=str(artifacts / "survey-02-submitted.png"), full_page=True)

    stored = Response.objects.get()
    assert stored.status == "complete"
    assert stored.data["staff"] == 12 and stored.data["sdgs"] == ["sdg8"]
    assert [p["prog_name"] for p in stored.data["programme"]] == ["Coops", "Finance"]
    assert [r["region_name"] for r in stored.data["region"]] == ["Africa", "Europe"]


def test_task_force_survey_page_by_page_in_french(live_server, browser_page, artifacts):
    from ssehub.surveys.demo.loader import load

    survey, _count = load()
    invitation = survey.invitations.get(organisation__slug="ilo")
    page = browser_page
    page.goto(live_server.url + reverse("surveys:respond",
                                        args=[tokens.token_for(invitation.key)]) + "?lang=fr")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "UNTFSSE members and observers survey"
    assert page.get_by_text("Votre organisation", exact=True).is_visible()
    assert not page.get_by_text("Activités et programmes d'ESS", exact=True).is_visible()
    assert page.locator(".sv-page-n").inner_text() == "1 / 6"
    page.get_by_label("Nom de l'organisation").fill("OIT")
    page.get_by_role("button", name="Page suivante").click()
    assert page.get_by_text("Activités et programmes d'ESS", exact=True).is_visible()
    assert not page.get_by_text("Votre organisation", exact=True).is_visible()
    page.get_by_label("Combien de programmes").fill("3")
    assert page.get_by_label("Nom du programme").count() == 3
    page.screenshot(path=str(artifacts / "survey-03-task-force-fr.png"), full_page=True)
    # Submitting with required questions missing: the browser says where, nothing is sent.
    page.get_by_role("button", name="Envoyer").click()
    assert "Certaines réponses demandent votre attention" in \
        page.get_by_role("alert").inner_text()
    assert page.get_by_text("Merci de répondre à cette question.").first.is_visible()
    # Saving for later goes to the server, which keeps what was typed.
    page.get_by_role("button", name="Enregistrer et continuer plus tard").click()
    page.wait_for_load_state()
    assert page.get_by_text("Enregistré. Revenez à ce lien pour continuer.").is_visible()
    assert page.get_by_label("Nom de l'organisation").input_value() == "OIT"
