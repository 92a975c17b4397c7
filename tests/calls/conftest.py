"""A call with its committee, reviewers and authors, and PDFs made on the fly with fpdf2."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from ssehub.calls import services
from ssehub.calls.models import CallRole
from ssehub.calls.services import AuthorData
from ssehub.core.roles import editors_group

PASSWORD = "correct-horse-battery-staple"


def make_pdf(text: str = "A study of cooperatives and decent work.", *, author: str = "",
             title: str = "", pages: int = 1) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for i in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 8, text if i == 0 else f"Page {i + 1}")
    if author:
        pdf.set_author(author)
        pdf.set_creator(f"{author}'s word processor")
    if title:
        pdf.set_title(title)
    return bytes(pdf.output())


def user(username: str, *, first: str = "", last: str = "", email: str = "", editor=False):
    u = get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name=first, last_name=last,
        email=email or f"{username}@{username}-inst.org")
    if editor:
        u.groups.add(editors_group())
    return u


def call_data(**overrides) -> dict:
    now = timezone.now()
    data = {
        "slug": "sse-2026", "title": "SSE and the SDGs 2026",
        "description": "Third call of the Task Force.", "themes": ["finance", "gender"],
        "sdgs": [8, 5], "languages": ["en", "fr", "es"], "timezone": "Europe/Paris",
        "opens_at": now - timedelta(days=10), "abstract_deadline": now + timedelta(days=10),
        "paper_deadline": now + timedelta(days=20), "review_deadline": now + timedelta(days=40),
        "notification_date": now + timedelta(days=50),
        "conference_start": now + timedelta(days=80),
        "conference_end": now + timedelta(days=82), "venue": "Geneva",
        "reviews_per_paper": 2, "min_load": 0, "max_load": 3,
    }
    data.update(overrides)
    return data


class World:
    """Everyone a call involves. Reviewers r1..r4; authors ann (two papers' author) and bob."""

    def __init__(self) -> None:
        self.chair = user("chair", first="Carla", last="Chair", editor=True,
                          email="carla@taskforce.org")
        self.call = services.create_call(call_data(), actor=self.chair)
        self.committee = user("comm", first="Cyril", last="Committee", email="cyril@ngo.org")
        services.add_member(self.call, self.committee, CallRole.Role.COMMITTEE)
        self.reviewers = [user(f"r{i}", first=f"Rev{i}", last=f"Iewer{i}",
                               email=f"r{i}@univ{i}.edu") for i in range(1, 5)]
        for r in self.reviewers:
            services.add_member(self.call, r, CallRole.Role.REVIEWER, topics=["finance"])
        self.ann = user("ann", first="Annabelle", last="Zorrilla", email="ann@coop-lab.org")
        self.bob = user("bob", first="Bobby", last="Quixote", email="bob@gmail.com")

    def submit(self, author=None, title="Solidarity finance in Bolivia", pdf: bytes | None = None,
               authors: list[AuthorData] | None = None, **data):
        author = author or self.ann
        authors = authors or [AuthorData(author.get_full_name(), author.email,
                                         "Coop Research Lab", "0000-0002-1825-0097")]
        payload = {"title": title, "abstract": "Community banks and cooperatives finance "
                   "decent work in rural Bolivia.", "keywords": "finance, cooperatives",
                   "language": "en", "sdgs": [8]}
        payload.update(data)
        return services.submit(self.call, author, payload, authors,
                               (f"{author.username}-draft.pdf", pdf or make_pdf()))


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Eight accounts per test: PBKDF2 would spend seconds on hashing alone."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db) -> World:
    return World()


def login(client, u) -> None:
    assert client.login(username=u.username, password=PASSWORD)


def assigned_world(world: World, papers: int = 2):
    """Papers submitted and the assignment confirmed (2 reviewers per paper)."""
    from ssehub.calls import assignment

    subs = [world.submit(title=f"Paper {i} on solidarity finance") for i in range(papers)]
    assignment.propose(world.call)
    assignment.confirm(world.call)
    return subs
