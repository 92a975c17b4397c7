"""Validation against reference rows (item types, countries, regions), which metadata keeps
in memory once found: a row added is accepted at once, a row deleted is refused again."""

from __future__ import annotations

import pytest

from ssehub.core.models import Country
from ssehub.library.metadata import MetadataError, from_dict
from ssehub.library.models import ItemType

pytestmark = pytest.mark.django_db


def test_an_item_type_added_is_accepted_at_once_and_refused_once_deleted():
    with pytest.raises(MetadataError, match="unknown item type 'podcast'"):
        from_dict({"title": "Episode 1", "type": "podcast"})
    ItemType.objects.create(slug="podcast", label={"en": "Podcast"})
    assert from_dict({"title": "Episode 1", "type": "podcast"}).item_type == "podcast"
    ItemType.objects.filter(slug="podcast").delete()  # a queryset delete sends post_delete too
    with pytest.raises(MetadataError, match="unknown item type 'podcast'"):
        from_dict({"title": "Episode 1", "type": "podcast"})


def test_known_countries_are_accepted_and_unknown_ones_named():
    assert from_dict({"title": "x", "countries": "Kenya; FR"}).countries == ["KE", "FR"]
    Country.objects.filter(iso2="KE").delete()
    with pytest.raises(MetadataError, match="unknown country 'Kenya'"):
        from_dict({"title": "x", "countries": "Kenya"})
