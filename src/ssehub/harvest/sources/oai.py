"""OAI-PMH 2.0: ListRecords with resumption tokens, incremental by datestamp.

Pages are fetched through the guarded client (``harvest.http``) and parsed strictly
(``harvest.xmlsafe``) rather than through Sickle's transport: Sickle uses plain ``requests``
(no SSRF guard) and a recovering lxml parser that drops damaged records silently. The
resumption token of each page is the checkpoint; the largest datestamp seen becomes the next
incremental run's ``from`` (the server's own datestamps, so its granularity is respected).

Metadata formats are pluggable: ``oai_dc`` is built in; a source may name another prefix and
a mapper (``{"metadata_prefix": "mods", "mapper": "myproject.mappers.mods"}``), a callable
taking the metadata element and returning a dictionary in the ``library.metadata`` schema.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 (serialising trees defusedxml parsed)
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pycountry
from django.utils.module_loading import import_string

from ssehub.core.net import FetchError
from ssehub.harvest import http, xmlsafe
from ssehub.harvest.sources.base import Harvester, HarvestError, Page, Record

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_TITLE = 1000

Mapper = Callable[[ET.Element, "MapContext"], dict[str, Any]]


class MapContext:
    """What a mapper may want besides the element: the source's default item type."""

    def __init__(self, default_type: str = "other"):
        self.default_type = default_type


@cache
def _dc_types() -> dict[str, str]:
    path = Path(__file__).resolve().parent.parent / "data" / "dc_types.json"
    return {k: v for k, v in json.loads(path.read_text()).items() if not k.startswith("_")}


@cache
def language_code(value: str) -> str:
    """ISO 639-1 code for 'en', 'eng', 'en-GB', 'English', 'fr_FR'...; '' if unknown."""
    value = value.strip().lower().replace("_", "-").split("-")[0]
    if re.fullmatch(r"[a-z]{2}", value):
        return value
    try:
        found = pycountry.languages.lookup(value)
    except LookupError:
        return ""
    return getattr(found, "alpha_2", "") or ""


DOI_RE = re.compile(r"(10\.\d{4,9}/\S+)")
YEAR_RE = re.compile(r"\b(1[5-9]\d{2}|20\d{2}|2100)\b")
FULL_DATE_RE = re.compile(r"^(\d{4})(-\d{2}(-\d{2})?)?")


def normalise_date(value: str) -> str:
    """YYYY[-MM[-DD]] from what repositories put in dc:date ('2020-01-15T10:00:00Z',
    '2020/01', 'Spring 2019'); '' when there is no year in it."""
    value = value.strip()
    match = FULL_DATE_RE.match(value)
    if match:
        candidate = match.group(0)
        parts = candidate.split("-")
        if len(parts) == 1 or (1 <= int(parts[1]) <= 12 and (
                len(parts) < 3 or 1 <= int(parts[2]) <= 31)):
            return candidate
        return parts[0]
    year = YEAR_RE.search(value)
    return year.group(1) if year else ""


def item_type(values: list[str], default: str) -> str:
    table = _dc_types()
    for value in values:
        key = value.strip().lower().rstrip("/").rsplit("/", 1)[-1]
        if key in table:
            return table[key]
    return default


