"""Export the library's metadata as JSON lines or CSV (used by ``ssehub export``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO

from ssehub.library.metadata import item_to_dict
from ssehub.library.models import Item

CSV_COLUMNS = [
    "id", "uid", "type", "status", "title", "abstract", "creators", "publisher", "date",
    "languages", "countries", "regions", "sdgs", "keywords", "licence", "doi", "url",
    "organisation", "provenance", "files",
]


def items_for_export(status: str | None = None):
    queryset = Item.objects.select_related("organisation").prefetch_related(
        "creators", "countries", "regions", "sdg_links", "files"
    ).order_by("id")
    return queryset.filter(status=status) if status else queryset


def iter_dicts(status: str | None = None, chunk_size: int = 500) -> Iterator[dict]:
    for item in items_for_export(status).iterator(chunk_size=chunk_size):
        yield item_to_dict(item)


def _flat(data: dict) -> dict[str, str]:
    def per_lang(values: dict) -> str:
        return " | ".join(f"[{k}] {v}" for k, v in values.items())

    return {
        "id": data["id"], "uid": data["uid"], "type": data["type"], "status": data["status"],
        "title": per_lang(data["title"]), "abstract": per_lang(data["abstract"]),
        "creators": "; ".join(c["name"] for c in data["creators"]),
        "publisher": data["publisher"], "date": data["date"],
        "languages": ";".join(data["languages"]), "countries": ";".join(data["countries"]),
        "regions": ";".join(data["regions"]),
        "sdgs": ";".join(s["target"] or str(s["goal"]) for s in data["sdgs"]),
        "keywords": "; ".join(data["keywords"]), "licence": data["licence"],
        "doi": data["identifiers"].get("doi", ""), "url": data["identifiers"].get("url", ""),
        "organisation": data["organisation"] or "", "provenance": data["provenance"]["kind"],
        "files": ";".join(f["filename"] for f in data["files"]),
    }


def write_jsonl(out: IO[str], status: str | None = None) -> int:
    count = 0
    for data in iter_dicts(status):
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(out: IO[str], status: str | None = None) -> int:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for data in iter_dicts(status):
        writer.writerow(_flat(data))
        count += 1
    return count
