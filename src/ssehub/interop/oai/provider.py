"""The OAI-PMH 2.0 protocol over the Item model: argument checking, the six verbs, errors.

:func:`respond` takes the request's arguments as (name, value) pairs and returns the XML
document; the view only collects arguments and URLs. Which items the repository exposes:
published items as records; withdrawn items, and items that were once published and have
since gone back to draft, as deleted records (``deletedRecord=persistent``: a harvester is told
about every removal). Drafts that were never published do not exist for OAI.

Datestamps are ``Item.updated_at`` reported to the second; lists are ordered by
``(updated_at, id)`` and resumed from a cursor (see :mod:`tokens`).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import connection
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone
from lxml import etree

from ssehub.core.i18n import pick
from ssehub.interop.oai import sets, tokens
from ssehub.interop.oai.formats import FORMATS, XSI, RecordContext, SDGLink
from ssehub.interop.xmltext import clean
from ssehub.library.models import Item, ItemType, Status, StatusChange
from ssehub.sdg.models import Goal
from ssehub.sdg.services import effective_links_queryset

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
MAX_ARG_CHARS = 2000
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
OAI = f"{{{OAI_NS}}}"

# verb -> (required arguments, optional arguments, exclusive argument)
VERBS: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {
    "Identify": (frozenset(), frozenset(), None),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), None),
    "ListSets": (frozenset(), frozenset(), "resumptionToken"),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}),
                        "resumptionToken"),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}),
                    "resumptionToken"),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), None),
}


class OAIError(Exception):
    """An OAI-PMH error condition: ``code`` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Endpoint:
    """Where the repository lives, as the request saw it (absolute URLs for the XML)."""

    base_url: str
    item_url: Callable[[Item], str]
    native_schema: str


def repository_identifier() -> str:
    """The namespace of OAI identifiers: a domain name, stable across hosts and restarts."""
    return getattr(settings, "SSEHUB_OAI_REPOSITORY_IDENTIFIER", "ssehub.local")


def page_size() -> int:
    return max(1, int(getattr(settings, "SSEHUB_OAI_PAGE_SIZE", 100)))


def oai_identifier(item: Item) -> str:
    return f"oai:{repository_identifier()}:{item.uid}"


def datestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- which items exist for OAI ---------------------------------------------------------------

def exposed_items():
    """Published items, and those that were published and are no longer (deleted records)."""
    once_published = StatusChange.objects.filter(item_id=OuterRef("pk"),
                                                 to_status=Status.PUBLISHED)
    return Item.objects.filter(
        Q(status__in=[Status.PUBLISHED, Status.WITHDRAWN]) | Q(Exists(once_published))
    )


def _item_for(identifier: str) -> Item:
    prefix = f"oai:{repository_identifier()}:"
    if not identifier.startswith(prefix):
        raise OAIError("idDoesNotExist", "No item has this identifier in this repository.")
    try:
        uid = uuid.UUID(identifier[len(prefix):])
    except ValueError:
        raise OAIError("idDoesNotExist", "No item has this identifier.") from None
    item = (exposed_items().filter(uid=uid).select_related("organisation", "item_type")
            .defer("full_text").first())
    if item is None:
        raise OAIError("idDoesNotExist", "No item has this identifier.")
    return item


# --- arguments -------------------------------------------------------------------------------