def map_oai_dc(element: ET.Element, context: MapContext) -> dict[str, Any]:
    """Simple Dublin Core → the Item schema.

    title (per xml:lang) → title; creator → creators; date → date; description → abstract;
    subject → keywords; type → item type; language → languages; identifier → DOI / URL /
    ISBN; rights → licence; publisher → publisher; coverage naming a country → countries.
    """
    fields: dict[str, list[tuple[str, str]]] = {}
    for child in element:
        if not isinstance(child.tag, str) or not child.tag.startswith(DC):
            continue
        value = xmlsafe.text(child)
        if value:
            fields.setdefault(child.tag[len(DC):], []).append((value, child.get(XML_LANG, "")))

    def values(name: str) -> list[str]:
        return [v for v, _lang in fields.get(name, [])]

    languages = list(dict.fromkeys(filter(None, (language_code(v) for v in values("language")))))
    # Text without xml:lang is in the record's language when it has exactly one.
    fallback = languages[0] if len(languages) == 1 else ""
    meta: dict[str, Any] = {}
    title: dict[str, str] = {}
    untagged_title = ""
    for value, lang in fields.get("title", []):
        code = language_code(lang) if lang else fallback
        if code:
            title.setdefault(code, value[:MAX_TITLE])
        elif not untagged_title:
            untagged_title = value[:MAX_TITLE]
    if title:
        meta["title"] = title
    elif untagged_title:
        meta["title"] = untagged_title  # the pipeline detects its language
    abstract: dict[str, str] = {}
    untagged_abstract: list[str] = []
    for value, lang in fields.get("description", []):
        code = language_code(lang) if lang else fallback
        if code:
            abstract[code] = f"{abstract[code]}\n\n{value}" if code in abstract else value
        else:
            untagged_abstract.append(value)
    if abstract:
        meta["abstract"] = abstract
    elif untagged_abstract:
        meta["abstract"] = "\n\n".join(untagged_abstract)
    if values("creator"):
        meta["creators"] = [{"name": v, "kind": "person"} for v in values("creator")]
    for value in values("date"):
        date = normalise_date(value)
        if date:
            meta["date"] = date
            break
    if values("subject"):
        meta["keywords"] = [v[:200] for v in values("subject")]
    meta["type"] = item_type(values("type"), context.default_type)
    if languages:
        meta["languages"] = languages
    identifiers: dict[str, str] = {}
    for value in values("identifier"):
        lowered = value.lower()
        doi = DOI_RE.search(value)
        if doi and ("doi" in lowered or lowered.startswith("10.")) and "doi" not in identifiers:
            identifiers["doi"] = doi.group(1).rstrip(".,;")
        elif lowered.startswith(("http://", "https://")) and "url" not in identifiers:
            identifiers["url"] = value
        elif lowered.startswith(("urn:isbn:", "isbn")) and "isbn" not in identifiers:
            identifiers["isbn"] = re.sub(r"^(urn:isbn:|isbn:?)\s*", "", value, flags=re.I)
    if identifiers:
        meta["identifiers"] = identifiers
    rights = values("rights")
    if rights:
        # A licence URL or short name is what readers and machines can use; prefer it.
        urls = [r for r in rights if r.lower().startswith(("http://", "https://"))]
        meta["licence"] = (urls or rights)[0][:100]
    if values("publisher"):
        meta["publisher"] = values("publisher")[0][:300]
    countries = [c for c in (_country(v) for v in values("coverage")) if c]
    if countries:
        meta["countries"] = list(dict.fromkeys(countries))
    return meta


@cache
def _country(value: str) -> str:
    try:
        return pycountry.countries.lookup(value.strip()).alpha_2
    except LookupError:
        return ""


MAPPERS: dict[str, Mapper] = {"oai_dc": map_oai_dc}


