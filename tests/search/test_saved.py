"""Saved searches: saving, listing, deleting; the Atom feed; e-mail digests sent once."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ssehub.library import services as library
from ssehub.library.models import Item, Status
from ssehub.search import saved as saved_searches
from ssehub.search.models import SavedSearch, SentAlert

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(params=["tantivy", "postgres"], autouse=True)
def backend(request, settings, db):
    """Feeds and digests run the search backends: both of them when the database allows."""
    from django.db import connection

    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backend needs DATABASE_URL=postgres://...")
    settings.SSEHUB_SEARCH_BACKEND = request.param
    return request.param


@pytest.fixture
def owner(contributor):
    contributor.email = "contrib@example.org"
    contributor.save()
    return contributor


@pytest.fixture
def library_items(make_item, indexed):
    items = {
        "water": make_item({"en": "Water cooperatives in Bolivia"}, sdgs="6", countries="BO"),
        "energy": make_item({"en": "Energy cooperatives in France"}, sdgs="7", countries="FR"),
        "draft": make_item({"en": "Draft on water cooperatives"}, sdgs="6",
                           status=Status.DRAFT, organisation="ilo"),
        "other_draft": make_item({"en": "Another organisation's water cooperatives"},
                                 sdgs="6", status=Status.DRAFT, organisation="ripess"),
    }
    indexed()
    return items


def test_save_list_and_delete_through_the_pages(client, owner, other_contributor):
    client.force_login(owner)
    page = client.get(reverse("search:page"), {"q": "cooperatives", "sdg": "6"})
    assert 'name="querystring"' in page.content.decode()
    response = client.post(reverse("search:saved_create"), {
        "name": "  Water  co-ops ", "querystring": "q=cooperatives&sdg=6&page=3&evil=1"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(user=owner)
    assert saved.name == "Water co-ops"
    assert saved.querystring == "q=cooperatives&sdg=6"  # no page, nothing unknown
    assert len(saved.token) >= 40
    listing = client.get(reverse("search:saved")).content.decode()
    assert "Water co-ops" in listing and f"/search/saved/{saved.token}/feed.atom" in listing
    assert "/search/?q=cooperatives&amp;sdg=6" in listing
    # Someone else cannot touch it.
    client.force_login(other_contributor)
    assert client.post(reverse("search:saved_delete", args=[saved.pk])).status_code == 404
    assert client.post(reverse("search:saved_alert", args=[saved.pk]),
                       {"alert": "1"}).status_code == 404
    assert "Water co-ops" not in client.get(reverse("search:saved")).content.decode()
    client.force_login(owner)
    client.post(reverse("search:saved_alert", args=[saved.pk]), {"alert": "1"})
    saved.refresh_from_db()
    assert saved.alert
    client.post(reverse("search:saved_delete", args=[saved.pk]))
    assert not SavedSearch.objects.exists()


def test_anonymous_users_cannot_save(client, db):
    response = client.post(reverse("search:saved_create"), {"name": "x", "querystring": "q=x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not SavedSearch.objects.exists()
    assert 'name="querystring"' not in client.get(reverse("search:page")).content.decode()


def feed_entries(client, saved) -> list[str]:
    response = client.get(reverse("search:saved_feed", args=[saved.token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own output) raises if malformed
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text
    return [entry.find(f"{ATOM}title").text for entry in root.findall(f"{ATOM}entry")]


def test_feed_shows_what_the_owner_may_see(client, owner, plain_user, library_items):
    mine = saved_searches.save(owner, "water", "q=water+cooperatives&mode=lexical")
    theirs = saved_searches.save(plain_user, "water", "q=water+cooperatives&mode=lexical")
    titles = feed_entries(client, mine)  # no login: the token is the key
    assert "Water cooperatives in Bolivia" in titles
    assert "Draft on water cooperatives" in titles  # the owner's organisation's draft
    assert "Another organisation's water cooperatives" not in titles
    assert "Energy cooperatives in France" not in titles
    assert "Draft on water cooperatives" not in feed_entries(client, theirs)


def test_feed_with_filters_and_unknown_tokens(client, owner, library_items):
    saved = saved_searches.save(owner, "SDG 7", "sdg=7")
    assert feed_entries(client, saved) == ["Energy cooperatives in France"]
    assert client.get("/search/saved/not-a-token/feed.atom").status_code == 404
    owner.is_active = False
    owner.save()
    assert client.get(reverse("search:saved_feed", args=[saved.token])).status_code == 404


def alert_for(user, querystring: str) -> SavedSearch:
    saved = saved_searches.save(user, querystring, querystring)
    saved.alert = True
    saved.save()
    return saved


def test_digest_sends_new_matches_once(owner, make_item, indexed, library_items):
    saved = alert_for(owner, "q=cooperatives&sdg=6")
    call_command("search_alerts")
    assert mail.outbox == []  # nothing new since saving: the backlog is not sent
    new = make_item({"en": "Drinking water cooperatives in Peru"}, sdgs="6")
    make_item({"en": "Cooperatives of taxi drivers"}, sdgs="8")  # other goal
    make_item({"en": "Draft water cooperatives elsewhere"}, sdgs="6", status=Status.DRAFT,
              organisation="ripess")  # not visible to the owner
    mine = make_item({"en": "Our draft on water cooperatives"}, sdgs="6",
                     status=Status.DRAFT, organisation="ilo")  # visible to the owner
    indexed()
    call_command("search_alerts")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["contrib@example.org"]
    assert "Drinking water cooperatives in Peru" in message.body
    assert "Our draft on water cooperatives" in message.body
    assert "taxi" not in message.body and "elsewhere" not in message.body
    assert f"/items/{new.pk}/" in message.body
    assert set(SentAlert.objects.filter(saved_search=saved).values_list("item_id", flat=True)) \
        == {new.pk, mine.pk}
    # A second run finds nothing new: nothing is sent twice.
    call_command("search_alerts")
    assert len(mail.outbox) == 1
    # Even when the time window overlaps (checked_at moved back), the records hold.
    SavedSearch.objects.filter(pk=saved.pk).update(checked_at=timezone.now() - timedelta(days=1))
    call_command("search_alerts")
    assert len(mail.outbox) == 1
    # An item published later is new then, and only it is sent.
    other = Item.objects.get(title__en="Draft water cooperatives elsewhere")
    library.change_status(other, Status.PUBLISHED, actor=_editor())
    indexed()
    call_command("search_alerts")
    assert len(mail.outbox) == 2
    assert "elsewhere" in mail.outbox[1].body and "Peru" not in mail.outbox[1].body


def _editor():
    from django.contrib.auth import get_user_model

    from ssehub.core.roles import editors_group

    user = get_user_model().objects.create_user("chief-editor")
    user.groups.add(editors_group())
    return user


def test_dry_run_sends_and_records_nothing(owner, make_item, indexed, capsys):
    alert_for(owner, "q=cooperatives")
    make_item({"en": "Housing cooperatives in Uruguay"})
    indexed()
    call_command("search_alerts", "--dry-run")
    assert mail.outbox == [] and not SentAlert.objects.exists()
    assert "Housing cooperatives in Uruguay" in capsys.readouterr().out
    call_command("search_alerts")
    assert len(mail.outbox) == 1


def test_failed_sending_is_retried_not_lost(owner, make_item, indexed, monkeypatch):
    alert_for(owner, "q=cooperatives")
    make_item({"en": "Housing cooperatives in Uruguay"})
    indexed()

    def broken(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(saved_searches, "send_mail", broken)
    with pytest.raises(ConnectionError):
        saved_searches.send_digests()
    assert not SentAlert.objects.exists()
    monkeypatch.undo()
    saved_searches.send_digests()
    assert len(mail.outbox) == 1


def test_semantic_alerts_and_users_without_address(owner, plain_user, make_item, indexed):
    alert_for(owner, "q=coopératives+d'eau+potable&mode=hybrid")
    alert_for(plain_user, "q=cooperatives")  # no e-mail address: skipped
    make_item({"en": "Drinking water cooperatives in Peru"},
              abstract={"en": "Community cooperatives supply safe drinking water."})
    indexed()
    digests = saved_searches.send_digests()
    assert [d.user for d in digests] == [owner]
    assert "Drinking water cooperatives in Peru" in mail.outbox[0].body


def test_ssehub_search_alerts_command_line(owner, make_item, indexed, capsys):
    from ssehub.cli import main

    alert_for(owner, "q=cooperatives")
    make_item({"en": "Housing cooperatives in Uruguay"})
    indexed()
    main(["search", "alerts", "--dry-run"])
    assert "would send 1 digest(s), 1 item(s)" in capsys.readouterr().out
    assert mail.outbox == []


def test_alerts_report_a_missing_index_and_record_nothing(owner, make_item, indexed,
                                                          index_dir, backend):
    import shutil

    from django.core.management.base import CommandError

    if backend != "tantivy":
        # Deleting the index folder is how a broken index is made here; the PostgreSQL
        # backend keeps its index in the database, where no folder can go missing.
        pytest.skip("the index folder belongs to the tantivy backend")
    alert_for(owner, "q=cooperatives&mode=lexical")
    make_item({"en": "Housing cooperatives in Uruguay"})
    indexed()
    shutil.rmtree(index_dir / "tantivy")
    with pytest.raises(CommandError, match="reindex"):
        call_command("search_alerts")
    assert mail.outbox == [] and not SentAlert.objects.exists()
