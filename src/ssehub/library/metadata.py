"""One metadata schema for items: read from manifests, demo files, forms and the API, written
to exports and version snapshots. Validation happens here, before anything is stored.

The dictionary form (see :func:`item_to_dict`) is the contract: ``from_dict`` accepts it back,
so an export can be re-ingested and a version snapshot restored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pycountry
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from ssehub.core.models import Country, Organisation, Region
from ssehub.library import language
from ssehub.library.models import Item, ItemType
from ssehub.sdg.models import Goal, Target

DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
IDENTIFIER_SCHEMES = ("doi", "isbn", "issn", "handle", "url")
MAX_TITLE = 1000


class MetadataError(ValueError):
    """Metadata that cannot be stored; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class Metadata:
    """Validated metadata, ready to apply to an :class:`Item`."""

    title: dict[str, str] = field(default_factory=dict)
    abstract: dict[str, str] = field(default_factory=dict)
    item_type: str = "other"
    creators: list[dict[str, str]] = field(default_factory=list)
    publisher: str = ""
    date: tuple[int | None, int | None, int | None] = (None, None, None)
    languages: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    sdgs: list[tuple[int, str | None]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    licence: str = ""
    identifiers: dict[str, str] = field(default_factory=dict)
    organisation_id: int | None = None
    present: set[str] = field(default_factory=set)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: Any) -> str:
    """Text any database can store: no NUL (PostgreSQL refuses it), no lone surrogates."""
    return _UNSTORABLE.sub("", str(value or ""))


def _text(value: Any) -> str:
    """One line of text: runs of whitespace (Unicode's, as ``\\s`` matches) become one space."""
    return " ".join(clean_text(value).split())


def _per_language(value: Any, name: str, errors: dict[str, str]) -> dict[str, str]:
    """Accept ``{"en": "..."}`` or a plain string whose language is then detected."""
    if value in (None, "", {}):
        return {}
    if isinstance(value, str):
        text = _text(value)
        return {language.detect(text) or "und": text} if text else {}
    if isinstance(value, dict):
        out = {}
        for lang, text in value.items():
            lang = str(lang).lower().split("-")[0]
            if not (LANG_RE.match(lang) or lang == "und"):
                errors[name] = f"unknown language code {lang!r}"
                continue
            if line := _text(text):
                out[lang] = line if name == "title" else clean_text(text).strip()
        return out
    errors[name] = "expected text or an object of language → text"
    return {}


