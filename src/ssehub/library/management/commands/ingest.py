"""``ssehub ingest PATH_OR_URL...``: add documents to the library through the one pipeline."""

from __future__ import annotations

import sys
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ssehub.core.progress import progress
from ssehub.library.ingest.inputs import expand
from ssehub.library.ingest.parallel import default_jobs
from ssehub.library.ingest.pipeline import FAILED, Options, ingest
from ssehub.library.models import Status


class Command(BaseCommand):
    help = (
        "Ingest files, folders (recursively), http(s) URLs and CSV/JSONL manifests (a 'file', "
        "'path' or 'url' column plus metadata columns such as title, title_fr, abstract, type, "
        "creators, date, languages, countries, sdgs, keywords, licence, doi, organisation). "
        "Re-ingesting the same file changes nothing. Exit status 1 if any input failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("targets", nargs="+", metavar="PATH_OR_URL")
        parser.add_argument("--json", action="store_true",
                            help="print one JSON line per input: input, id, status, reason")
        parser.add_argument("--status", default=Status.PUBLISHED, choices=Status.values,
                            help="status of new items (default: published)")
        parser.add_argument("--organisation", help="contributing organisation (slug or acronym)")
        parser.add_argument("--type", dest="item_type", help="item type of new items, e.g. report")
        parser.add_argument("--as-user", help="act as this user (their permissions apply)")
        parser.add_argument("--source", default="", help="provenance: name of the source")
        parser.add_argument(
            "--jobs", type=int, default=None, metavar="N",
            help="extraction worker processes (default: SSEHUB_INGEST_JOBS, else one per "
                 "core, at most 4; 1 = all in this process)")

    def handle(self, *args, **options):
        actor = None
        if options["as_user"]:
            try:
                actor = get_user_model().objects.get(username=options["as_user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"no user {options['as_user']!r}") from exc
        defaults = {}
        if options["organisation"]:
            defaults["organisation"] = options["organisation"]
        if options["item_type"]:
            defaults["type"] = options["item_type"]
        opts = Options(actor=actor, status=options["status"], provenance="cli",
                       source_name=options["source"], defaults=defaults)
        jobs = options["jobs"] if options["jobs"] is not None else default_jobs()
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more")
        counts: Counter[str] = Counter()
        failures = []
        inputs = list(expand(options["targets"]))
        with progress("Ingesting", total=len(inputs), enabled=not options["json"]) as advance:
            for result in ingest(inputs, opts, jobs=jobs):
                counts[result.status] += 1
                if options["json"]:
                    self.stdout.write(result.to_json())
                    self.stdout.flush()
                elif result.status == FAILED:
                    failures.append(result)
                advance()
        if not options["json"]:
            for result in failures:
                self.stderr.write(f"failed: {result.input}: {result.reason}")
            summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            self.stdout.write(f"{len(inputs)} inputs: {summary or 'nothing to do'}")
        if counts[FAILED]:
            sys.exit(1)
