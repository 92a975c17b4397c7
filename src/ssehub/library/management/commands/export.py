"""``ssehub export [--json]``: every item's metadata as CSV (default) or JSON lines."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ssehub.library.export import write_csv, write_jsonl
from ssehub.library.models import Status


class Command(BaseCommand):
    help = (
        "Write every item's metadata to stdout (or --output FILE) as CSV, "
        "or JSON lines with --json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="JSON lines, one item per line")
        parser.add_argument("--status", choices=Status.values, help="only items with this status")
        parser.add_argument("--output", "-o", help="write to this file instead of stdout")

    def handle(self, *args, **options):
        writer = write_jsonl if options["json"] else write_csv
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                count = writer(handle, options["status"])
            self.stderr.write(f"exported {count} items to {options['output']}")
        else:
            writer(self.stdout, options["status"])
