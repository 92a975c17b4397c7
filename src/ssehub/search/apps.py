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
