"""The upload form: contributors add drafts through the ingestion service; others are refused;
a failed upload explains why and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ssehub.library import storage
from ssehub.library.models import Item, ItemFile, Status

pytestmark = pytest.mark.django_db

TEXT = (b"Social and solidarity economy organisations in West Africa provide "
        b"decent jobs and social protection to informal workers.\n") * 10


def _blobs(settings) -> list[Path]:
    root = Path(settings.FILES_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_contributor_uploads_a_draft(client, login, contributor, org):
    login(contributor)
    form_page = client.get(reverse("portal:upload"))
    assert form_page.status_code == 200
    assert '<label for="id_file">' in form_page.content.decode()
    response = client.post(reverse("portal:upload"), {
        "file": SimpleUploadedFile("west-africa.txt", TEXT, content_type="text/plain"),
        "title": "SSE and informal workers in West Africa",
        "abstract": "How SSE organisations reach informal workers.",
        "type": "report", "organisation": org.slug, "languages": "en, fr",
        "date": "2023-04", "keywords": "informal economy, social protection",
        "sdgs": ["1", "8"],
    })
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert item.status == Status.DRAFT
    assert item.provenance == "upload"
    assert item.created_by == contributor
    assert item.organisation == org
    assert item.display_title == "SSE and informal workers in West Africa"
    assert item.languages == ["en", "fr"]
    assert (item.pub_year, item.pub_month) == (2023, 4)
    assert item.keywords == ["informal economy", "social protection"]
    editor_links = item.sdg_links.filter(source="editor")
    assert sorted(editor_links.values_list("goal_id", flat=True)) == [1, 8]
    file = ItemFile.objects.get(item=item)
    assert file.filename == "west-africa.txt"
    with storage.open_blob(file.sha256) as handle:
        assert handle.read() == TEXT
    page = client.get(item.get_absolute_url()).content.decode()
    assert "added as a draft" in page


def test_contributor_cannot_upload_for_another_organisation(client, login, contributor,
                                                            other_org):
    login(contributor)
    response = client.post(reverse("portal:upload"), {
        "file": SimpleUploadedFile("x.txt", TEXT), "type": "report",
        "organisation": other_org.slug,
    })
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert Item.objects.count() == 0


def test_editor_may_choose_any_organisation(client, login, editor, other_org):
    login(editor)
    form = client.get(reverse("portal:upload")).context["form"]
    assert other_org in form.fields["organisation"].queryset


def test_plain_user_is_refused_with_an_explanation(client, login, plain_user):
    login(plain_user)
    response = client.get(reverse("portal:upload"))
    assert response.status_code == 403
    assert "not attached to any organisation" in response.content.decode()
    response = client.post(reverse("portal:upload"), {"file": SimpleUploadedFile("x.txt", TEXT)})
    assert response.status_code == 403
    assert Item.objects.count() == 0


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("portal:upload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_empty_file_fails_and_stores_nothing(client, login, contributor, org, settings):
    login(contributor)
    response = client.post(reverse("portal:upload"), {
        "file": SimpleUploadedFile("empty.txt", b""), "type": "report",
        "organisation": org.slug,
    })
    assert response.status_code == 200
    assert "The submitted file is empty." in response.content.decode()
    assert Item.objects.count() == 0 and ItemFile.objects.count() == 0
    assert _blobs(settings) == []


def test_unsupported_file_shows_the_reason_and_stores_nothing(client, login, contributor,
                                                              org, settings):
    login(contributor)
    response = client.post(reverse("portal:upload"), {
        "file": SimpleUploadedFile("photo.txt", b"\x89PNG\r\n\x1a\n" + b"\0" * 100),
        "type": "report", "organisation": org.slug,
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert "The document was not added" in html
    assert "PNG" in html
    assert Item.objects.count() == 0 and ItemFile.objects.count() == 0
    assert _blobs(settings) == []


def test_size_limit_is_enforced(client, login, contributor, org, settings):
    settings.SSEHUB_MAX_FILE_BYTES = 100
    login(contributor)
    response = client.post(reverse("portal:upload"), {
        "file": SimpleUploadedFile("big.txt", TEXT), "type": "report",
        "organisation": org.slug,
    })
    assert response.status_code == 200
    assert "largest accepted" in response.content.decode()
    assert Item.objects.count() == 0
    assert _blobs(settings) == []


def test_same_file_twice_goes_to_the_existing_item(client, login, contributor, org):
    login(contributor)
    data = {"type": "report", "organisation": org.slug}
    client.post(reverse("portal:upload"), {**data, "file": SimpleUploadedFile("a.txt", TEXT)})
    response = client.post(reverse("portal:upload"),
                           {**data, "file": SimpleUploadedFile("b.txt", TEXT)})
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
