"""Load the SDG framework from the CSV files shipped in ``sdg/data`` (used by a migration)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
LANGS = ("en", "fr", "es")


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _per_language(row: dict[str, str], prefix: str) -> dict[str, str]:
    return {lang: _clean(row[f"{prefix}_{lang}"]) for lang in LANGS if row.get(f"{prefix}_{lang}")}


def _sort_key(code: str) -> tuple:
    """Sort 1.2 before 1.10 and numbered targets before lettered ones (1.5 < 1.a)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


def load(goal_model, target_model, indicator_model) -> None:
    """Create or update goals, targets and indicators (idempotent)."""
    colours = {int(r["goal"]): r["colour"] for r in _rows("goal_colours.csv")}
    for row in _rows("sdg_goals_en_fr_es.csv"):
        number = int(row["code"])
        goal_model.objects.update_or_create(
            number=number,
            defaults={
                "short": _per_language(row, "short"),
                "title": _per_language(row, "title"),
                "colour": colours[number],
            },
        )
    targets = sorted(_rows("sdg_targets_en_fr_es.csv"), key=lambda r: _sort_key(r["code"]))
    for position, row in enumerate(targets):
        target_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "goal_id": int(row["goal"]),
                "title": _per_language(row, "title"),
                "position": position,
            },
        )
    known_targets = set(target_model.objects.values_list("code", flat=True))
    indicators = sorted(_rows("sdg_indicators_en_fr_es.csv"), key=lambda r: _sort_key(r["code"]))
    for position, row in enumerate(indicators):
        if row["target"] not in known_targets:
            continue
        indicator_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "target_id": row["target"],
                "title": _per_language(row, "title"),
                "position": position,
            },
        )


def load_with_apps(apps, schema_editor) -> None:
    """The RunPython entry point shared by the migrations that (re)load the framework."""
    load(
        apps.get_model("sdg", "Goal"),
        apps.get_model("sdg", "Target"),
        apps.get_model("sdg", "Indicator"),
    )
