"""Decisions and their e-mails, camera-ready, programme (page, iCal, book), publication,
exports."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from ssehub.calls import decisions, exports, programme, publication, reviewing
from ssehub.calls.models import Profile
from ssehub.calls.services import WorkflowError
from ssehub.library.models import Item

from .conftest import assigned_world, login, make_pdf

SCORES = {"relevance": 5, "rigour": 4, "clarity": 3}


def reviewed(world, n=2):
    subs = assigned_world(world, n)
    for sub in subs:
        for a in sub.assignments.all():
            reviewing.save_review(sub, a.reviewer, SCORES, {
                "comments": f"Authors: strong paper by reviewer {a.reviewer.username}",
                "confidential": "Committee only: borderline"}, submit=True)
    return subs


def test_bulk_decision_and_notification_in_the_authors_language(world):
    accepted, rejected = reviewed(world)
    Profile.objects.create(user=world.ann, language="fr")
    reviewing.meta_review(accepted, world.chair, "Le comité recommande la publication.")
    assert decisions.decide(world.call, [accepted.pk], "accept", actor=world.chair) == 1
    decisions.decide(world.call, [rejected.pk], "reject", actor=world.chair)
    mail.outbox.clear()
    assert decisions.notify(world.call, actor=world.chair) == 2
    assert decisions.notify(world.call, actor=world.chair) == 0  # once
    by_subject = {m.subject: m for m in mail.outbox}
    accept_mail = next(m for m in mail.outbox if accepted.title in m.body)
    assert "accepté" in accept_mail.body  # French template
    assert "Authors: strong paper" in accept_mail.body
    assert "Committee only" not in accept_mail.body
    assert "Le comité recommande" in accept_mail.body
    for reviewer in world.reviewers:  # no reviewer's name or user name
        assert reviewer.username not in accept_mail.body.replace("reviewer r", "")
        assert reviewer.get_full_name() not in accept_mail.body
    assert len(by_subject) == 2


def test_only_chairs_decide_and_decisions_are_checked(world):
    sub = reviewed(world, 1)[0]
    with pytest.raises(PermissionDenied):
        decisions.decide(world.call, [sub.pk], "accept", actor=world.committee)
    with pytest.raises(WorkflowError):
        decisions.decide(world.call, [sub.pk], "maybe", actor=world.chair)


def test_camera_ready_only_for_accepted_and_notified_papers(world):
    accepted, rejected = reviewed(world)
    decisions.decide(world.call, [accepted.pk], "revisions")
    decisions.decide(world.call, [rejected.pk], "reject")
    with pytest.raises(WorkflowError):
        decisions.upload_camera_ready(accepted, world.ann, "f.pdf", make_pdf("final"))
    decisions.notify(world.call)
    accepted.refresh_from_db()
    rejected.refresh_from_db()
    version = decisions.upload_camera_ready(accepted, world.ann, "f.pdf", make_pdf("final"))
    assert version.kind == "camera" and accepted.camera_ready == version
    with pytest.raises(WorkflowError):
        decisions.upload_camera_ready(rejected, world.ann, "f.pdf", make_pdf("final 2"))
    with pytest.raises(PermissionDenied):
        decisions.upload_camera_ready(accepted, world.bob, "f.pdf", make_pdf("final 3"))


def test_publication_makes_a_working_paper_item_with_provenance(world, client):
    accepted = reviewed(world, 1)[0]
    decisions.decide(world.call, [accepted.pk], "accept")
    decisions.notify(world.call)
    accepted.refresh_from_db()
    with pytest.raises(WorkflowError, match="no camera-ready"):
        publication.publish(accepted)
    decisions.upload_camera_ready(accepted, world.ann, "final.pdf",
                                  make_pdf("The final text on solidarity finance: " + " ".join(
                                      f"community bank {i} lends to cooperative {i * 7}"
                                      for i in range(60))))
    with pytest.raises(PermissionDenied):
        publication.publish(accepted, actor=world.committee)
    item = publication.publish(accepted, actor=world.chair)
    assert publication.publish(accepted, actor=world.chair) == item  # once
    item = Item.objects.get(pk=item.pk)
    assert item.item_type_id == "working-paper" and item.status == "published"
    assert item.provenance == "call" and item.source_name == "UNTFSSE Working Papers"
    assert item.source_record == "UNTFSSE Working Papers No. 1"
    assert world.call.get_absolute_url() in item.source_url
    assert [c.name for c in item.creators.all()] == ["Annabelle Zorrilla"]
    assert list(item.sdg_links.filter(source="editor").values_list("goal_id", flat=True)) == [8]
    assert item.files.get().sha256 == accepted.camera_ready.sha256
    assert item.files.get().minhash  # later ingests of the same work find this item
    assert "final text" in item.full_text
    page = client.get("/search/", {"q": "Paper 0 on solidarity finance"}).content.decode()
    assert f"/items/{item.pk}/" in page  # indexed by the ingest hooks


def _programme(world):
    accepted, rejected = reviewed(world)
    decisions.decide(world.call, [accepted.pk], "accept")
    decisions.decide(world.call, [rejected.pk], "reject")
    decisions.notify(world.call)
    start = world.call.conference_start
    with pytest.raises(WorkflowError, match="Only accepted"):
        programme.save_session(world.call, {"title": "X", "starts_at": start,
                                            "ends_at": start + timedelta(hours=1)},
                               [rejected.pk], actor=world.chair)
    session = programme.save_session(
        world.call, {"title": "Finance; cooperatives, and banks", "room": "Room 2",
                     "starts_at": start, "ends_at": start + timedelta(hours=2),
                     "chair_names": "Cyril Committee"}, [accepted.pk], actor=world.chair)
    return accepted, session


def test_programme_page_ical_and_book(world, client):
    accepted, session = _programme(world)
    page = client.get(f"/calls/{world.call.slug}/programme/").content.decode()
    assert "Finance; cooperatives, and banks" in page and "Annabelle Zorrilla" in page
    ics = client.get(f"/calls/{world.call.slug}/programme.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    body = ics.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "SUMMARY:Finance\\; cooperatives\\, and banks\r\n" in body
    assert f"DTSTART:{session.starts_at.strftime('%Y%m%dT%H%M%SZ')}" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert body.endswith("END:VCALENDAR\r\n")
    for reviewer in world.reviewers:
        assert reviewer.get_full_name() not in body
    book = client.get(f"/calls/{world.call.slug}/abstracts/").content.decode()
    assert accepted.title in book
    pdf = client.get(f"/calls/{world.call.slug}/abstracts.pdf")
    assert pdf.content.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert accepted.title in text


def test_exports_for_committee_and_chairs(world):
    subs = reviewed(world, 2)
    manager = exports.rows(world.call, world.chair, "submissions")
    assert "authors" in manager[0] and "Annabelle Zorrilla" in manager[1]
    committee = exports.rows(world.call, world.committee, "submissions")
    assert "authors" not in committee[0]
    assert not any("Zorrilla" in str(cell) for row in committee for cell in row)
    reviews = exports.rows(world.call, world.chair, "reviews")
    assert len(reviews) == 1 + 2 * len(subs) and reviews[0][3:6] == ["relevance", "rigour",
                                                                       "clarity"]
    with pytest.raises(PermissionDenied):
        exports.rows(world.call, world.reviewers[0], "reviews")
    with pytest.raises(PermissionDenied):
        exports.rows(world.call, world.ann, "submissions")
    assert exports.as_csv([["=HYPERLINK(1)"]]).startswith("'=HYPERLINK")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(exports.as_xlsx(manager, "submissions")))
    assert book.active.cell(2, 3).value == "Annabelle Zorrilla"


def test_export_pages(world, client):
    reviewed(world, 1)
    login(client, world.chair)
    response = client.get(f"/calls/{world.call.slug}/export/reviews.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    login(client, world.reviewers[0])
    assert client.get(f"/calls/{world.call.slug}/export/reviews.csv").status_code == 403


def test_nothing_is_public_before_the_authors_are_told(world, client):
    accepted = reviewed(world, 1)[0]
    decisions.decide(world.call, [accepted.pk], "accept")
    assert accepted.title not in client.get(f"/calls/{world.call.slug}/abstracts/").content.decode()
    decisions.notify(world.call)
    assert accepted.title in client.get(f"/calls/{world.call.slug}/abstracts/").content.decode()
    assert accepted.title in client.get(f"/calls/{world.call.slug}/").content.decode()


def test_conflicted_committee_member_does_not_export_the_paper(world):
    from ssehub.calls import services

    subs = reviewed(world, 2)
    services.declare_conflict(subs[0], world.committee, actor=world.ann)
    ids = [row[0] for row in exports.rows(world.call, world.committee, "submissions")[1:]]
    assert ids == [subs[1].pk]
    ids = {row[0] for row in exports.rows(world.call, world.committee, "reviews")[1:]}
    assert ids == {subs[1].pk}


def test_chair_edits_and_deletes_a_session_on_the_web(world, client):
    accepted, session = _programme(world)
    login(client, world.chair)
    url = f"/calls/{world.call.slug}/manage/programme/"
    page = client.get(f"{url}?session={session.pk}").content.decode()
    local = world.call.local(session.starts_at).strftime("%Y-%m-%dT%H:%M")
    assert local in page and "Delete the session" in page
    response = client.post(url, {"session": session.pk, "title": "Renamed", "room": "Room 3",
                                 "starts_at": local, "ends_at": world.call.local(
                                     session.ends_at).strftime("%Y-%m-%dT%H:%M"),
                                 "papers": [accepted.pk]})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.title == "Renamed" and session.room == "Room 3"
    assert list(session.papers.all()) == [accepted]
    assert world.call.sessions.count() == 1
    client.post(url, {"session": session.pk, "delete": "1"})
    assert not world.call.sessions.exists()
