"""The portal speaks English, French and Spanish: pages, the language switcher, catalogues."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

import ssehub

pytestmark = pytest.mark.django_db

LOCALE = Path(ssehub.__file__).parent / "locale"


@pytest.mark.parametrize("language,expected", [
    ("fr", ["Bibliothèque", "Documents par ODD", "Aller au contenu principal",
            "Dernières publications"]),
    ("es", ["Biblioteca", "Documentos por ODS", "Ir al contenido principal",
            "Últimas publicaciones"]),
])
def test_pages_in_french_and_spanish(client, make_item, language, expected):
    item = make_item(sdgs=[8])
    html = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<html lang="{language}"' in html
    for text in expected:
        assert text in html
    assert "Items by SDG" not in html
    list_html = client.get(reverse("portal:item_list"),
                           HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert {"fr": "1 résultat", "es": "1 resultado"}[language] in list_html
    page = client.get(item.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert {"fr": "Citer comme", "es": "Citar como"}[language] in page


def test_sdg_tiles_use_the_goal_titles_of_the_language(client):
    html = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    with translation.override("es"):
        from ssehub.sdg.models import Goal

        assert Goal.objects.get(number=1).short_title in html


def test_language_switcher_sets_the_language(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/items/"})
    assert response.status_code == 302 and response["Location"] == "/items/"
    html = client.get(reverse("portal:item_list")).content.decode()
    assert '<html lang="fr"' in html and "Filtrer" in html
    # The switcher marks the active language for assistive technology.
    assert re.search(r'value="fr"[^>]*aria-pressed="true"', html)


def test_model_choices_are_translated(client, login, contributor, make_item):
    draft = make_item("Brouillon", status="draft")
    login(contributor)
    html = client.get(draft.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Borrador" in html  # Status.DRAFT in Spanish


def _untranslated(po: Path) -> list[str]:
    """msgids whose msgstr (or one of the plural msgstr[n]) is empty, fuzzy ones included."""
    missing = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            missing.append(block)
            continue
        for i, line in enumerate(lines):
            if re.match(r'^msgstr(\[\d+\])? ""$', line):
                following = lines[i + 1] if i + 1 < len(lines) else ""
                if not following.startswith('"'):
                    missing.append(block)
                    break
    return missing


# The project catalogue, and the apps that keep their own (see `make messages`).
CATALOGUES = [LOCALE, LOCALE.parent / "surveys" / "locale", LOCALE.parent / "calls" / "locale"]


@pytest.mark.parametrize("locale", CATALOGUES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("language", ["fr", "es"])
def test_catalogues_are_complete_and_compiled(language, locale):
    po = locale / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert _untranslated(po) == []
    assert mo.exists() and mo.stat().st_size > 1000


def test_the_completeness_check_can_fail():
    # The English catalogue is the source language: its msgstr are empty by design.
    assert _untranslated(LOCALE / "en" / "LC_MESSAGES" / "django.po")
