"""Feeds, web pages and sitemaps, CSV/JSON files and Murmurations profiles."""

from __future__ import annotations

import json

from ssehub.harvest.models import RecordState
from ssehub.library.models import Item, Status

ARTICLE = """<html><head><title>{title}</title></head><body><nav>menu</nav><article>
<h1>{title}</h1>{paras}</article><footer>footer</footer></body></html>"""


def article(title: str, n: int = 6) -> str:
    para = ("<p>Social and solidarity economy organisations in {t} create decent work, "
            "share value among members and strengthen local food systems. ({i})</p>")
    return ARTICLE.format(title=title, paras="".join(para.format(t=title, i=i)
                                                    for i in range(n)))


def rss(items: list[tuple[str, str, str, str]], extra: str = "") -> str:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>"
        f"<description>{summary}</description><pubDate>{date}</pubDate></item>"
        for guid, title, link, summary, date in [(*i[:4], i[4] if len(i) > 4 else
                                                   "Mon, 06 Jan 2025 10:00:00 GMT")
                                                  for i in items])
    return (f'<?xml version="1.0" encoding="UTF-8"?>{extra}<rss version="2.0"><channel>'
            f"<title>SSE news</title><language>en</language>{body}</channel></rss>")


def test_feed_follows_summary_only_entries_and_is_conditional(site, harvest):
    s = site()
    page = s.add("/news/1", article("Cooperatives in Dakar"))
    feed_xml = rss([("n1", "Cooperatives in Dakar", page, "A short teaser.")])
    s.add("/feed.xml", feed_xml, "application/rss+xml", etag='"v1"')
    out = harvest("feed", "news", s.url("/feed.xml"))
    assert (out["outcome"], out["created"]) == ("complete", 1)
    item = Item.objects.get()
    assert item.title == {"en": "Cooperatives in Dakar"}
    assert "strengthen local food systems" in item.full_text  # the linked page's main text
    assert "footer" not in item.full_text
    assert item.item_type_id == "news" and item.source_record == "n1"
    # Second run: the feed answers 304 to If-None-Match; nothing is fetched again.
    hits = len(s.hits)
    out = harvest("feed", "news", s.url("/feed.xml"))
    assert out["seen"] == 0 and s.conditional_hits == ["/feed.xml"]
    assert s.hits[hits:] == ["/feed.xml"]


def test_feed_changed_entry_updates_and_unchanged_is_not_refetched(site, harvest):
    s = site()
    p1, p2 = s.add("/a", article("First story")), s.add("/b", article("Second story"))
    s.add("/feed.xml", rss([("a", "First story", p1, "t"), ("b", "Second story", p2, "t")]))
    harvest("feed", "news", s.url("/feed.xml"))
    s.add("/feed.xml", rss([("a", "First story, revised", p1, "t"),
                            ("b", "Second story", p2, "t")]))
    s.hits.clear()
    out = harvest("feed", "news", s.url("/feed.xml"))
    assert (out["updated"], out["unchanged"], out["created"]) == (1, 1, 0)
    assert "/b" not in s.hits
    assert Item.objects.count() == 2
    assert Item.objects.get(source_record="a").title == {"en": "First story, revised"}


def test_feed_with_broken_dates_and_malformed_xml(site, harvest):
    s = site()
    body = rss([("x", "Undated", "", "Summary only, no link.", "the day after tomorrow")])
    s.add("/feed.xml", body)
    out = harvest("feed", "news", s.url("/feed.xml"))
    assert out["created"] == 1
    item = Item.objects.get()
    assert item.pub_year is None and item.abstract == {"en": "Summary only, no link."}
    s.add("/bad.xml", "<rss><channel><item><title>oops</title></chan")
    out = harvest("feed", "bad", s.url("/bad.xml"))
    # feedparser reads what it can; the run says so instead of failing silently or loudly.
    assert (out["outcome"], out["created"]) == ("complete", 1)
    assert "not well-formed" in out["errors"][0]["error"]


