"""A whole call through the web pages in Chromium: the chair creates the call and its
committee, an author submits a PDF, a reviewer bids, the chair computes and confirms the
assignment, two reviewers review, the chair decides and notifies, the author uploads the
camera-ready PDF, the chair builds the programme and publishes the paper in the library.

Screenshots of each step go to test-artifacts/e2e/calls-*.png (not committed).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from ssehub.calls.models import Call, Review, Submission
from ssehub.core.roles import editors_group
from ssehub.library.models import Item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    from ssehub.core.reference import ensure_all

    ensure_all()


def _user(username, first, last, email, editor=False):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD,
                                                first_name=first, last_name=last, email=email)
    if editor:
        user.groups.add(editors_group())
    return user


def _pdf(text: str, author: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    if author:
        pdf.set_author(author)
    return bytes(pdf.output())


def _local(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def test_a_whole_call_in_the_browser(live_server, chromium_browser, artifacts, tmp_path):
    _user("chair", "Carla", "Chair", "carla@taskforce.org", editor=True)
    _user("ann", "Annabelle", "Zorrilla", "ann@coop-lab.org")
    for i in (1, 2):
        _user(f"r{i}", f"Rev{i}", f"Iewer{i}", f"r{i}@univ{i}.edu")
    url = live_server.url
    pages = {}

    def as_user(username: str):
        if username not in pages:
            context = chromium_browser.new_context(viewport={"width": 1280, "height": 900},
                                                   locale="en-GB")
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{url}/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state()
            pages[username] = page
        return pages[username]

    def shot(page, name: str) -> None:
        page.screenshot(path=str(artifacts / f"calls-{name}.png"), full_page=True)

    try:
        # 1. The chair creates the call.
        chair = as_user("chair")
        chair.goto(f"{url}/calls/")
        chair.get_by_role("link", name="New call").click()
        now = timezone.now().replace(second=0, microsecond=0)
        chair.fill("#id_slug", "sse-2027")
        chair.fill("#id_title", "SSE and the SDGs: third call")
        chair.fill("#id_description", "Papers on the social and solidarity economy.")
        chair.fill("#id_timezone", "UTC")
        dates = [("opens_at", -1), ("abstract_deadline", 5), ("paper_deadline", 10),
                 ("review_deadline", 20), ("notification_date", 30),
                 ("conference_start", 60), ("conference_end", 62)]
        for name, days in dates:
            chair.fill(f"#id_{name}", _local(now + timedelta(days=days)))
        chair.fill("#id_themes_text", "finance, gender")
        chair.check("#id_languages_list_0")
        chair.fill("#id_reviews_per_paper", "2")
        shot(chair, "01-new-call")
        chair.get_by_role("button", name="Create the call").click()
        chair.wait_for_url(re.compile(r"/calls/sse-2027/manage/$"))
        call = Call.objects.get(slug="sse-2027")
        for username in ("r1", "r2"):
            chair.fill("#id_username", username)
            chair.select_option("#id_role", "reviewer")
            chair.fill("#id_topics", "finance")
            chair.get_by_role("button", name="Add to the committee").click()
            chair.wait_for_load_state()
        assert call.roles.filter(role="reviewer").count() == 2

        # 2. The author submits, with the author's name in the PDF's metadata.
        author = as_user("ann")
        author.goto(f"{url}/calls/sse-2027/")
        author.get_by_role("link", name="Submit a paper").click()
        author.fill("#id_title", "Solidarity finance for decent work")
        author.fill("#id_abstract", "Community banks and cooperatives finance decent jobs.")
        author.fill("#id_keywords", "finance, cooperatives")
        author.check("#id_sdgs_7")  # SDG 8
        assert author.input_value("#id_author_0_name") == "Annabelle Zorrilla"
        author.fill("#id_author_0_affiliation", "Coop Research Lab")
        author.fill("#id_author_0_orcid", "0000-0002-1825-0097")
        paper = tmp_path / "zorrilla-draft.pdf"
        paper.write_bytes(_pdf("Solidarity finance for decent work.", "Annabelle Zorrilla"))
        author.set_input_files("#id_pdf", str(paper))
        shot(author, "02-submit")
        author.get_by_role("button", name="Submit", exact=True).click()
        author.wait_for_url(re.compile(r"/calls/mine/\d+/$"))
        sub = Submission.objects.get()
        assert author.get_by_text("Your submission is received").is_visible()
        assert any("Submission received" in m.subject for m in mail.outbox)

        # 3. A reviewer bids eagerly and never sees the author.
        r1 = as_user("r1")
        r1.goto(f"{url}/calls/sse-2027/reviewing/")
        r1.select_option(f"select[name=bid_{sub.pk}]", "eager")
        r1.get_by_role("button", name="Save").click()
        r1.wait_for_load_state()
        assert "Zorrilla" not in r1.content()

        # 4. The chair computes the assignment, looks at it, confirms it.
        chair.goto(f"{url}/calls/sse-2027/manage/assignment/")
        chair.get_by_role("button", name="Compute a proposal").click()
        chair.wait_for_load_state()
        assert chair.locator("#assignments tbody tr").count() == 2
        shot(chair, "03-assignment")
        chair.get_by_role("button", name="Confirm the assignment").click()
        chair.wait_for_load_state()
        assert sub.assignments.filter(confirmed=True).count() == 2

        # 5. Both reviewers review (one saves a draft first).
        for username in ("r1", "r2"):
            rev = as_user(username)
            rev.goto(f"{url}/calls/paper/{sub.pk}/")
            assert "Zorrilla" not in rev.content() and "Coop Research" not in rev.content()
            rev.get_by_role("link", name="Write or edit your review").click()
            rev.select_option("#id_score_relevance", "5")
            if username == "r1":
                rev.get_by_role("button", name="Save draft").click()
                rev.wait_for_load_state()
                assert rev.get_by_text("Draft saved.").is_visible()
            rev.select_option("#id_score_rigour", "4")
            rev.select_option("#id_score_clarity", "4")
            rev.fill("#id_text_comments", f"Convincing evidence (from {username}).")
            rev.fill("#id_text_confidential", "Committee only note.")
            rev.get_by_role("button", name="Submit the review").click()
            rev.wait_for_url(re.compile(rf"/calls/paper/{sub.pk}/$"))
        assert Review.objects.filter(submitted_at__isnull=False).count() == 2
        assert any("All reviews are in" in m.subject for m in mail.outbox)

        # 6. The chair sees the flag, decides and notifies.
        chair.goto(f"{url}/calls/sse-2027/manage/")
        assert chair.locator(".flag-complete").count() == 1
        shot(chair, "04-dashboard")
        chair.get_by_role("link", name="Decisions").click()
        chair.check(f"#paper-{sub.pk}")
        chair.select_option("#decision", "accept")
        chair.get_by_role("button", name="Record the decision").click()
        chair.wait_for_load_state()
        chair.get_by_role("button", name="Notify the authors of every new decision").click()
        chair.wait_for_load_state()
        decision_mail = next(m for m in mail.outbox if m.subject.endswith("Accept"))
        assert "Convincing evidence" in decision_mail.body
        assert "Committee only" not in decision_mail.body

        # 7. The author reads the decision and uploads the camera-ready PDF.
        author.goto(f"{url}/calls/mine/{sub.pk}/")
        assert author.locator("#decision").inner_text() == "Accept"
        assert author.get_by_text("Convincing evidence (from r1).").is_visible()
        assert "Rev1" not in author.content() and "Committee only" not in author.content()
        final = tmp_path / "final.pdf"
        final.write_bytes(_pdf("Solidarity finance for decent work: final text."))
        author.set_input_files("#id_pdf", str(final))
        author.get_by_role("button", name="Upload the camera-ready PDF").click()
        author.wait_for_load_state()
        assert sub.versions.filter(kind="camera").count() == 1
        shot(author, "05-camera-ready")

        # 8. The chair builds the programme; the public sees it.
        chair.goto(f"{url}/calls/sse-2027/manage/programme/")
        start = now + timedelta(days=60, hours=2)
        chair.fill("#id_title", "Finance for the SSE")
        chair.fill("#id_room", "Room XVIII")
        chair.fill("#id_starts_at", _local(start))
        chair.fill("#id_ends_at", _local(start + timedelta(hours=2)))
        chair.fill("#id_chair_names", "Carla Chair")
        chair.check("#id_papers_0")
        chair.get_by_role("button", name="Save the session").click()
        chair.wait_for_load_state()
        visitor = chromium_browser.new_context().new_page()
        visitor.goto(f"{url}/calls/sse-2027/programme/")
        assert visitor.get_by_text("Finance for the SSE").is_visible()
        assert visitor.get_by_text("Solidarity finance for decent work").is_visible()
        shot(visitor, "06-programme")

        # 9. The chair publishes: the paper is a working paper in the library.
        chair.goto(f"{url}/calls/sse-2027/")
        chair.get_by_role("button", name="Publish accepted papers in the library").click()
        chair.wait_for_load_state()
        item = Item.objects.get(item_type_id="working-paper")
        visitor.goto(f"{url}/calls/sse-2027/")
        visitor.get_by_role("link", name="Solidarity finance for decent work").click()
        visitor.wait_for_url(re.compile(rf"/items/{item.pk}/$"))
        assert visitor.locator("h1").inner_text() == "Solidarity finance for decent work"
        assert visitor.get_by_text("Working paper").first.is_visible()
        shot(visitor, "07-published")
    finally:
        for page in pages.values():
            page.context.close()
