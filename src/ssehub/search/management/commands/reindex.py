"""``ssehub reindex [--check | --outbox [--watch]] [--no-embed]``: keep the search index right.

Without options the index is rebuilt from the database (the index is a projection, so this is
always safe); ``--check`` reports items missing from or stale in the index and exits 1 if any;
``--outbox`` applies pending changes (what a worker runs when inline indexing is off).
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from ssehub.core.progress import progress
from ssehub.library.models import Item
from ssehub.search import outbox, services
from ssehub.search.models import Outbox


class Command(BaseCommand):
    help = "Rebuild the search index, check it against the database, or apply the outbox."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true",
                          help="report items missing from or stale in the index (exit 1 if any)")
        mode.add_argument("--outbox", action="store_true",
                          help="apply pending index updates instead of rebuilding")
        parser.add_argument("--watch", action="store_true",
                            help="with --outbox: keep applying new updates (a worker)")
        parser.add_argument("--interval", type=float, default=2.0,
                            help="seconds between outbox polls with --watch")
        parser.add_argument("--no-embed", action="store_true",
                            help="rebuild the lexical index only, keep the vectors as they are")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        show = not options["no_progress"]
        if options["check"]:
            with progress("checking", Item.objects.count(), show) as advance:
                report = services.check(advance)
            self._print_check(report, options["json"])
            if not report.ok:
                raise SystemExit(1)
            return
        if options["outbox"]:
            while True:
                done = outbox.apply_pending()
                if done:
                    self.stderr.write(f"applied {done} outbox rows")
                if not options["watch"]:
                    pending = Outbox.objects.count()
                    self.stdout.write(json.dumps({"applied": done, "pending": pending})
                                      if options["json"] else f"applied {done}, pending {pending}")
                    return
                time.sleep(max(0.1, options["interval"]))
        started = time.monotonic()
        with progress("indexing", Item.objects.count(), show) as advance:
            try:
                written = services.rebuild(advance, embed=not options["no_embed"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        if options["json"]:
            self.stdout.write(json.dumps({"indexed": written, "seconds": round(seconds, 2)}))
        else:
            self.stdout.write(f"indexed {written} items in {seconds:.1f} s "
                              f"({services.get_backend().name})")

    def _print_check(self, report: services.CheckReport, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report.as_dict()))
            return
        if report.error:
            self.stdout.write(f"index unavailable: {report.error}")
            return
        self.stdout.write(f"{report.indexed} documents indexed, {report.expected} items in the "
                          f"database, {report.pending} outbox rows pending")
        for label, ids in (("missing from the index", report.missing),
                           ("stale in the index", report.stale),
                           ("in the index but not in the database", report.extra),
                           ("without a vector", report.vectors_missing),
                           ("with a stale vector", report.vectors_stale)):
            if ids:
                shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
                self.stdout.write(f"{len(ids)} {label}: {shown}")
        self.stdout.write("OK" if report.ok else "run `ssehub reindex` to repair")
