"""``ssehub search "QUERY" [--limit N] [--json]``: the hub's search from the shell.

``ssehub search alerts [--dry-run]`` sends the saved searches' e-mail digests instead (the
``search_alerts`` command); to search for the word itself, quote it: ``ssehub search '"alerts"'``.

Runs the very service behind the portal page and ``/api/search``, as the public sees it
(published items only) unless ``--as-editor`` is given.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from ssehub.search import services
from ssehub.search.backends.base import FACETS


class Command(BaseCommand):
    help = "Search the library; --json prints the same object as /api/search."

    def run_from_argv(self, argv):
        if argv[2:3] == ["alerts"]:
            from ssehub.search.management.commands.search_alerts import Command as Alerts

            return Alerts().run_from_argv([argv[0], "search alerts", *argv[3:]])
        return super().run_from_argv(argv)

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="?", default="")
        parser.add_argument("--limit", type=int, default=10, help="results per page (max 100)")
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--sort", choices=services.SORTS, default="relevance")
        parser.add_argument("--mode", choices=services.MODES, default="hybrid")
        parser.add_argument("--json", action="store_true", help="print the API's JSON object")
        parser.add_argument("--ui-language", default=settings.LANGUAGE_CODE,
                            help="language of titles and facet labels (default: %(default)s)")
        parser.add_argument("--as-editor", action="store_true",
                            help="search every item, whatever its status")
        for name in FACETS:
            parser.add_argument(f"--{name}", action="append", default=[],
                                help=f"filter on {name} (repeatable)")

    def handle(self, *args, **options):
        with translation.override(options["ui_language"]):
            self._search(options)

    def _search(self, options) -> None:
        filters = {name: options[name] for name in FACETS if options[name]}
        params = services.SearchParams(
            q=options["query"], page=options["page"], page_size=options["limit"],
            filters=filters, sort=options["sort"], mode=options["mode"])
        user = None
        if options["as_editor"]:
            from django.contrib.auth import get_user_model

            user = get_user_model()(is_superuser=True, is_active=True)
        response = services.search(params, user, with_facets=options["json"])
        if options["json"]:
            self.stdout.write(json.dumps(response.as_dict(), ensure_ascii=False, indent=2))
        else:
            for message in response.messages:
                self.stderr.write(message)
            self.stdout.write(f"{response.total} results ({response.mode})")
            start = (response.page - 1) * response.page_size
            for n, hit in enumerate(response.results, start=start + 1):
                self.stdout.write(f"{n:>3}. [{hit.id}] {hit.title}")
        if response.unavailable:
            raise SystemExit(2)
