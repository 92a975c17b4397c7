"""The search app: index backends, the outbox that keeps them in step, and the search service."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "ssehub.search"
    label = "search"
    verbose_name = _("Search")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the signals that write an outbox row whenever an item changes.
        from ssehub.search import outbox

        outbox.connect_signals()
        # Facet labels are cached; a change to the rows they come from clears the cache.
        from django.db.models.signals import post_delete, post_save

        from ssehub.core.models import Country, Organisation, Region
        from ssehub.library.models import ItemType
        from ssehub.sdg.models import Goal
        from ssehub.search.services import clear_label_cache

        for model in (Country, Organisation, Region, ItemType, Goal):
            for signal in (post_save, post_delete):
                signal.connect(clear_label_cache, sender=model,
                               dispatch_uid=f"search-labels-{model.__name__}-{signal}")