def parse_date(value: Any) -> tuple[int | None, int | None, int | None]:
    """Parse ``2020``, ``2020-01`` or ``2020-01-15`` (year, month or day precision)."""
    if value in (None, ""):
        return (None, None, None)
    match = DATE_RE.match(str(value).strip()[:10])
    if not match:
        raise ValueError(f"{value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    if not 1000 <= year <= 2100 or (month and not 1 <= month <= 12) or (day and not 1 <= day <= 31):
        raise ValueError(f"{value!r} is out of range")
    return (year, month, day)


def _country_code(value: str) -> str | None:
    value = value.strip()
    try:
        found = pycountry.countries.lookup(value)
    except LookupError:
        return None
    return found.alpha_2


def _organisation(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return Organisation.objects.filter(pk=value).values_list("pk", flat=True).first()
    value = str(value).strip()
    org = (
        Organisation.objects.filter(slug=value).first()
        or Organisation.objects.filter(acronym__iexact=value).first()
    )
    return org.pk if org else None


# Reference rows found so far, per model: item types, countries and regions change almost never,
# and an ORM ``exists()`` per field of every ingested item cost more (0.3 ms each) than
# everything else in validation. Only rows found are kept, so one added in the admin is seen
# at once; a save or delete of such a row clears its model's entry (in this process; another
# process that still believes in a deleted row gets the database's integrity error instead).
_found: dict[type[Model], set[str]] = {}


def _exists(model: type[Model], field_name: str, value: str) -> bool:
    found = _found.setdefault(model, set())
    if value in found:
        return True
    if model._default_manager.filter(**{field_name: value}).exists():
        found.add(value)
        return True
    return False


def _forget_found(sender: type[Model], **_kwargs: Any) -> None:
    _found.pop(sender, None)


for _model in (ItemType, Country, Region):
    post_save.connect(_forget_found, sender=_model, dispatch_uid=f"metadata-found-{_model}")
    post_delete.connect(_forget_found, sender=_model, dispatch_uid=f"metadata-found-{_model}-d")


@lru_cache(maxsize=1)
def _goal_numbers() -> frozenset[int]:
    """The 17 goals: fixed by the framework, so read once per process."""
    return frozenset(Goal.objects.values_list("number", flat=True))


def _sdgs(value: Any, errors: dict[str, str]) -> list[tuple[int, str | None]]:
    out: list[tuple[int, str | None]] = []
    values = value if isinstance(value, list) else re.split(r"[;,\s]+", str(value or ""))
    goals = _goal_numbers()
    for entry in values:
        if entry in (None, ""):
            continue
        goal, target = None, None
        if isinstance(entry, dict):
            goal, target = entry.get("goal"), entry.get("target")
        else:
            text = str(entry).strip().upper().removeprefix("SDG").strip()
            if "." in text:
                target = text.lower()
                goal = text.split(".")[0]
            else:
                goal = text
        try:
            goal = int(goal)
        except (TypeError, ValueError):
            errors["sdgs"] = f"{entry!r} is not an SDG goal or target"
            continue
        if goal not in goals:
            errors["sdgs"] = f"there is no SDG {goal}"
            continue
        if target and not Target.objects.filter(code=target, goal_id=goal).exists():
            errors["sdgs"] = f"there is no SDG target {target}"
            continue
        if (goal, target) not in out:
            out.append((goal, target))
    return out


def from_dict(data: dict[str, Any]) -> Metadata:
    """Validate a metadata dictionary; raise :class:`MetadataError` naming every bad field."""
    if not isinstance(data, dict):
        raise MetadataError({"metadata": "expected an object"})
    errors: dict[str, str] = {}
    meta = Metadata(present={k for k, v in data.items() if v not in (None, "", [], {})})
    meta.title = _per_language(data.get("title"), "title", errors)
    if any(len(t) > MAX_TITLE for t in meta.title.values()):
        errors["title"] = f"longer than {MAX_TITLE} characters"
    meta.abstract = _per_language(data.get("abstract"), "abstract", errors)
    item_type = str(data.get("type") or data.get("item_type") or "other").strip().lower()
    if not _exists(ItemType, "slug", item_type):
        errors["type"] = f"unknown item type {item_type!r}"
    meta.item_type = item_type
    creators = data.get("creators") or []
    if isinstance(creators, str):
        creators = [c for c in re.split(r";|\|", creators) if c.strip()]
    for entry in creators:
        if isinstance(entry, dict):
            name, kind = _text(entry.get("name")), entry.get("kind", "person")
        else:
            name, kind = _text(entry), "person"
        if kind not in ("person", "organisation"):
            errors["creators"] = f"unknown creator kind {kind!r}"
        if name:
            meta.creators.append({"name": name[:300], "kind": kind})
    meta.publisher = _text(data.get("publisher"))[:300]
    try:
        meta.date = parse_date(data.get("date"))
    except ValueError as exc:
        errors["date"] = str(exc)
    langs = data.get("languages") or []
    if isinstance(langs, str):
        langs = re.split(r"[;,\s]+", langs)
    meta.languages = [lang.strip().lower() for lang in langs if lang and lang.strip()]
    if any(not LANG_RE.match(lang) for lang in meta.languages):
        errors["languages"] = "use ISO 639-1 codes such as en, fr, es"
    countries = data.get("countries") or []
    if isinstance(countries, str):
        countries = re.split(r"[;,]+", countries)
    for value in countries:
        if not str(value).strip():
            continue
        code = _country_code(str(value))
        if not code or not _exists(Country, "iso2", code):
            errors["countries"] = f"unknown country {value!r}"
        elif code not in meta.countries:
            meta.countries.append(code)
    regions = data.get("regions") or []
    if isinstance(regions, str):
        regions = re.split(r"[;,\s]+", regions)
    for value in regions:
        code = str(value).strip().zfill(3)
        if code == "000":
            continue
        if not _exists(Region, "m49", code):
            errors["regions"] = f"unknown M49 region {value!r}"
        elif code not in meta.regions:
            meta.regions.append(code)
    meta.sdgs = _sdgs(data.get("sdgs"), errors)
    keywords = data.get("keywords") or []
    if isinstance(keywords, str):
        keywords = re.split(r"[;,]+", keywords)
    meta.keywords = list(dict.fromkeys(line for k in keywords if (line := _text(k))))
    meta.licence = _text(data.get("licence") or data.get("license"))[:100]
    identifiers = data.get("identifiers") or {}
    if not isinstance(identifiers, dict):
        errors["identifiers"] = "expected an object such as {'doi': '10.1234/x'}"
        identifiers = {}
    for scheme in IDENTIFIER_SCHEMES:
        if data.get(scheme):
            identifiers.setdefault(scheme, data[scheme])
    for scheme, value in identifiers.items():
        if scheme not in IDENTIFIER_SCHEMES:
            errors["identifiers"] = f"unknown identifier scheme {scheme!r}"
        elif _text(value):
            meta.identifiers[scheme] = _text(value)
    doi = meta.identifiers.get("doi", "")
    if doi:
        doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi, flags=re.I)
        if not re.match(r"^10\.\d{4,9}/\S+$", doi):
            errors["identifiers"] = f"{doi!r} is not a DOI"
        meta.identifiers["doi"] = doi
    url = meta.identifiers.get("url", "")
    if url and not re.match(r"^https?://", url):
        errors["identifiers"] = f"{url!r} is not an http(s) URL"
    org = data.get("organisation")
    meta.organisation_id = _organisation(org)
    if org and meta.organisation_id is None:
        errors["organisation"] = f"unknown organisation {org!r}"
    if errors:
        raise MetadataError(errors)
    return meta


def item_to_dict(item: Item) -> dict[str, Any]:
    """The item's metadata as a plain dictionary (export, versions, API)."""
    date = item.date_display
    return {
        "id": item.pk,
        "uid": str(item.uid),
        "title": dict(item.title),
        "abstract": dict(item.abstract),
        "original_language": item.original_language,
        "type": item.item_type_id,
        "creators": [{"name": c.name, "kind": c.kind} for c in item.creators.all()],
        "publisher": item.publisher,
        "date": date,
        "languages": list(item.languages),
        "countries": sorted(c.iso2 for c in item.countries.all()),
        "regions": sorted(r.m49 for r in item.regions.all()),
        "sdgs": [
            {"goal": link.goal_id, "target": link.target_id, "source": link.source,
             "confidence": link.confidence, "status": link.status, "rejected": link.rejected}
            for link in item.sdg_links.all()
        ],
        "keywords": list(item.keywords),
        "licence": item.licence,
        "identifiers": dict(item.identifiers),
        "organisation": item.organisation.slug if item.organisation_id else None,
        "status": item.status,
        "provenance": {
            "kind": item.provenance,
            "source": item.source_name,
            "record": item.source_record,
            "url": item.source_url,
            "at": item.created_at.isoformat() if item.created_at else None,
        },
        "files": [
            {"filename": f.filename, "sha256": f.sha256, "size": f.size, "mime_type": f.mime_type}
            for f in item.files.all()
        ],
    }


VERSIONED_FIELDS = (
    "title", "abstract", "type", "creators", "publisher", "date", "languages", "countries",
    "regions", "sdgs", "keywords", "licence", "identifiers", "organisation",
)


def sdg_sort_key(link: dict[str, Any]) -> tuple:
    """Goal, then goal-level before targets, then targets in official order (8.3 < 8.10 < 8.a):
    the same order on every database, so snapshots compare equal."""
    target = link.get("target")
    if not target:
        return (link["goal"], 0, ())
    return (link["goal"], 1, tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                                   for p in str(target).split(".")))


