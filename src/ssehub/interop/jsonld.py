"""Embedded metadata for item pages: schema.org JSON-LD and Highwire Press ``citation_*``
meta tags, which Google Scholar, Zotero and other reference managers read from the HTML.

Both are built from the item's fields here and rendered by the ``interop_tags`` template tag.
The JSON is made safe for a ``<script>`` element by escaping ``<``, ``>`` and ``&`` as JSON
unicode escapes, so no title can close the script; the meta tags go through Django's
autoescaping.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ssehub.core.i18n import pick
from ssehub.library.models import Creator, Item, ItemGoal

SCHEMA_TYPES = {
    "report": "Report", "working-paper": "Report", "policy-brief": "Report",
    "survey-report": "Report", "case-study": "Report", "article": "ScholarlyArticle",
    "conference-paper": "ScholarlyArticle", "book": "Book", "dataset": "Dataset",
    "video": "VideoObject", "news": "NewsArticle", "event": "Event",
    "learning-resource": "LearningResource", "legislation": "Legislation",
    "initiative": "Project", "other": "CreativeWork",
}
SDG_TERM_SET = "https://unstats.un.org/sdgs/metadata/"
REPORT_TYPES = {"report", "working-paper", "policy-brief", "survey-report", "case-study"}


def _agent(creator: Creator) -> dict[str, str]:
    kind = "Organization" if creator.kind == Creator.Kind.ORGANISATION else "Person"
    return {"@type": kind, "name": creator.name}


def item_jsonld(item: Item, absolute: Callable[[str], str],
                links: list[ItemGoal]) -> dict[str, Any]:
    """The schema.org description of an item; ``absolute`` turns a path into a full URL."""
    url = absolute(item.get_absolute_url())
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(item.item_type_id, "CreativeWork"),
        "@id": url,
        "url": url,
        "name": item.display_title,
        "identifier": str(item.uid),
    }
    if item.item_type_id in ("article", "conference-paper", "news"):
        data["headline"] = str(item.display_title)[:110]
    others = [t for code, t in (item.title or {}).items() if t and t != data["name"]]
    if others:
        data["alternateName"] = others
    abstract = item.display_abstract
    if abstract:
        data["abstract" if data["@type"] != "Dataset" else "description"] = abstract
    languages = list(item.languages or []) or [c for c in (item.title or {}) if c != "und"]
    if languages:
        data["inLanguage"] = languages[0] if len(languages) == 1 else languages
    creators = [_agent(c) for c in item.creators.all()]
    if creators:
        data["creator" if data["@type"] == "Dataset" else "author"] = creators
    if item.publisher:
        data["publisher"] = {"@type": "Organization", "name": item.publisher}
    if item.organisation_id is not None:
        data["sourceOrganization"] = {"@type": "Organization", "name": str(item.organisation),
                                      "url": absolute(item.organisation.get_absolute_url())}
    if item.date_display:
        data["datePublished"] = item.date_display
    if item.keywords:
        data["keywords"] = list(item.keywords)
    if item.licence:
        data["license"] = item.licence
    same_as = []
    if item.doi:
        same_as.append(f"https://doi.org/{item.display_doi}")
    if (item.identifiers or {}).get("url"):
        same_as.append(item.identifiers["url"])
    if same_as:
        data["sameAs"] = same_as
    if (item.identifiers or {}).get("isbn") and data["@type"] == "Book":
        data["isbn"] = item.identifiers["isbn"]
    goals = sorted({link.goal_id: link.goal for link in links}.items())
    if goals:
        data["about"] = [
            {"@type": "DefinedTerm", "termCode": str(number),
             "name": f"SDG {number}: {pick(goal.short)}", "inDefinedTermSet": SDG_TERM_SET}
            for number, goal in goals
        ]
    countries = [pick(c.name) or c.iso2 for c in item.countries.all()]
    if countries:
        data["spatialCoverage"] = [{"@type": "Country", "name": name} for name in countries]
    files = [
        {"@type": "DataDownload" if data["@type"] == "Dataset" else "MediaObject",
         "name": f.filename, "contentUrl": absolute(f.get_absolute_url()),
         "encodingFormat": f.mime_type, "contentSize": str(f.size)}
        for f in item.files.all()
    ]
    if files:
        data["distribution" if data["@type"] == "Dataset" else "associatedMedia"] = files
    return data


def script_json(data: dict[str, Any]) -> str:
    """JSON that can sit inside <script>: no character of it can end the element."""
    text = json.dumps(data, ensure_ascii=False, indent=None)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def highwire_tags(item: Item, absolute: Callable[[str], str]) -> list[tuple[str, str]]:
    """(name, content) pairs for Highwire Press ``citation_*`` meta tags."""
    tags: list[tuple[str, str]] = [("citation_title", str(item.display_title))]
    tags += [("citation_author", c.name) for c in item.creators.all()]
    if item.pub_year:
        parts = [f"{item.pub_year:04d}"]
        if item.pub_month:
            parts.append(f"{item.pub_month:02d}")
            if item.pub_day:
                parts.append(f"{item.pub_day:02d}")
        tags.append(("citation_publication_date", "/".join(parts)))
    if item.publisher:
        tags.append(("citation_publisher", item.publisher))
    if item.item_type_id in REPORT_TYPES:
        institution = item.publisher or (str(item.organisation) if item.organisation_id else "")
        if institution:
            tags.append(("citation_technical_report_institution", institution))
    if item.doi:
        tags.append(("citation_doi", item.display_doi))
    for scheme in ("isbn", "issn"):
        if (item.identifiers or {}).get(scheme):
            tags.append((f"citation_{scheme}", item.identifiers[scheme]))
    language = (item.languages or [item.title_language])[0] if (
        item.languages or item.title_language) else ""
    if language and language != "und":
        tags.append(("citation_language", language))
    if item.keywords:
        tags.append(("citation_keywords", "; ".join(item.keywords)))
    tags.append(("citation_abstract_html_url", absolute(item.get_absolute_url())))
    for f in item.files.all():
        if f.mime_type == "application/pdf":
            tags.append(("citation_pdf_url", absolute(f.get_absolute_url())))
            break
    return tags