def parse_arguments(pairs: Iterable[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """Check the verb and its arguments; badVerb and badArgument as the protocol defines."""
    pairs = list(pairs)
    counts = Counter(name for name, _value in pairs)
    verb_values = [value for name, value in pairs if name == "verb"]
    if len(verb_values) != 1:
        raise OAIError("badVerb", "The verb argument is missing or repeated.")
    verb = verb_values[0]
    if verb not in VERBS:
        raise OAIError("badVerb", "Illegal OAI verb.")
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise OAIError("badArgument", f"Repeated argument: {', '.join(repeated)}.")
    args = {name: value for name, value in pairs if name != "verb"}
    required, optional, exclusive = VERBS[verb]
    unknown = sorted(set(args) - required - optional - ({exclusive} if exclusive else set()))
    if unknown:
        raise OAIError("badArgument", f"Illegal argument for {verb}: {', '.join(unknown)}.")
    if any(len(value) > MAX_ARG_CHARS for value in args.values()):
        raise OAIError("badArgument", "An argument is too long.")
    if exclusive and exclusive in args:
        if len(args) > 1:
            raise OAIError("badArgument", f"{exclusive} is an exclusive argument.")
        return verb, args
    missing = sorted(required - set(args))
    if missing:
        raise OAIError("badArgument", f"Missing argument: {', '.join(missing)}.")
    for name in ("metadataPrefix", "identifier", "set", "from", "until"):
        if name in args and not args[name].strip():
            raise OAIError("badArgument", f"Empty argument: {name}.")
    return verb, args


@dataclass(frozen=True)
class Range:
    """``from``/``until`` as a half-open interval [start, end) of ``updated_at``."""

    start: datetime | None = None
    end: datetime | None = None


def _parse_datestamp(value: str, name: str) -> tuple[datetime, str]:
    if DAY.match(value):
        fmt, granularity = "%Y-%m-%d", "day"
    elif SECONDS.match(value):
        fmt, granularity = "%Y-%m-%dT%H:%M:%SZ", "seconds"
    else:
        raise OAIError("badArgument", f"{name} is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.")
    try:
        return datetime.strptime(value, fmt).replace(tzinfo=UTC), granularity
    except ValueError:
        raise OAIError("badArgument", f"{name} is not a valid date.") from None


def parse_range(from_: str, until: str) -> Range:
    start = end = None
    granularities = set()
    if from_:
        start, granularity = _parse_datestamp(from_, "from")
        granularities.add(granularity)
    if until:
        last, granularity = _parse_datestamp(until, "until")
        granularities.add(granularity)
        step = timedelta(days=1) if granularity == "day" else timedelta(seconds=1)
        try:
            end = last + step  # until is inclusive at its granularity
        except OverflowError:
            end = None  # 9999-12-31: no upper bound
        if start is not None and start > last:
            raise OAIError("badArgument", "from is later than until.")
    if len(granularities) > 1:
        raise OAIError("badArgument", "from and until have different granularities.")
    return Range(start, end)


# --- the response document -------------------------------------------------------------------

def _envelope(base_url: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(OAI + "OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    etree.SubElement(root, OAI + "responseDate").text = datestamp(timezone.now())
    request = etree.SubElement(root, OAI + "request")
    request.text = clean(base_url)
    return root, request


def respond(pairs: Iterable[tuple[str, str]], endpoint: Endpoint) -> bytes:
    """Answer one OAI-PMH request; every failure becomes the protocol's error element."""
    root, request = _envelope(endpoint.base_url)
    try:
        verb, args = parse_arguments(pairs)
        # Only a request with a legal verb and legal arguments is echoed (the protocol's rule).
        request.set("verb", verb)
        for name, value in sorted(args.items()):
            request.set(name, clean(value))
        root.append(HANDLERS[verb](args, endpoint))
    except OAIError as error:
        if error.code in ("badVerb", "badArgument"):
            request.attrib.clear()  # illegal arguments are not echoed
        element = etree.SubElement(root, OAI + "error", code=error.code)
        element.text = clean(error.message)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _identify(args: dict[str, str], endpoint: Endpoint) -> etree._Element:
    element = etree.Element(OAI + "Identify")
    earliest = exposed_items().aggregate(m=Min("updated_at"))["m"]
    admin = parseaddr(getattr(settings, "SSEHUB_OAI_ADMIN_EMAIL", "")
                      or settings.DEFAULT_FROM_EMAIL)[1] or "webmaster@localhost"
    for tag, text in (
        ("repositoryName", getattr(settings, "SSEHUB_OAI_REPOSITORY_NAME", "SSE Hub")),
        ("baseURL", endpoint.base_url),
        ("protocolVersion", "2.0"),
        ("adminEmail", admin),
        ("earliestDatestamp", datestamp(earliest) if earliest else "1970-01-01T00:00:00Z"),
        ("deletedRecord", "persistent"),
        ("granularity", GRANULARITY),
    ):
        etree.SubElement(element, OAI + tag).text = clean(text)
    description = etree.SubElement(element, OAI + "description")
    ns = f"{{{OAI_ID_NS}}}"
    ident = etree.SubElement(description, ns + "oai-identifier", nsmap={None: OAI_ID_NS})
    ident.set(f"{{{XSI}}}schemaLocation",
              f"{OAI_ID_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd")
    for tag, text in (("scheme", "oai"), ("repositoryIdentifier", repository_identifier()),
                      ("delimiter", ":"),
                      ("sampleIdentifier",
                       f"oai:{repository_identifier()}:00000000-0000-4000-8000-000000000000")):
        etree.SubElement(ident, ns + tag).text = text
    return element


def _formats(args: dict[str, str], endpoint: Endpoint) -> etree._Element:
    if "identifier" in args:
        _item_for(args["identifier"])  # idDoesNotExist
    available = list(FORMATS.values())
    if not available:
        raise OAIError("noMetadataFormats", "No metadata formats are available for this item.")
    element = etree.Element(OAI + "ListMetadataFormats")
    for fmt in available:
        node = etree.SubElement(element, OAI + "metadataFormat")
        etree.SubElement(node, OAI + "metadataPrefix").text = fmt.prefix
        etree.SubElement(node, OAI + "schema").text = fmt.schema or endpoint.native_schema
        etree.SubElement(node, OAI + "metadataNamespace").text = fmt.namespace
    return element


def _list_sets(args: dict[str, str], endpoint: Endpoint) -> etree._Element:
    if "resumptionToken" in args:
        raise OAIError("badResumptionToken", "ListSets is answered in one page.")
    element = etree.Element(OAI + "ListSets")
    for oai_set in sets.all_sets():
        node = etree.SubElement(element, OAI + "set")
        etree.SubElement(node, OAI + "setSpec").text = clean(oai_set.spec)
        etree.SubElement(node, OAI + "setName").text = clean(oai_set.name)
    return element


def _context(items: list[Item], endpoint: Endpoint) -> RecordContext:
    """Look up the page's SDG links (what readers see) and names in a few queries."""
    ctx = RecordContext(item_url=endpoint.item_url, native_schema=endpoint.native_schema)
    rows = (effective_links_queryset().filter(item_id__in=[i.pk for i in items])
            .order_by("item_id", "goal_id", "target_id")
            .values_list("item_id", "goal_id", "target_id", "source", "confidence"))
    for item_id, goal, target, source, confidence in rows:
        ctx.links.setdefault(item_id, []).append(SDGLink(goal, target, source, confidence))
    ctx.goal_names = {g.number: pick(g.short, "en") for g in Goal.objects.all()}
    ctx.type_names = {t.slug: pick(t.label, "en") for t in ItemType.objects.all()}
    return ctx


def _header(parent: etree._Element, item: Item, ctx: RecordContext) -> None:
    header = etree.SubElement(parent, OAI + "header")
    if item.status != Status.PUBLISHED:
        header.set("status", "deleted")
    etree.SubElement(header, OAI + "identifier").text = oai_identifier(item)
    etree.SubElement(header, OAI + "datestamp").text = datestamp(item.updated_at)
    goals = [link.goal for link in ctx.links.get(item.pk, [])]
    for spec in sets.specs_for(item, goals):
        etree.SubElement(header, OAI + "setSpec").text = clean(spec)


def _record(parent: etree._Element, item: Item, prefix: str, ctx: RecordContext) -> None:
    record = etree.SubElement(parent, OAI + "record")
    _header(record, item, ctx)
    if item.status == Status.PUBLISHED:
        metadata = etree.SubElement(record, OAI + "metadata")
        metadata.append(FORMATS[prefix].build(item, ctx))


def _get_record(args: dict[str, str], endpoint: Endpoint) -> etree._Element:
    prefix = args["metadataPrefix"]
    item = _item_for(args["identifier"])
    if prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", "This metadata format is not supported.")
    element = etree.Element(OAI + "GetRecord")
    _record(element, item, prefix, _context([item], endpoint))
    return element


def _after(queryset, when: datetime, item_id: int):
    """Rows strictly after (when, id) in (updated_at, id) order: a row-value comparison, which
    SQLite (3.15+) and PostgreSQL both answer with a seek in the (updated_at, id) index."""
    table = connection.ops.quote_name(Item._meta.db_table)
    column = connection.ops.quote_name("updated_at")
    pk = connection.ops.quote_name("id")
    value = connection.ops.adapt_datetimefield_value(when)
    # Django's tuple lookup expands to an OR on SQLite, which defeats the index; the row value
    # is written here, with quoted identifiers and the values as parameters.
    return queryset.extra(where=[f"({table}.{column}, {table}.{pk}) > (%s, %s)"],  # noqa: S610
                          params=[value, item_id])


def _list(verb: str, args: dict[str, str], endpoint: Endpoint) -> etree._Element:
    cursor_in: tokens.Cursor | None = None
    if "resumptionToken" in args:
        try:
            cursor_in = tokens.decode(args["resumptionToken"])
        except tokens.InvalidToken:
            raise OAIError("badResumptionToken", "The resumptionToken is invalid.") from None
        if cursor_in.verb != verb:
            raise OAIError("badResumptionToken", "This resumptionToken is for another verb.")
        prefix, set_spec = cursor_in.prefix, cursor_in.set_spec
        from_, until = cursor_in.from_, cursor_in.until
    else:
        prefix, set_spec = args["metadataPrefix"], args.get("set", "")
        from_, until = args.get("from", ""), args.get("until", "")
    window = parse_range(from_, until)
    if prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", "This metadata format is not supported.")
    queryset = exposed_items()
    if set_spec:
        try:
            queryset = queryset.filter(sets.set_filter(set_spec))
        except sets.MalformedSetSpec:
            raise OAIError("badArgument", "Malformed set specification.") from None
    if window.start is not None:
        queryset = queryset.filter(updated_at__gte=window.start)
    if window.end is not None:
        queryset = queryset.filter(updated_at__lt=window.end)
    if cursor_in is not None:
        queryset = _after(queryset, cursor_in.after_datestamp, cursor_in.after_id)
    size = page_size()
    queryset = queryset.select_related("organisation").defer("full_text")
    if verb == "ListRecords":
        queryset = queryset.prefetch_related("creators", "countries", "regions")
    items = list(queryset.order_by("updated_at", "id")[: size + 1])
    if not items:
        raise OAIError("noRecordsMatch", "No records match this request.")
    more = len(items) > size
    items = items[:size]
    ctx = _context(items, endpoint)
    element = etree.Element(OAI + verb)
    for item in items:
        if verb == "ListRecords":
            _record(element, item, prefix, ctx)
        else:
            _header(element, item, ctx)
    done = cursor_in.cursor if cursor_in else 0
    if more or cursor_in is not None:
        token = etree.SubElement(element, OAI + "resumptionToken", cursor=str(done))
        if more:
            last = items[-1]
            token.text = tokens.encode(tokens.Cursor(
                verb=verb, prefix=prefix, set_spec=set_spec, from_=from_, until=until,
                after_datestamp=last.updated_at, after_id=last.pk, cursor=done + len(items)))
    return element


HANDLERS: dict[str, Callable[[dict[str, str], Endpoint], etree._Element]] = {
    "Identify": _identify,
    "ListMetadataFormats": _formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": lambda args, endpoint: _list("ListIdentifiers", args, endpoint),
    "ListRecords": lambda args, endpoint: _list("ListRecords", args, endpoint),
}
