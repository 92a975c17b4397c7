"""Load the reference data shipped in ``core/data`` (called by data migrations, idempotent)."""

from __future__ import annotations

import csv
import gettext
from pathlib import Path

import pycountry
import yaml
from django.utils.text import slugify

DATA = Path(__file__).resolve().parent / "data"
LANGS = ("en", "fr", "es")


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_regions(region_model) -> None:
    for row in _csv("regions_m49.csv"):  # parents come before children in the file
        region_model.objects.update_or_create(
            m49=row["m49"],
            defaults={
                "name": {lang: row[lang] for lang in LANGS},
                "parent_id": row["parent"] or None,
            },
        )


def _translators() -> dict[str, gettext.NullTranslations]:
    out = {}
    for lang in ("fr", "es"):
        try:
            out[lang] = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            out[lang] = gettext.NullTranslations()
    return out


def load_countries(country_model) -> None:
    regions = {row["iso2"]: row["m49_region"] for row in _csv("country_regions.csv")}
    translators = _translators()
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        names = {"en": english}
        for lang, translator in translators.items():
            names[lang] = translator.gettext(country.name)
        country_model.objects.update_or_create(
            iso2=country.alpha_2,
            defaults={
                "iso3": country.alpha_3,
                "m49": country.numeric,
                "name": names,
                "region_id": regions.get(country.alpha_2),
            },
        )


def taskforce() -> dict:
    with (DATA / "taskforce.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


TASK_FORCE_SLUG = "untfsse"


def load_task_force(organisation_model) -> None:
    """The Task Force itself, so that its own reports can be attributed to it."""
    entry = taskforce()["task_force"]
    organisation_model.objects.update_or_create(
        slug=TASK_FORCE_SLUG,
        defaults={
            "acronym": entry.get("acronym", "UNTFSSE"),
            "name": {"en": entry["name"]},
            "role": "other",
            "since": str(entry.get("founded", ""))[:10],
            "website": entry.get("website", ""),
        },
    )


def load_organisations(organisation_model) -> None:
    data = taskforce()
    for role, key in (("member", "members"), ("observer", "observers")):
        for entry in data.get(key, []):
            acronym = str(entry["acronym"])
            organisation_model.objects.update_or_create(
                slug=slugify(acronym),
                defaults={
                    "acronym": acronym,
                    "name": {"en": entry["name"]},
                    "role": role,
                    "since": str(entry.get("since", ""))[:10],
                },
            )


def ensure_all() -> None:
    """Load every reference table with the current models (idempotent).

    The migrations do this once; this is for databases emptied since, such as the ones that
    transactional tests flush.
    """
    from django.contrib.auth.models import Group

    from ssehub.core.models import Country, Organisation, Region
    from ssehub.core.roles import EDITORS_GROUP
    from ssehub.library.models import ItemType
    from ssehub.library.reference import load_item_types
    from ssehub.sdg import framework
    from ssehub.sdg.models import Goal, Indicator, Target

    if Goal.objects.count() == 17 and ItemType.objects.exists() and Country.objects.exists() \
            and Organisation.objects.filter(slug=TASK_FORCE_SLUG).exists():
        return
    load_regions(Region)
    load_countries(Country)
    load_task_force(Organisation)
    load_organisations(Organisation)
    Group.objects.get_or_create(name=EDITORS_GROUP)
    framework.load(Goal, Target, Indicator)
    load_item_types(ItemType)
