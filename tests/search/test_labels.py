"""Facet labels are cached between requests (reference data, read once a minute at most) and
dropped when one of their rows changes; inside a transaction they are always read afresh."""

from __future__ import annotations

import pytest
from django.utils import translation

from ssehub.core.models import Organisation
from ssehub.core.reference import ensure_all
from ssehub.search import services

pytestmark = pytest.mark.django_db(transaction=True)  # no wrapping atomic block: as a request


def test_labels_are_cached_per_language_and_dropped_on_change(django_assert_num_queries):
    ensure_all()
    services.clear_label_cache()
    with django_assert_num_queries(1):
        assert services._labels("organisation", ["ripess"]) == {"ripess": "RIPESS"}
    with django_assert_num_queries(0):
        assert services._labels("organisation", ["ripess"]) == {"ripess": "RIPESS"}
    with translation.override("fr"), django_assert_num_queries(1):
        services._labels("organisation", ["ripess"])  # one cache per language
    ripess = Organisation.objects.get(slug="ripess")
    ripess.acronym = "RIPESS-renamed"
    ripess.save()  # post_save clears the cache
    with django_assert_num_queries(1):
        assert services._labels("organisation", ["ripess"]) == {"ripess": "RIPESS-renamed"}


def test_inside_a_transaction_labels_are_not_cached(django_assert_num_queries):
    from django.db import transaction

    ensure_all()
    services.clear_label_cache()
    with transaction.atomic():
        for _ in range(2):
            with django_assert_num_queries(1):
                services._labels("organisation", ["ripess"])
    assert services._label_cache == {}
