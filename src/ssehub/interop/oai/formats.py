"""Metadata formats: ``oai_dc`` (what every harvester reads) and ``ssehub``, the hub's own
format that keeps what Dublin Core flattens: per-language titles and abstracts, creator kinds,
SDG goals *and targets* with who asserted them, countries, M49 regions and identifiers by scheme.

Every value goes into the tree through lxml (``clean`` drops characters XML cannot hold), so
nothing from an item can break or inject markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from ssehub.core.i18n import pick
from ssehub.interop.xmltext import clean
from ssehub.library.models import Item

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
NATIVE_NS = "urn:x-ssehub:item:1.0"

# DCMI Type Vocabulary for dc:type, next to the hub's own type label.
DCMI_TYPES = {
    "dataset": "Dataset", "video": "MovingImage", "event": "Event",
    "initiative": "Collection", "learning-resource": "InteractiveResource",
}


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    build: Callable[[Item, RecordContext], etree._Element]


@dataclass
class SDGLink:
    goal: int
    target: str | None
    source: str
    confidence: float | None


@dataclass
class RecordContext:
    """What a page of records shares: the links and names looked up once for the page."""

    item_url: Callable[[Item], str]
    native_schema: str = ""
    links: dict[int, list[SDGLink]] = field(default_factory=dict)
    goal_names: dict[int, str] = field(default_factory=dict)
    type_names: dict[str, str] = field(default_factory=dict)


def _sub(parent: etree._Element, tag: str, text: object = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: clean(v) for k, v in attrib.items() if v})
    if text not in (None, ""):
        element.text = clean(text)
    return element


def _identifiers(item: Item, url: str) -> list[str]:
    out = [url]
    ids = item.identifiers or {}
    if ids.get("doi"):
        out.append(f"https://doi.org/{ids['doi']}")
    if ids.get("isbn"):
        out.append(f"urn:isbn:{ids['isbn']}")
    if ids.get("issn"):
        out.append(f"urn:issn:{ids['issn']}")
    if ids.get("handle"):
        out.append(f"hdl:{ids['handle']}")
    if ids.get("url") and ids["url"] != url:
        out.append(ids["url"])
    return out


def _lang(code: str) -> str:
    return "" if code in ("", "und") else code


def oai_dc(item: Item, ctx: RecordContext) -> etree._Element:
    """Simple Dublin Core: one element per value, titles and descriptions tagged with xml:lang."""
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS,
                                                     "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation",
             f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    dc = f"{{{DC_NS}}}"
    for code, text in (item.title or {}).items():
        el = _sub(root, dc + "title", text)
        if _lang(code):
            el.set(XML_LANG, clean(code))
    for creator in item.creators.all():
        _sub(root, dc + "creator", creator.name)
    links = ctx.links.get(item.pk, [])
    for goal in sorted({link.goal for link in links}):
        _sub(root, dc + "subject", f"SDG {goal}: {ctx.goal_names.get(goal, '')}".rstrip(": "))
    for target in sorted({link.target for link in links if link.target}):
        _sub(root, dc + "subject", f"SDG target {target}")
    for keyword in item.keywords or []:
        _sub(root, dc + "subject", keyword)
    for code, text in (item.abstract or {}).items():
        el = _sub(root, dc + "description", text)
        if _lang(code):
            el.set(XML_LANG, clean(code))
    if item.publisher:
        _sub(root, dc + "publisher", item.publisher)
    if item.organisation_id is not None:
        _sub(root, dc + "contributor", str(item.organisation))
    if item.date_display:
        _sub(root, dc + "date", item.date_display)
    _sub(root, dc + "type", DCMI_TYPES.get(item.item_type_id, "Text"))
    _sub(root, dc + "type", ctx.type_names.get(item.item_type_id, item.item_type_id))
    for identifier in _identifiers(item, ctx.item_url(item)):
        _sub(root, dc + "identifier", identifier)
    languages = item.languages or [c for c in (item.title or {}) if _lang(c)]
    for code in languages:
        _sub(root, dc + "language", code)
    for country in item.countries.all():
        _sub(root, dc + "coverage", pick(country.name, "en") or country.iso2)
    if item.source_url:
        _sub(root, dc + "source", item.source_url)
    if item.licence:
        _sub(root, dc + "rights", item.licence)
    return root


def native(item: Item, ctx: RecordContext) -> etree._Element:
    """The hub's own record: everything the Item model knows that readers may see."""
    n = f"{{{NATIVE_NS}}}"
    root = etree.Element(n + "item", nsmap={None: NATIVE_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NATIVE_NS} {ctx.native_schema}")
    _sub(root, n + "uid", item.uid)
    _sub(root, n + "url", ctx.item_url(item))
    _sub(root, n + "type", item.item_type_id)
    for code, text in (item.title or {}).items():
        _sub(root, n + "title", text).set(XML_LANG, clean(code))
    for code, text in (item.abstract or {}).items():
        _sub(root, n + "abstract", text).set(XML_LANG, clean(code))
    if item.original_language:
        _sub(root, n + "originalLanguage", item.original_language)
    for creator in item.creators.all():
        _sub(root, n + "creator", creator.name, kind=creator.kind)
    if item.publisher:
        _sub(root, n + "publisher", item.publisher)
    if item.date_display:
        _sub(root, n + "date", item.date_display, precision=item.date_precision)
    for code in item.languages or []:
        _sub(root, n + "language", code)
    for country in item.countries.all():
        _sub(root, n + "country", pick(country.name, "en"), code=country.iso2)
    for region in item.regions.all():
        _sub(root, n + "region", pick(region.name, "en"), m49=region.m49)
    for link in ctx.links.get(item.pk, []):
        attrs = {"goal": str(link.goal), "source": link.source}
        if link.target:
            attrs["target"] = link.target
        if link.confidence is not None:
            attrs["confidence"] = f"{link.confidence:.3f}"
        _sub(root, n + "sdg", **attrs)
    for keyword in item.keywords or []:
        _sub(root, n + "keyword", keyword)
    if item.licence:
        _sub(root, n + "licence", item.licence)
    for scheme, value in (item.identifiers or {}).items():
        _sub(root, n + "identifier", value, scheme=scheme)
    if item.organisation_id is not None:
        _sub(root, n + "organisation", str(item.organisation), slug=item.organisation.slug)
    provenance = _sub(root, n + "provenance", kind=item.provenance)
    if item.source_name:
        _sub(provenance, n + "source", item.source_name)
    if item.source_record:
        _sub(provenance, n + "record", item.source_record)
    if item.source_url:
        _sub(provenance, n + "url", item.source_url)
    return root


FORMATS: dict[str, MetadataFormat] = {
    "oai_dc": MetadataFormat("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                             OAI_DC_NS, oai_dc),
    # The schema URL is filled per request (it is served by this hub: /oai/schemas/...).
    "ssehub": MetadataFormat("ssehub", "", NATIVE_NS, native),
}
