"""Murmurations profiles (the organizations schema) → initiative items.

The source URL is an index query answering ``{"data": [{"profile_url", "last_updated",
"status"}...]}`` (the Murmurations index API), a JSON list of profiles, or one profile. Index
entries are fetched one by one when new or updated (``last_updated``), and an entry with status
``deleted`` withdraws its item, as an OAI deleted record does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ssehub.core.net import FetchError
from ssehub.harvest import http
from ssehub.harvest.sources.base import Harvester, HarvestError, Page, Record, chunks
from ssehub.harvest.sources.oai import _country


def map_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """name → title, description (or mission) → abstract, tags → keywords, primary_url →
    url, country_iso_3166 → countries; always type "initiative"."""
    meta: dict[str, Any] = {"type": "initiative"}
    if isinstance(profile.get("name"), str) and profile["name"].strip():
        meta["title"] = profile["name"].strip()[:1000]
    text = [profile.get(k) for k in ("description", "mission")
            if isinstance(profile.get(k), str) and profile[k].strip()]
    if text:
        meta["abstract"] = "\n\n".join(t.strip() for t in text)
    tags = profile.get("tags")
    if isinstance(tags, list):
        meta["keywords"] = [str(t)[:100] for t in tags if str(t).strip()]
    url = profile.get("primary_url")
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        meta["identifiers"] = {"url": url}
    country = _country(str(profile.get("country_iso_3166") or "")) if profile.get(
        "country_iso_3166") else ""
    if country:
        meta["countries"] = [country]
    return meta


def identifier_of(profile: dict[str, Any], fallback: str) -> str:
    return str(profile.get("unique_id") or profile.get("primary_url") or fallback)


class MurmurationsHarvester(Harvester):
    """Options: none needed; ``type`` is always initiative."""

    def start(self) -> dict[str, Any]:
        return {"position": 0}

    def _json(self, url: str) -> Any:
        try:
            return json.loads(http.get_with_retries(url).content)
        except FetchError as exc:
            raise HarvestError(str(exc)) from exc
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise HarvestError(f"{url} is not valid JSON: {exc}") from exc

    def pages(self, cursor: dict[str, Any]) -> Iterator[Page]:
        body = self._json(self.source.url)
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            entries = [e for e in body["data"] if isinstance(e, dict)]
            index = True
        else:
            entries = body if isinstance(body, list) else [body]
            entries = [e for e in entries if isinstance(e, dict)]
            index = False
        position = cursor.get("position", 0) if cursor.get("count") == len(entries) else 0
        size = self.page_size
        for start, batch in chunks(entries[position:], size):
            base = position + start
            if index:
                records = self.index_records(batch)
            else:
                records = [self.profile_record(p, f"profile-{base + i + 1}", "")
                           for i, p in enumerate(batch)]
            yield Page(records, {"position": base + len(batch), "count": len(entries)},
                       total=len(entries))
        if not entries[position:]:
            yield Page([], {"position": position, "count": len(entries)}, total=len(entries))

    def profile_record(self, profile: dict[str, Any], fallback: str, stamp: str) -> Record:
        raw = json.dumps(profile, ensure_ascii=False, sort_keys=True)
        identifier = identifier_of(profile, fallback)
        return Record(identifier=identifier, datestamp=stamp, raw=raw,
                      metadata=map_profile(profile),
                      source_url=str(profile.get("primary_url") or "")[:1000]
                      if str(profile.get("primary_url") or "").startswith("http") else "")

    def index_records(self, entries: list[dict[str, Any]]) -> list[Record]:
        known = self.lookup([str(e.get("profile_url") or "") for e in entries])
        out = []
        for entry in entries:
            url = str(entry.get("profile_url") or "")
            stamp = str(entry.get("last_updated") or "")
            if not url:
                out.append(Record(identifier="", error="index entry without profile_url"))
                continue
            if entry.get("status") == "deleted":
                out.append(Record(identifier=url, datestamp=stamp, deleted=True))
                continue
            state = known.get(url)
            if state is not None and state.item_id and state.datestamp == stamp and stamp \
                    and not self.full:
                out.append(Record(identifier=url, datestamp=stamp, not_modified=True))
                continue
            try:
                profile = self._json(url)
            except HarvestError as exc:
                out.append(Record(identifier=url, datestamp=stamp, error=str(exc)))
                continue
            if not isinstance(profile, dict):
                out.append(Record(identifier=url, error="profile is not a JSON object"))
                continue
            record = self.profile_record(profile, url, stamp)
            record.identifier = url  # the index names profiles by their URL
            out.append(record)
        return out