def snapshot(item: Item) -> dict[str, Any]:
    """The part of the metadata that versions track and restore, read from the database.

    Only the relations versions hold, each as plain values: every update writes a version,
    and reading it through :func:`item_to_dict` (model instances for every creator, place
    and SDG link, and the files) cost a harvested record's update more than the update.
    """
    return snapshots([item])[item.pk]


def snapshots(items: Sequence[Item]) -> dict[int, dict[str, Any]]:
    """:func:`snapshot` of each item by id, reading each relation once for the lot."""
    from ssehub.library.models import Creator, ItemGoal

    ids = [item.pk for item in items]
    creators: dict[int, list[dict[str, str]]] = {pk: [] for pk in ids}
    for item_id, name, kind in Creator.objects.filter(item_id__in=ids).order_by(
            "item_id", "position", "pk").values_list("item_id", "name", "kind"):
        creators[item_id].append({"name": name, "kind": kind})
    places: list[dict[int, list[str]]] = []
    for through, column in ((Item.countries.through, "country_id"),
                            (Item.regions.through, "region_id")):
        found: dict[int, list[str]] = {pk: [] for pk in ids}
        for item_id, code in through.objects.filter(item_id__in=ids).values_list(
                "item_id", column):
            found[item_id].append(code)
        places.append(found)
    sdgs: dict[int, list[tuple[int, str | None]]] = {pk: [] for pk in ids}
    for item_id, goal, target in ItemGoal.objects.filter(
            item_id__in=ids, source=ItemGoal.Source.EDITOR, rejected=False).values_list(
            "item_id", "goal_id", "target_id"):
        sdgs[item_id].append((goal, target))
    organisations = {item.organisation_id for item in items} - {None}
    slugs = dict(Organisation.objects.filter(pk__in=organisations).values_list("pk", "slug")
                 ) if organisations else {}
    return {item.pk: _snapshot(item, creators=creators[item.pk], countries=places[0][item.pk],
                               regions=places[1][item.pk], sdgs=sdgs[item.pk],
                               organisation=slugs.get(item.organisation_id))
            for item in items}


