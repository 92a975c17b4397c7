"""The controlled list of item types, loaded from ``library/data/item_types.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "item_types.csv"


def load_item_types(item_type_model) -> None:
    with DATA.open(encoding="utf-8", newline="") as handle:
        for position, row in enumerate(csv.DictReader(handle)):
            item_type_model.objects.update_or_create(
                slug=row["slug"],
                defaults={"label": {k: row[k] for k in ("en", "fr", "es")}, "position": position},
            )
