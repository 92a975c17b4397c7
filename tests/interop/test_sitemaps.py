"""/sitemap.xml and /robots.txt: every published item page reachable by a crawler, nothing
else of the library; pages sliced by key range, so a deep page costs what the first does."""

from __future__ import annotations

import re

from defusedxml import ElementTree
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ssehub.interop import sitemaps
from ssehub.library.models import Item, Status

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.iterfind(".//s:loc", NS)]


def test_the_sitemap_lists_every_published_item_and_nothing_else(library, client):
    index = locations(client, "/sitemap.xml")
    assert index == ["http://testserver/sitemap-pages.xml",
                     "http://testserver/sitemap-organisations.xml",
                     "http://testserver/sitemap-items.xml"]
    items = locations(client, "/sitemap-items.xml")
    assert items == [f"http://testserver/items/{item.pk}/" for item in library.published]
    for hidden in (library.withdrawn, library.back_to_draft, library.draft):
        assert f"http://testserver/items/{hidden.pk}/" not in items
    body = client.get("/sitemap-items.xml").content.decode()
    first = library.published[0]
    first.refresh_from_db()
    assert f"<lastmod>{first.updated_at.date().isoformat()}</lastmod>" in body
    pages = locations(client, "/sitemap-pages.xml")
    assert {"http://testserver/", "http://testserver/search/",
            "http://testserver/harvest/"} <= set(pages)
    assert "http://testserver/organisations/ilo/" in locations(
        client, "/sitemap-organisations.xml")
    # Every listed page answers, as a crawler would find.
    for url in items + pages:
        assert client.get(url.removeprefix("http://testserver")).status_code == 200, url


def test_item_pages_are_key_ranges_of_the_same_cost_however_deep(library, client, monkeypatch):
    monkeypatch.setattr(sitemaps.ItemSitemap, "limit", 3)
    top = max(item.pk for item in library.published)  # the highest published key
    index = locations(client, "/sitemap.xml")
    pages = [url for url in index if "sitemap-items" in url]
    assert len(pages) == -(-top // 3)  # one per range of three keys, up to the highest
    seen: list[str] = []
    for url in pages:
        path = url.removeprefix("http://testserver")
        with CaptureQueriesContext(connection) as queries:
            seen += locations(client, path)
        # The page's items in one range query on the key (no OFFSET), whatever the page.
        [select] = [q["sql"] for q in queries if '"library_item"."updated_at"' in q["sql"]
                    and "MAX" not in q["sql"].upper()]
        assert "OFFSET" not in select.upper() and '"library_item"."id" >' in select
    assert seen == [f"http://testserver/items/{item.pk}/" for item in library.published]
    assert client.get(f"/sitemap-items.xml?p={len(pages) + 1}").status_code == 404
    assert client.get("/sitemap-items.xml?p=x").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_an_empty_library_has_a_valid_sitemap(db, client):
    assert not Item.objects.filter(status=Status.PUBLISHED).exists()
    assert locations(client, "/sitemap-items.xml") == []
    assert len([u for u in locations(client, "/sitemap.xml") if "items" in u]) == 1


def test_robots_txt_points_crawlers_at_the_sitemap_and_keeps_them_out_of_the_back_office(
        db, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert re.search(r"^Sitemap: http://testserver/sitemap\.xml$", text, re.M)
    for path in ("/admin/", "/accounts/", "/search/export"):
        assert f"Disallow: {path}\n" in text
    assert "Disallow: /items/" not in text and "Disallow: /\n" not in text
    assert client.post("/robots.txt").status_code == 405