class OAIHarvester(Harvester):
    """Options: metadata_prefix (default oai_dc), set, from, until, mapper, type."""

    read_ahead = True  # pages come from the server alone: the next one is fetched meanwhile

    @property
    def prefix(self) -> str:
        return str(self.options.get("metadata_prefix") or "oai_dc")

    def mapper(self) -> Mapper:
        if self.options.get("mapper"):
            return import_string(self.options["mapper"])
        try:
            return MAPPERS[self.prefix]
        except KeyError as exc:
            raise HarvestError(
                f"no mapper for metadataPrefix {self.prefix!r}: set the source's 'mapper' option"
            ) from exc

    def start(self) -> dict[str, Any]:
        params: dict[str, str] = {"metadataPrefix": self.prefix}
        if self.options.get("set"):
            params["set"] = str(self.options["set"])
        since = "" if self.full else (self.source.state or {}).get("datestamp", "")
        since = since or str(self.options.get("from") or "")
        if since:
            params["from"] = since
        if self.options.get("until"):
            params["until"] = str(self.options["until"])
        return {"params": params, "token": None,
                "max_datestamp": (self.source.state or {}).get("datestamp", "")}

    def finish(self, cursor: dict[str, Any]) -> dict[str, Any]:
        state = dict(self.source.state or {})
        if cursor.get("max_datestamp"):
            state["datestamp"] = cursor["max_datestamp"]
        return state

    def url(self, query: dict[str, str]) -> str:
        base = self.source.url
        return base + ("&" if "?" in base else "?") + urlencode(query)

    def pages(self, cursor: dict[str, Any]) -> Iterator[Page]:
        mapper = self.mapper()
        context = MapContext(self.default_type)
        token: str | None = cursor.get("token")
        used: set[str] = set()
        while True:
            query = ({"verb": "ListRecords", "resumptionToken": token} if token
                     else {"verb": "ListRecords", **cursor["params"]})
            where = f"resumptionToken {token!r}" if token else "the first page"
            try:
                response = http.get_with_retries(self.url(query))
            except FetchError as exc:
                raise HarvestError(f"{where}: {exc}") from exc
            try:
                root, note = xmlsafe.parse(response.content)
            except xmlsafe.XMLError as exc:
                raise HarvestError(f"{where}: {exc}") from exc
            notes = [f"{where}: {note}"] if note else []
            error = root.find(f"{OAI}error")
            if error is not None:
                code = error.get("code", "")
                if code == "noRecordsMatch":
                    yield Page([], {**cursor, "token": None}, total=0, notes=notes)
                    return
                reset = {**cursor, "token": None} if code == "badResumptionToken" else None
                raise HarvestError(
                    f"{where}: OAI-PMH error {code or '(no code)'}: {xmlsafe.text(error)}",
                    reset=reset,
                )
            listing = root.find(f"{OAI}ListRecords")
            if listing is None:
                raise HarvestError(f"{where}: not an OAI-PMH ListRecords response")
            records = [self.record(node, mapper, context) for node in listing.findall(
                f"{OAI}record")]
            stamps = [r.datestamp for r in records if r.datestamp]
            if stamps:
                cursor = {**cursor, "max_datestamp": max(
                    [*stamps, cursor.get("max_datestamp") or ""])}
            token_node = listing.find(f"{OAI}resumptionToken")
            next_token = (token_node.text or "").strip() if token_node is not None else ""
            total = None
            if token_node is not None and (token_node.get("completeListSize") or "").isdigit():
                total = int(token_node.get("completeListSize"))
            if next_token and (next_token == token or next_token in used):
                yield Page(records, cursor, total=total, notes=notes)
                raise HarvestError(
                    f"the server repeated the resumptionToken {next_token!r}: stopped "
                    "rather than loop (the records up to here are stored)"
                )
            cursor = {**cursor, "token": next_token or None}
            yield Page(records, cursor, total=total, notes=notes)
            if not next_token:
                return
            if token:
                used.add(token)
            token = next_token

    def record(self, node: ET.Element, mapper: Mapper, context: MapContext) -> Record:
        header = node.find(f"{OAI}header")
        identifier = xmlsafe.text(header.find(f"{OAI}identifier")) if header is not None else ""
        if not identifier:
            return Record(identifier="", error="record without an identifier in its header")
        datestamp = xmlsafe.text(header.find(f"{OAI}datestamp"))
        if header.get("status") == "deleted":
            return Record(identifier=identifier, datestamp=datestamp, deleted=True)
        metadata = node.find(f"{OAI}metadata")
        element = next(iter(metadata), None) if metadata is not None else None
        if element is None:
            return Record(identifier=identifier, datestamp=datestamp,
                          error="record without metadata")
        raw = ET.tostring(element, encoding="unicode")
        try:
            mapped = mapper(element, context)
        except Exception as exc:  # a plug-in mapper's bug is this record's failure only
            return Record(identifier=identifier, datestamp=datestamp, raw=raw,
                          error=f"metadata could not be mapped ({type(exc).__name__}: {exc})")
        return Record(identifier=identifier, datestamp=datestamp, raw=raw, metadata=mapped)
