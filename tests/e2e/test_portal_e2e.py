"""The portal in a real browser: home, language switch, search, item page, login, upload.

Screenshots of each step go to test-artifacts/e2e/ (not committed). With
SSEHUB_UPDATE_SCREENSHOTS=1 the demo home page is also saved to docs/screenshots/home.png, the
picture shown in the README (off by default so that a test run never edits tracked files).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from ssehub.core.models import Membership, Organisation
from ssehub.library.models import Item, Status
from ssehub.library.services import create_item

pytestmark = [
    pytest.mark.e2e,
    # The live server reads what the test thread commits, so these tests commit for real.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Transactional tests start from a flushed database: load the reference tables."""
    from ssehub.core.reference import ensure_all

    ensure_all()

PASSWORD = "correct-horse-battery-staple"
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "home.png"

SAMPLE_ITEMS = [
    ("Cooperatives and the future of decent work", "report", [8, 1], "2023",
     "How worker and producer cooperatives create and protect decent jobs."),
    ("Social and solidarity economy and gender equality", "policy-brief", [5, 10], "2022",
     "Women's cooperatives and mutual aid as drivers of economic empowerment."),
    ("Community energy cooperatives in Europe", "case-study", [7, 11, 13], "2021",
     "Citizen-owned renewable energy projects and local ownership."),
    ("Financing the social economy: solidarity finance instruments", "working-paper",
     [17, 8], "2024", "Microfinance, community banks and impact investment for SSE."),
]


def _seed() -> tuple[Item, object]:
    org = Organisation.objects.get(slug="ilo")
    items = [
        create_item(
            {"title": {"en": title}, "abstract": {"en": abstract}, "type": kind,
             "sdgs": goals, "date": date, "organisation": org.slug,
             "creators": ["SSE Hub demo"]},
            status=Status.PUBLISHED, provenance="cli",
        )
        for title, kind, goals, date, abstract in SAMPLE_ITEMS
    ]
    user = get_user_model().objects.create_user(username="contrib", password=PASSWORD)
    Membership.objects.create(user=user, organisation=org)
    return items[0], user


def test_visitor_then_contributor_journey(live_server, browser_page, artifacts, settings,
                                         tmp_path):
    first, _user = _seed()
    page = browser_page

    def shot(name: str) -> None:
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)

    # 1. Home page, in English.
    page.goto(live_server.url + "/")
    assert page.locator("h1").first.inner_text().startswith("The knowledge hub")
    assert page.locator(".sdg-tile").count() == 17
    shot("01-home")

    # 2. Switch to French with the language switcher.
    page.get_by_role("button", name=re.compile("Français", re.I)).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Documents par ODD").is_visible()
    shot("02-home-fr")

    # 3. Search the library.
    page.get_by_role("searchbox", name="Rechercher dans la bibliothèque").fill("cooperatives")
    page.get_by_role("button", name="Rechercher", exact=True).click()
    page.wait_for_url(re.compile(r"/search/\?q=cooperatives"))
    results = page.locator(".search-results li")
    assert results.count() >= 1
    assert page.get_by_role("link", name=first.display_title).is_visible()
    shot("03-search")

    # 4. Open the item.
    page.get_by_role("link", name=first.display_title).click()
    page.wait_for_url(re.compile(rf"/items/{first.pk}/$"))
    assert page.locator("h1").inner_text() == first.display_title
    assert page.get_by_text("Citer comme").is_visible()
    shot("04-item")

    # 5. Log in as a contributor.
    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("Nom d'utilisateur").fill("contrib")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    shot("05-logged-in")

    # 6. Upload a small text file through the form.
    page.get_by_role("link", name="Ajouter un document").first.click()
    page.wait_for_url(re.compile(r"/upload/$"))
    sample = tmp_path / "sse-local-development.txt"
    sample.write_text(
        "Local development strategies built on social and solidarity economy enterprises "
        "strengthen territorial cohesion and create jobs.\n" * 12, encoding="utf-8")
    page.get_by_label("Fichier").set_input_files(str(sample))
    page.get_by_label("Titre").fill("SSE and local development")
    page.get_by_label("Mots-clés").fill("local development, territories")
    page.get_by_label("11.").check()
    shot("06-upload-form")
    page.get_by_role("button", name="Ajouter à la bibliothèque").click()
    page.wait_for_url(re.compile(r"/items/\d+/$"))

    # 7. The new draft's page.
    created = Item.objects.get(title__en="SSE and local development")
    assert created.status == Status.DRAFT and created.files.count() == 1
    assert page.url.endswith(f"/items/{created.pk}/")
    assert page.locator("h1").inner_text() == "SSE and local development"
    assert page.get_by_text("Votre document a été ajouté comme brouillon.").is_visible()
    assert page.get_by_text("Brouillon").first.is_visible()
    shot("07-new-draft")


def test_demo_home_page(live_server, browser_page, artifacts):
    """The demo content as a newcomer sees it after `make run`: every SDG tile has items."""
    from io import StringIO

    from ssehub.library.demo import load_demo

    log = StringIO()
    counts = load_demo(stdout=log)
    assert counts["failed"] == 0, log.getvalue()
    page = browser_page
    page.goto(live_server.url + "/")
    tiles = page.locator(".sdg-tile")
    assert tiles.count() == 17
    for index in range(17):
        assert not re.search(r"\b0 items?\b", tiles.nth(index).inner_text(), re.I)
    page.screenshot(path=str(artifacts / "demo-home.png"), full_page=True)
    if os.environ.get("SSEHUB_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOT))  # the 1280x900 viewport, for the README