def test_feed_entity_tricks_are_refused(site, harvest):
    s = site()
    s.add("/feed.xml", rss([("x", "&xxe;", "", "s")],
                           extra='<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'))
    out = harvest("feed", "evil", s.url("/feed.xml"))
    assert out["outcome"] == "failed" and "refused feed XML" in out["errors"][0]["error"]
    assert Item.objects.count() == 0


def test_web_pages_from_a_sitemap_respect_robots(site, harvest):
    s = site()
    s.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    allowed = s.add("/pages/coop", article("Housing cooperatives in Lyon"), etag='"p1"')
    private = s.url("/private/secret")
    s.add("/private/secret", article("Secret"))
    s.add("/sitemap.xml", f"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{allowed}</loc></url><url><loc>{private}</loc></url></urlset>""", "application/xml")
    out = harvest("web", "site", s.url("/sitemap.xml"))
    assert (out["created"], out["failed"]) == (1, 1)
    assert out["errors"][0]["record"] == private and "robots.txt" in out["errors"][0]["error"]
    assert "/private/secret" not in s.hits
    assert "Lyon" in Item.objects.get().full_text
    out = harvest("web", "site", s.url("/sitemap.xml"))
    assert out["unchanged"] == 1 and "/pages/coop" in s.conditional_hits


def test_csv_with_a_column_mapping(site, harvest, tmp_path):
    path = tmp_path / "initiatives.csv"
    path.write_text("Ref,Name,Summary,Year,Link\n"
                    "r1,Coopérative des Amis,Une coopérative,2021,https://amis.example.org\n"
                    "r2,,no name,2020,\n", encoding="utf-8")
    mapping = {"title": "Name", "abstract": "Summary", "date": "Year", "url": "Link"}
    out = harvest("tabular", "csv", str(path), mapping=mapping, id="Ref", type="initiative")
    assert (out["created"], out["failed"]) == (1, 1)
    item = Item.objects.get()
    assert item.identifiers["url"] == "https://amis.example.org"
    assert item.item_type_id == "initiative" and item.pub_year == 2021
    path.write_text(path.read_text().replace("Une coopérative", "Une coopérative agricole"))
    out = harvest("tabular", "csv", str(path))
    assert out["updated"] == 1 and Item.objects.count() == 1


def test_json_url_with_nested_records(site, harvest):
    s = site()
    data = {"results": [{"id": 7, "info": {"name": "Fair trade network"}}]}
    s.add("/data.json", json.dumps(data), "application/json")
    out = harvest("tabular", "json", s.url("/data.json"), records="results", id="id",
                  mapping={"title": "info.name"})
    assert out["created"] == 1 and Item.objects.get().source_record == "7"


def test_murmurations_index_profiles_and_deletion(site, harvest):
    s = site()
    profile = {"linked_schemas": ["organizations_schema-v1.0.0"], "name": "Repair Café Quito",
               "primary_url": "https://repair.example.org", "tags": ["repair", "circular"],
               "description": "Volunteers repair household objects.",
               "country_iso_3166": "EC"}
    purl = s.add("/profiles/1.json", json.dumps(profile), "application/json")
    index = {"data": [{"profile_url": purl, "last_updated": 100, "status": "posted"}]}
    s.add("/index", json.dumps(index), "application/json")
    out = harvest("murmurations", "murm", s.url("/index"))
    assert out["created"] == 1
    item = Item.objects.get()
    assert item.item_type_id == "initiative" and item.keywords == ["repair", "circular"]
    assert [c.iso2 for c in item.countries.all()] == ["EC"]
    s.hits.clear()
    assert harvest("murmurations", "murm", s.url("/index"))["unchanged"] == 1
    assert "/profiles/1.json" not in s.hits  # same last_updated: not fetched again
    index["data"][0]["status"] = "deleted"
    s.add("/index", json.dumps(index), "application/json")
    assert harvest("murmurations", "murm", s.url("/index"))["deleted"] == 1
    assert Item.objects.get().status == Status.WITHDRAWN
    assert RecordState.objects.get().deleted
