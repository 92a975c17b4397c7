"""Double-blind, tried on every page, file and export of a call as each role.

A call is run to the end (assignment, reviews, decision, programme); then every URL of the app
is fetched as a reviewer, as a committee member and as an author, and the answers are searched
for what that person must not learn: author names, affiliations, e-mails and file metadata for
reviewers and the committee; reviewer names and user names for authors.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from ssehub.calls import decisions, programme, reviewing, services
from ssehub.calls.services import AuthorData

from .conftest import assigned_world, login, make_pdf

AUTHOR_SECRETS = ["Annabelle", "Zorrilla", "ann@coop-lab.org", "coop-lab", "Coop Research Lab",
                  "0000-0002-1825-0097", "ann-draft"]


@pytest.fixture
def run(world):
    pdf = make_pdf("Cooperative finance", author="Annabelle Zorrilla",
                   title="Zorrilla's draft")
    world.call.reviews_per_paper = 2
    world.call.save()
    sub = world.submit(pdf=pdf, authors=[AuthorData(
        "Annabelle Zorrilla", "ann@coop-lab.org", "Coop Research Lab", "0000-0002-1825-0097")])
    assigned_world(world, 0)
    from ssehub.calls import assignment

    assignment.propose(world.call)
    assignment.confirm(world.call)
    for a in sub.assignments.all():
        reviewing.save_review(sub, a.reviewer, {"relevance": 5, "rigour": 4, "clarity": 4},
                              {"comments": "Good work.", "confidential": "Fine."}, submit=True)
    reviewing.comment(sub, world.committee, "Agreed by the committee.")
    return world, sub


def urls(world, sub) -> list[str]:
    slug = world.call.slug
    names = ["calls:detail", "calls:reviewing", "calls:programme", "calls:programme_ics",
             "calls:abstracts", "calls:manage", "calls:assign", "calls:decide",
             "calls:programme_edit"]
    out = [reverse("calls:list"), reverse("calls:my_submissions"), reverse("calls:profile")]
    out += [reverse(n, args=[slug]) for n in names]
    out += [reverse("calls:paper", args=[sub.pk]), reverse("calls:blind_file", args=[sub.pk]),
            reverse("calls:review", args=[sub.pk]),
            reverse("calls:my_submission", args=[sub.pk]),
            reverse("calls:revise", args=[sub.pk])]
    out += [reverse("calls:original_file", args=[sub.pk, v.pk]) for v in sub.versions.all()]
    out += [reverse("calls:export", args=[slug, w, f]) for w in ("submissions", "reviews")
            for f in ("csv", "xlsx")]
    # The hub's API, search and feeds: a submission is not an item until it is published.
    out += ["/api/items/", "/api/items/?q=Cooperative", "/api/search?q=solidarity",
            "/search/?q=solidarity", "/feeds/latest.atom", "/items/"]
    return out


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an XLSX: read its cells
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content))
        return " ".join(str(c.value) for row in book.active.iter_rows() for c in row)
    if content.startswith(b"%PDF"):
        import io

        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        meta = " ".join(str(v) for v in (reader.metadata or {}).values())
        return content.decode("latin-1") + meta + (response.get("Content-Disposition") or "")
    return content.decode("utf-8", "replace") + (response.get("Content-Disposition") or "")


def pages_without(client, urls, secrets) -> int:
    """Fetch every URL as the logged-in user: each is refused (403/404) or shows none of the
    secrets (page text, PDF text and metadata, file name). Returns how many were shown."""
    seen = 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code in (403, 404), url
            continue
        seen += 1
        text = body_text(response)
        for secret in secrets:
            assert secret not in text, (url, secret)
    return seen


def test_reviewer_never_learns_who_wrote_the_paper(run, client):
    world, sub = run
    reviewer = sub.assignments.first().reviewer
    login(client, reviewer)
    seen = pages_without(client, urls(world, sub), AUTHOR_SECRETS)
    assert seen >= 7  # the paper, its blind PDF, the review form, call, reviewing, programme
    for url in ["/api/items/", "/api/search?q=solidarity", "/search/?q=solidarity"]:
        assert client.get(url).status_code == 200, url  # really searched, found nothing
    blind = client.get(reverse("calls:blind_file", args=[sub.pk]))
    assert blind.status_code == 200 and 'filename="paper-' in blind["Content-Disposition"]


def test_committee_member_sees_reviews_but_not_authors(run, client):
    world, sub = run
    login(client, world.committee)
    pages_without(client, urls(world, sub), AUTHOR_SECRETS)
    page = client.get(reverse("calls:paper", args=[sub.pk])).content.decode()
    assert "Good work." in page and "Agreed by the committee." in page


def test_author_never_learns_who_reviewed(run, client):
    world, sub = run
    decisions.decide(world.call, [sub.pk], "accept")
    decisions.notify(world.call)
    start = world.call.conference_start
    programme.save_session(world.call, {"title": "S1", "starts_at": start,
                                        "ends_at": start + timedelta(hours=1)}, [sub.pk])
    reviewer_secrets = []
    for a in sub.assignments.all():
        r = a.reviewer
        reviewer_secrets += [r.get_full_name(), r.email, f">{r.username}<", f" {r.username} "]
    login(client, world.ann)
    seen = pages_without(client, urls(world, sub), reviewer_secrets)
    page = client.get(reverse("calls:my_submission", args=[sub.pk])).content.decode()
    assert "Good work." in page  # the text for authors
    assert "Fine." not in page  # the committee-only text
    assert "Agreed by the committee." not in page  # committee comments
    assert seen >= 5


def test_conflicted_reviewer_opening_the_paper_by_url_gets_403(run, client):
    world, sub = run
    outsider = next(r for r in world.reviewers
                    if not sub.assignments.filter(reviewer=r).exists())
    services.declare_conflict(sub, outsider, actor=world.ann)
    login(client, outsider)
    for name in ("calls:paper", "calls:blind_file", "calls:review"):
        assert client.get(reverse(name, args=[sub.pk])).status_code == 403, name
    assert client.post(reverse("calls:review", args=[sub.pk]),
                       {"submit": "1"}).status_code == 403
    page = client.get(reverse("calls:reviewing", args=[world.call.slug])).content.decode()
    assert sub.title not in page  # not even in the bidding list


def test_anonymous_and_strangers_are_kept_out(run, client):
    world, sub = run
    for url in [reverse("calls:paper", args=[sub.pk]), reverse("calls:blind_file",
                                                                args=[sub.pk]),
                reverse("calls:manage", args=[world.call.slug]),
                reverse("calls:my_submission", args=[sub.pk])]:
        assert client.get(url).status_code == 302  # to the login page
    login(client, world.bob)
    for url in [reverse("calls:paper", args=[sub.pk]), reverse("calls:blind_file",
                                                                args=[sub.pk]),
                reverse("calls:manage", args=[world.call.slug]),
                reverse("calls:my_submission", args=[sub.pk]),
                reverse("calls:export", args=[world.call.slug, "reviews", "csv"])]:
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("calls:detail", args=[world.call.slug])).status_code == 200


def test_chair_sees_authors_and_the_original_file(run, client):
    world, sub = run
    login(client, world.chair)
    page = client.get(reverse("calls:paper", args=[sub.pk])).content.decode()
    assert "Annabelle Zorrilla" in page and "Coop Research Lab" in page
    version = sub.versions.first()
    original = client.get(reverse("calls:original_file", args=[sub.pk, version.pk]))
    assert original.status_code == 200 and b"Zorrilla" in original.content


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_every_page_renders_in_french_and_spanish(run, client, lang):
    world, sub = run
    decisions.decide(world.call, [sub.pk], "revisions")
    decisions.notify(world.call)
    for who in (world.chair, world.ann, sub.assignments.first().reviewer):
        client.logout()
        login(client, who)
        for url in urls(world, sub):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
            assert response.status_code in (200, 302, 403, 404), (who.username, url)
    client.logout()
    login(client, world.chair)
    page = client.get(f"/calls/{world.call.slug}/manage/", HTTP_ACCEPT_LANGUAGE=lang)
    assert {"fr": "Avancement", "es": "Avance"}[lang] in page.content.decode()
