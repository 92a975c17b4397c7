"""Who sees what: drafts stay private to their organisation and editors, files too, and the
workflow buttons call the service, which refuses what a role may not do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ssehub.library.models import Item, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(make_item) -> Item:
    return make_item("Confidential draft", status="draft")


@pytest.mark.parametrize("who,visible", [
    ("anonymous", False), ("plain_user", False), ("other_contributor", False),
    ("contributor", True), ("editor", True), ("admin_user", True),
])
def test_draft_visibility(request, client, login, draft, who, visible):
    if who != "anonymous":
        login(request.getfixturevalue(who))
    page = client.get(draft.get_absolute_url())
    listing = client.get(reverse("portal:item_list")).content.decode()
    if visible:
        assert page.status_code == 200
        assert "Confidential draft" in page.content.decode()
        assert "Status:" in page.content.decode()
        assert "Confidential draft" in listing
    else:
        assert page.status_code == 404
        assert "Confidential draft" not in listing


def _draft_with_file(item_with_file: Item) -> Item:
    item_with_file.status = Status.DRAFT
    item_with_file.save(update_fields=["status"])
    return item_with_file


def test_file_download(client, item_with_file):
    file = item_with_file.files.get()
    response = client.get(file.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert 'attachment; filename="jobs.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"Social economy enterprises")


def test_file_of_a_draft_is_private(request, client, login, item_with_file, other_contributor,
                                    contributor):
    item = _draft_with_file(item_with_file)
    url = item.files.get().get_absolute_url()
    assert client.get(url).status_code == 404
    login(other_contributor)
    assert client.get(url).status_code == 404
    login(contributor)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)  # read to the end, which closes the file


def test_file_must_belong_to_the_item(client, item_with_file, make_item):
    other = make_item("Another item")
    file = item_with_file.files.get()
    url = reverse("portal:file", args=[other.pk, file.pk])
    assert client.get(url).status_code == 404


def test_editor_publishes_from_the_item_page(client, login, editor, draft):
    login(editor)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert 'value="published"' in page
    response = client.post(reverse("portal:item_status", args=[draft.pk]),
                           {"to": "published"}, follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.status_changes.last().changed_by == editor
    assert "Status changed" in response.content.decode()


def test_contributor_cannot_publish(client, login, contributor, draft):
    login(contributor)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert 'value="in_review"' in page and 'value="published"' not in page
    response = client.post(reverse("portal:item_status", args=[draft.pk]),
                           {"to": "published"}, follow=True)
    assert response.status_code == 200
    assert "You may not move this item" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    # ...but may send it to review.
    client.post(reverse("portal:item_status", args=[draft.pk]), {"to": "in_review"})
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW


def test_status_change_needs_csrf(login, editor, draft):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    response = strict.post(reverse("portal:item_status", args=[draft.pk]), {"to": "published"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_anonymous_cannot_change_status_of_published(client, make_item):
    item = make_item("Public")
    response = client.post(reverse("portal:item_status", args=[item.pk]), {"to": "withdrawn"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.PUBLISHED