def snapshot_of(meta: Metadata, item: Item,
                slugs: dict[int, str] | None = None) -> dict[str, Any]:
    """What :func:`snapshot` returns for an item just made from ``meta``, without reading its
    relations back. ``slugs``: organisation slugs by id, already read (a batch of items)."""
    return _snapshot(
        item, creators=[{"name": c["name"], "kind": c["kind"]} for c in meta.creators],
        countries=meta.countries, regions=meta.regions, sdgs=meta.sdgs,
        organisation=(slugs.get(item.organisation_id) if slugs is not None and
                      item.organisation_id else _slug(item.organisation_id)),
    )


def snapshot_after(before: dict[str, Any], meta: Metadata, item: Item,
                   slugs: dict[int, str]) -> dict[str, Any]:
    """What :func:`snapshot` will read once an update from ``meta`` is stored: ``item`` holds
    its new columns already; the relations present in ``meta`` replace those of ``before``
    (the item's snapshot before the update), the others stay. ``slugs``: organisation slugs
    by id, including the item's new one."""
    present = meta.present
    return _snapshot(
        item,
        creators=([{"name": c["name"], "kind": c["kind"]} for c in meta.creators]
                  if "creators" in present else before["creators"]),
        countries=meta.countries if "countries" in present else before["countries"],
        regions=meta.regions if "regions" in present else before["regions"],
        sdgs=(meta.sdgs if "sdgs" in present
              else [(link["goal"], link["target"]) for link in before["sdgs"]]),
        organisation=slugs.get(item.organisation_id) if item.organisation_id else None,
    )


def _slug(organisation_id: int | None) -> str | None:
    if not organisation_id:
        return None
    return Organisation.objects.filter(pk=organisation_id).values_list("slug", flat=True).first()


def _snapshot(item: Item, *, creators: list[dict[str, str]], countries: Iterable[str],
              regions: Iterable[str], sdgs: Iterable[tuple[int, str | None]],
              organisation: str | None) -> dict[str, Any]:
    """A version's data (``VERSIONED_FIELDS``): the item's columns and the given relations."""
    return {
        "title": dict(item.title),
        "abstract": dict(item.abstract),
        "type": item.item_type_id,
        "creators": creators,
        "publisher": item.publisher,
        "date": item.date_display,
        "languages": list(item.languages),
        "countries": sorted(countries),
        "regions": sorted(regions),
        "sdgs": sorted(({"goal": goal, "target": target} for goal, target in sdgs),
                       key=sdg_sort_key),
        "keywords": list(item.keywords),
        "licence": item.licence,
        "identifiers": dict(item.identifiers),
        "organisation": organisation,
    }
