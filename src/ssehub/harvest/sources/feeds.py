"""RSS and Atom feeds (feedparser), with the linked page when the entry is only a summary.

Incremental twice over: the feed itself is fetched with If-None-Match / If-Modified-Since
(a 304 ends the run at once), and each entry is hashed, so only new or changed entries have
their page fetched. The linked page goes through the pipeline as an HTML document, where
trafilatura extracts its main text.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import feedparser
import nh3
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ssehub.core.net import FetchError
from ssehub.harvest import conf, http
from ssehub.harvest.sources.base import Harvester, HarvestError, Page, Record, chunks
from ssehub.harvest.sources.oai import language_code

SUMMARY_ONLY_CHARS = 1000  # content shorter than this is a teaser: fetch the page


def validators_headers(validators: dict[str, str]) -> dict[str, str]:
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last-modified"):
        headers["If-Modified-Since"] = validators["last-modified"]
    return headers


def validators_of(response: http.Response) -> dict[str, str]:
    return {k: response.headers[k] for k in ("etag", "last-modified") if response.headers.get(k)}


def refuse_dangerous_xml(data: bytes) -> None:
    """feedparser is lenient by design; entity tricks are refused before it sees them."""
    try:
        fromstring(data)
    except DefusedXmlException as exc:
        raise HarvestError(f"refused feed XML: {type(exc).__name__} ({exc})") from exc
    except Exception:  # noqa: S110 (malformed: feedparser's loose parser may still read it)
        pass


def _plain(html: str) -> str:
    return " ".join(nh3.clean(html or "", tags=set()).split())


def _date(entry: Any) -> str:
    """The entry's date if feedparser could read it; broken dates are simply left out."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            value = entry.get(key)
        if value:
            try:
                return time.strftime("%Y-%m-%d", value)
            except (TypeError, ValueError):
                continue
    return ""


class FeedHarvester(Harvester):
    """Options: type (default news), delay (seconds between linked-page requests)."""

    @property
    def default_type(self) -> str:
        return str(self.options.get("type") or "news")

    def start(self) -> dict[str, Any]:
        return {"position": 0}

    def finish(self, cursor: dict[str, Any]) -> dict[str, Any]:
        state = dict(self.source.state or {})
        if "validators" in cursor:
            state["validators"] = cursor["validators"]
        return state

    def pages(self, cursor: dict[str, Any]) -> Iterator[Page]:
        validators = {} if self.full else (self.source.state or {}).get("validators", {})
        try:
            response = http.get_with_retries(self.source.url,
                                             headers=validators_headers(validators))
        except FetchError as exc:
            raise HarvestError(str(exc)) from exc
        if response.not_modified:
            yield Page([], {**cursor, "validators": validators})
            return
        refuse_dangerous_xml(response.content)
        feed = feedparser.parse(response.content)
        if feed.bozo and not feed.entries:
            raise HarvestError(f"not a readable feed: {feed.get('bozo_exception')}")
        notes = [f"feed is not well-formed ({feed.bozo_exception}); read leniently"] \
            if feed.bozo else []
        feed_hash = hashlib.sha256(response.content).hexdigest()
        # A feed that changed since the interrupted run is walked again from the top
        # (already stored entries come back as unchanged).
        position = cursor.get("position", 0) if cursor.get("feed") == feed_hash else 0
        language = language_code(feed.feed.get("language", "") or "")
        entries = list(feed.entries)
        size = self.page_size
        new_validators = validators_of(response)
        for start, batch in chunks(entries[position:], size):
            end = position + start + len(batch)
            records = [self.record(e, language) for e in batch]
            self.fetch_pages(records)
            yield Page(records, {"position": end, "feed": feed_hash,
                                 "validators": new_validators}, total=len(entries), notes=notes)
            notes = []
        if not entries[position:]:
            yield Page([], {"position": position, "feed": feed_hash,
                            "validators": new_validators}, total=len(entries), notes=notes)

    def record(self, entry: Any, language: str) -> Record:
        link = entry.get("link", "")
        identifier = entry.get("id") or link or entry.get("title", "")
        if not identifier:
            return Record(identifier="", error="entry without id, link or title")
        title = _plain(entry.get("title", ""))
        summary = _plain(entry.get("summary", ""))
        content = "".join(c.get("value", "") for c in entry.get("content", []) or [])
        meta: dict[str, Any] = {"type": self.default_type}
        if title:
            meta["title"] = {language: title} if language else title
        if summary:
            meta["abstract"] = {language: summary} if language else summary
        date = _date(entry)
        if date:
            meta["date"] = date
        authors = [a.get("name", "") for a in entry.get("authors", []) or [] if a.get("name")]
        if authors:
            meta["creators"] = authors
        tags = [t.get("term", "") for t in entry.get("tags", []) or [] if t.get("term")]
        if tags:
            meta["keywords"] = tags
        if language:
            meta["languages"] = [language]
        if link.lower().startswith(("http://", "https://")):
            meta["identifiers"] = {"url": link}
        with warnings.catch_warnings():  # feedparser's updated → published fallback notice
            warnings.simplefilter("ignore", DeprecationWarning)
            raw = json.dumps({k: entry.get(k) for k in (
                "id", "link", "title", "summary", "published", "updated", "author")} | {
                "content": content}, ensure_ascii=False, sort_keys=True, default=str)
        record = Record(identifier=identifier, datestamp=date, raw=raw, metadata=meta,
                        source_url=link if meta.get("identifiers") else "")
        if len(_plain(content)) >= SUMMARY_ONLY_CHARS:
            record.data = content.encode("utf-8")
            record.filename = "entry.html"
        return record

    def fetch_pages(self, records: list[Record]) -> None:
        """Fetch the linked page of new or changed summary-only entries (politely)."""
        known = self.lookup([r.identifier for r in records if r.identifier])
        delay = float(self.options.get("delay", conf.get("SSEHUB_HARVEST_DELAY")))
        last: dict[str, float] = {}
        for record in records:
            if record.error or record.data is not None or not record.source_url:
                continue
            state = known.get(record.identifier)
            if state is not None and state.item_id and not self.full and (
                    state.content_hash == record.digest()):
                continue  # unchanged entry: the runner counts it without a fetch
            host = urlsplit(record.source_url).netloc
            wait = last.get(host, 0) + delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                response = http.get_with_retries(record.source_url)
            except FetchError:
                continue  # the entry still has its title and summary: stored as metadata
            finally:
                last[host] = time.monotonic()
            record.digest()  # the entry decides "changed", not the page (ads, dates...)
            record.data = response.content
            record.filename = "page.html"
