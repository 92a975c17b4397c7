"""Web pages and sitemaps: robots.txt respected, one request per host per delay.

The URL list (a sitemap's, recursively through sitemap indexes, or the ``urls`` option) is
fixed when a run starts and kept in the checkpoint, so a resumed run walks the same list.
Each page is fetched conditionally (ETag / Last-Modified from the last run) and its content
hashed; only new or changed pages reach the pipeline (trafilatura extracts the main text).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib import robotparser
from urllib.parse import urlsplit

from ssehub.core.net import USER_AGENT, FetchError
from ssehub.harvest import conf, http, xmlsafe
from ssehub.harvest.sources.base import Harvester, HarvestError, Page, Record, chunks
from ssehub.harvest.sources.feeds import validators_headers, validators_of

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
MAX_SITEMAPS = 50
MAX_URLS = 50_000


class Robots:
    """robots.txt per host (RFC 9309): missing (4xx) allows all, unreachable refuses all."""

    def __init__(self):
        self.parsers: dict[str, robotparser.RobotFileParser | None] = {}

    def _parser(self, url: str) -> robotparser.RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.parsers:
            parser = robotparser.RobotFileParser()
            try:
                response = http.get_with_retries(f"{origin}/robots.txt", max_bytes=512 * 1024)
                parser.parse(response.content.decode("utf-8", "replace").splitlines())
            except http.HTTPStatusError as exc:
                if 400 <= exc.status < 500:
                    parser.parse([])
                else:
                    parser = None
            except FetchError:
                parser = None
            self.parsers[origin] = parser
        return self.parsers[origin]

    def allowed(self, url: str) -> bool:
        parser = self._parser(url)
        return parser is not None and parser.can_fetch(USER_AGENT, url)

    def delay(self, url: str) -> float | None:
        parser = self._parser(url)
        value = parser.crawl_delay(USER_AGENT) if parser is not None else None
        return float(value) if value is not None else None


class Polite:
    """Waits so that one host gets at most one request per delay."""

    def __init__(self, delay: float):
        self.delay = delay
        self.last: dict[str, float] = {}

    def wait(self, url: str, delay: float | None = None) -> None:
        host = urlsplit(url).netloc
        pause = max(self.delay, delay or 0.0)
        wait = self.last.get(host, float("-inf")) + pause - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, conf.get("SSEHUB_HARVEST_MAX_SLEEP")))
        self.last[host] = time.monotonic()


def sitemap_urls(url: str, polite: Polite) -> list[str]:
    """Page URLs of a sitemap or sitemap index (nested indexes followed, bounded)."""
    pending, seen, pages = [url], set(), []
    while pending and len(seen) < MAX_SITEMAPS:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        polite.wait(current)
        try:
            response = http.get_with_retries(current)
            root, _note = xmlsafe.parse(response.content)
        except (FetchError, xmlsafe.XMLError) as exc:
            raise HarvestError(f"sitemap {current}: {exc}") from exc
        if root.tag == f"{SITEMAP}sitemapindex":
            pending.extend(xmlsafe.text(n) for n in root.iter(f"{SITEMAP}loc"))
        elif root.tag == f"{SITEMAP}urlset":
            pages.extend(xmlsafe.text(n) for n in root.iter(f"{SITEMAP}loc"))
        else:
            raise HarvestError(f"{current} is not a sitemap (root element {root.tag})")
    return list(dict.fromkeys(u for u in pages if u))[:MAX_URLS]


class WebHarvester(Harvester):
    """Options: urls (a list; else the source URL is a sitemap if it looks like one, or a
    page), delay (seconds per host, default SSEHUB_HARVEST_DELAY), type."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.polite = Polite(float(self.options.get("delay", conf.get("SSEHUB_HARVEST_DELAY"))))
        self.robots = Robots()

    def start(self) -> dict[str, Any]:
        urls = [str(u) for u in self.options.get("urls") or []]
        if not urls:
            if self.options.get("sitemap") or "sitemap" in self.source.url.lower():
                urls = sitemap_urls(self.source.url, self.polite)
            else:
                urls = [self.source.url]
        return {"urls": urls, "position": 0}

    def pages(self, cursor: dict[str, Any]) -> Iterator[Page]:
        urls: list[str] = cursor["urls"]
        position = cursor.get("position", 0)
        size = self.page_size
        for start, batch in chunks(urls[position:], size):
            known = self.lookup(batch)
            records = [self.record(url, known.get(url)) for url in batch]
            yield Page(records, {**cursor, "position": position + start + len(batch)},
                       total=len(urls))
        if not urls[position:]:
            yield Page([], cursor, total=len(urls))

    def record(self, url: str, state) -> Record:
        if not self.robots.allowed(url):
            return Record(identifier=url, error="refused by robots.txt (or robots.txt "
                          "unreachable)")
        self.polite.wait(url, self.robots.delay(url))
        validators = state.validators if state is not None and not self.full else {}
        try:
            response = http.get_with_retries(url, headers=validators_headers(validators))
        except FetchError as exc:
            return Record(identifier=url, error=str(exc))
        if response.not_modified:
            return Record(identifier=url, not_modified=True, validators=validators,
                          content_hash=state.content_hash if state is not None else "")
        record = Record(identifier=url, data=response.content, filename="page.html",
                        source_url=url, validators=validators_of(response),
                        metadata={"identifiers": {"url": url}, "type": self.default_type})
        record.raw = ""  # the page itself is the document; its hash is the provenance
        return record
