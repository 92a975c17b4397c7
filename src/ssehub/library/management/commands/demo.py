"""``ssehub demo``: load the demo content, so that a new hub has something to search and show."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ssehub.library.demo.loader import (
    FAILED,
    DemoDataError,
    format_summary,
    load_survey,
    read_entries,
    run_demo,
    summarise,
)


class Command(BaseCommand):
    help = (
        "Load the demo content into the library: the UN Inter-Agency Task Force on SSE's brief "
        "report 'Action Plan 2020-2022' (a real document, with its full text) and about thirty "
        "illustrative demo records in English, French and Spanish covering every SDG and item "
        "type. The illustrative records are clearly marked as demo (keyword 'demo', provenance "
        "'demo', a disclaimer in each abstract) and are not real publications. Safe to run "
        "again: items already loaded are left unchanged. Exit status 1 if any item failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--refresh", action="store_true",
            help="re-apply the demo data file's metadata to demo items already loaded "
                 "(after editing items.yaml); overwrites edits made to those items",
        )
        parser.add_argument(
            "--list", action="store_true", dest="list_only",
            help="list the demo entries (key, status, type, title) without loading anything",
        )

    def handle(self, *args, **options):
        try:
            entries = read_entries()
        except DemoDataError as exc:
            raise CommandError(f"the demo data file is invalid: {exc}") from exc
        if options["list_only"]:
            for entry in entries:
                title = next(iter(entry.metadata["title"].values()))
                kind = entry.metadata.get("type", "other")
                self.stdout.write(f"{entry.key}\t{entry.status}\t{kind}\t{title}")
            return
        results = run_demo(entries, refresh=options["refresh"])
        for result in results:
            if result.status == FAILED:
                self.stderr.write(f"failed: {result.key}: {result.reason}")
        counts = summarise(results)
        self.stdout.write(format_summary(counts))
        load_survey(self.stdout)
        if counts[FAILED]:
            raise CommandError(f"{counts[FAILED]} demo item(s) failed to load")
