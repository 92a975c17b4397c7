"""Submitting: receipts, deadlines in the author's time zone, versions, SDG pre-fill, ORCID."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ssehub.calls import services
from ssehub.calls.models import Profile, SubmissionVersion
from ssehub.calls.services import AuthorData, WorkflowError
from ssehub.library import storage

from .conftest import login, make_pdf


def test_submission_is_stored_with_authors_in_order_and_a_receipt(
        world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sub = world.submit(authors=[
            AuthorData("Bobby Quixote", "bob@gmail.com", "Univ B"),
            AuthorData("Annabelle Zorrilla", "ann@coop-lab.org", "Coop Lab",
                       "0000-0002-1825-0097"),
        ])
    assert [a.name for a in sub.authors.all()] == ["Bobby Quixote", "Annabelle Zorrilla"]
    assert [a.user for a in sub.authors.all()] == [world.bob, world.ann]  # matched by e-mail
    assert sub.keywords == ["finance", "cooperatives"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ann@coop-lab.org"]
    assert f"#{sub.pk}" in mail.outbox[0].body and "Solidarity finance" in mail.outbox[0].body
    version = sub.latest_version
    assert version.number == 1 and storage.exists(version.sha256)
    assert storage.exists(version.blind_sha256)


def test_submission_after_the_deadline_is_refused_in_the_authors_time_zone(world):
    call = world.call
    call.abstract_deadline = timezone.now() - timedelta(hours=1)
    call.save()
    Profile.objects.create(user=world.ann, timezone="America/Bogota")
    with pytest.raises(WorkflowError) as info:
        world.submit()
    local = call.abstract_deadline.astimezone(__import__("zoneinfo").ZoneInfo("America/Bogota"))
    assert "deadline has passed" in str(info.value)
    assert local.strftime("%Y-%m-%d %H:%M") in str(info.value)
    assert "America/Bogota" in str(info.value) and "UTC-05:00" in str(info.value)
    assert not call.submissions.exists()


def test_late_submission_page_shows_the_deadline(world, client):
    world.call.abstract_deadline = timezone.now() - timedelta(minutes=5)
    world.call.save()
    login(client, world.ann)
    response = client.post(f"/calls/{world.call.slug}/submit/", {
        "title": "Late", "abstract": "Too late.", "language": "en", "sdgs": ["8"],
        "author_0_name": "Annabelle Zorrilla", "author_0_email": "ann@coop-lab.org",
        "pdf": __import__("io").BytesIO(make_pdf()),
    })
    assert response.status_code == 200
    assert "deadline has passed" in response.content.decode()
    assert "Europe/Paris" in response.content.decode()  # no profile: the call's zone
    assert not world.call.submissions.exists()


def test_bad_orcid_is_refused(world):
    with pytest.raises(WorkflowError, match="not a valid ORCID"):
        world.submit(authors=[AuthorData("A B", "a@b.org", "", "0000-0002-1825-0098")])


def test_language_outside_the_call_is_refused(world):
    with pytest.raises(WorkflowError, match="accepts papers in"):
        world.submit(language="de")


def test_non_pdf_and_oversized_uploads_leave_nothing(world):
    with pytest.raises(WorkflowError, match="not a PDF"):
        world.submit(pdf=b"PK\x03\x04not a pdf at all")
    world.call.max_file_bytes = 500
    world.call.save()
    with pytest.raises(WorkflowError, match="largest accepted"):
        world.submit(pdf=make_pdf(pages=4))
    assert not world.call.submissions.exists()  # one transaction: nothing partial


def test_non_pdf_through_the_page(world, client):
    login(client, world.ann)
    upload = __import__("django.core.files.uploadedfile", fromlist=["x"]).SimpleUploadedFile(
        "paper.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = client.post(f"/calls/{world.call.slug}/submit/", {
        "title": "T", "abstract": "A", "language": "en", "sdgs": ["8"],
        "author_0_name": "Ann", "author_0_email": "ann@coop-lab.org", "pdf": upload})
    assert "not a PDF" in response.content.decode()
    assert not world.call.submissions.exists()


def test_revisions_keep_every_version_until_the_full_paper_deadline(world):
    sub = world.submit()
    services.revise(sub, world.ann, pdf=("v2.pdf", make_pdf("Second version")))
    services.revise(sub, world.ann, pdf=("v3.pdf", make_pdf("Third version")))
    numbers = list(sub.versions.filter(kind=SubmissionVersion.Kind.SUBMISSION)
                   .values_list("number", flat=True))
    assert numbers == [1, 2, 3]
    assert len({v.sha256 for v in sub.versions.all()}) == 3
    assert sub.latest_version.number == 3
    world.call.paper_deadline = timezone.now() - timedelta(seconds=1)
    world.call.save()
    with pytest.raises(WorkflowError, match="full-paper deadline has passed"):
        services.revise(sub, world.ann, pdf=("v4.pdf", make_pdf("Fourth")))
    assert sub.versions.count() == 3


def test_only_authors_revise(world):
    sub = world.submit()
    with pytest.raises(PermissionDenied):
        services.revise(sub, world.bob, pdf=("x.pdf", make_pdf()))


def test_names_in_metadata_are_stripped_and_names_on_page_one_warn_the_chairs(world, client):
    pdf = make_pdf("Cooperative finance by Annabelle Zorrilla", author="Annabelle Zorrilla",
                   title="Zorrilla draft")
    sub = world.submit(pdf=pdf)
    sub.refresh_from_db()
    assert sub.blind_warnings == ["Annabelle Zorrilla"]
    with storage.open_blob(sub.latest_version.blind_sha256) as handle:
        blind_bytes = handle.read()
    assert b"Zorrilla" not in blind_bytes.split(b"stream")[0]  # no /Info, no XMP
    from ssehub.calls.blind import metadata_of

    assert "/Author" not in metadata_of(blind_bytes)
    login(client, world.chair)
    page = client.get(f"/calls/paper/{sub.pk}/").content.decode()
    assert "first page of the PDF shows author names" in page


def test_sdgs_are_prefilled_by_the_mapper_when_left_empty(world, client):
    login(client, world.ann)
    response = client.post(f"/calls/{world.call.slug}/submit/", {
        "title": "Decent work and economic growth through worker cooperatives",
        "abstract": "Worker cooperatives create decent jobs, protect labour rights and "
                    "promote full and productive employment and economic growth.",
        "language": "en", "author_0_name": "Annabelle Zorrilla",
        "author_0_email": "ann@coop-lab.org", "pdf": __import__("io").BytesIO(make_pdf()),
        "send": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    sub = world.call.submissions.get()
    assert 8 in sub.sdgs


def test_suggest_button_ticks_the_mappers_goals_without_submitting(world, client):
    login(client, world.ann)
    response = client.post(f"/calls/{world.call.slug}/submit/", {
        "title": "Decent work and economic growth through worker cooperatives",
        "abstract": "Worker cooperatives create decent jobs and productive employment.",
        "language": "en", "author_0_name": "Annabelle Zorrilla",
        "author_0_email": "ann@coop-lab.org", "suggest": "1"})
    assert response.status_code == 200
    import re

    html = response.content.decode()
    assert re.search(r'name="sdgs" value="8"[^>]*checked', html)
    assert not re.search(r'name="sdgs" value="14"[^>]*checked', html)  # life below water
    assert not world.call.submissions.exists()


def test_withdrawn_paper_leaves_the_workflow(world, client):
    from ssehub.calls import assignment, reviewing

    sub = world.submit()
    keep = world.submit(title="Kept")
    with pytest.raises(PermissionDenied):
        services.withdraw(sub, world.bob)
    login(client, world.ann)
    assert client.post(f"/calls/mine/{sub.pk}/", {"withdraw": "1"}).status_code == 302
    sub.refresh_from_db()
    assert sub.withdrawn
    assert "Withdrawn" in client.get(f"/calls/mine/{sub.pk}/").content.decode()
    with pytest.raises(WorkflowError, match="withdrawn"):
        services.revise(sub, world.ann, pdf=("x.pdf", make_pdf()))
    assignment.propose(world.call)
    assert not sub.assignments.exists() and keep.assignments.count() == 2
    assert [p.submission for p in reviewing.progress(world.call)] == [keep]


def test_a_decided_paper_cannot_be_withdrawn(world):
    from ssehub.calls import decisions

    sub = world.submit()
    decisions.decide(world.call, [sub.pk], "reject")
    sub.refresh_from_db()
    with pytest.raises(WorkflowError, match="cannot be withdrawn"):
        services.withdraw(sub, world.ann)


def test_bad_sdgs_and_overlong_abstracts_are_refused(world):
    with pytest.raises(WorkflowError, match="1 to 17"):
        world.submit(sdgs=[18])
    with pytest.raises(WorkflowError, match="longer than"):
        world.submit(abstract="x" * 10_001)
    assert not world.call.submissions.exists()
