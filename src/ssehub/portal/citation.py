"""A plain "Cite as" line for an item page: Creators (Year). Title. Publisher. DOI/URL.

Deliberately simple (no CSL engine): readers mostly want something to paste; exports in
BibTeX/RIS/CSL-JSON come with the interop module.
"""

from __future__ import annotations

from ssehub.library.models import Item


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}" if doi else ""


def cite(item: Item) -> str:
    """Build the citation from what the item has, leaving out what it lacks."""
    parts: list[str] = []
    creators = "; ".join(c.name for c in item.creators.all())
    if not creators and item.organisation_id:
        creators = item.organisation.acronym or str(item.organisation)
    year = f"({item.pub_year})" if item.pub_year else "(n.d.)"
    parts.append(f"{creators} {year}".strip())
    parts.append(str(item.display_title).rstrip("."))
    if item.publisher:
        parts.append(item.publisher.rstrip("."))
    link = doi_url(item.display_doi) or item.identifiers.get("url", "") or item.source_url
    text = ". ".join(parts) + "."
    return f"{text} {link}" if link else text
