"""``ssehub harvest add|run|status|list|check|clear|remove``: a thin shell over
``ssehub.harvest.services`` and ``ssehub.harvest.clearing``."""

from __future__ import annotations

import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ssehub.core.progress import progress
from ssehub.harvest import clearing, preview, services
from ssehub.harvest.models import Kind, Run, Source
from ssehub.harvest.runner import HarvestBusy, Progress, summary
from ssehub.harvest.sources import HarvestError
from ssehub.library.models import Status


def _options(pairs: list[str]) -> dict:
    """``-o key=value`` pairs; a value that parses as JSON (a list, a mapping, a number) is
    taken as JSON, anything else as text."""
    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"option {pair!r} is not key=value")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


class Command(BaseCommand):
    help = ("Harvest other platforms: add a source, check it (its first records, nothing "
            "stored), run it (incremental), show status, list, withdraw what a source brought "
            "in (clear) or remove it.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add or reconfigure a source")
        add.add_argument("url", metavar="URL",
                         help="http(s) URL (an OAI-PMH base URL, a feed, a page or sitemap.xml); "
                              "for --type tabular also a local CSV/JSON file, stored as an "
                              "absolute path. Addresses inside the network are refused unless "
                              "in SSEHUB_URL_ALLOWLIST")
        add.add_argument("--type", dest="kind", required=True, choices=Kind.values,
                         help="oai: OAI-PMH; feed: RSS/Atom; web: pages or a sitemap; "
                              "tabular: CSV/JSON with a column mapping; murmurations: profiles")
        add.add_argument("--name", required=True, help="unique name, used by 'run' and 'status'")
        add.add_argument("--interval", type=int, default=24, help="hours between runs (--due)")
        add.add_argument("--status", default=Status.PUBLISHED, choices=Status.values,
                         help="status of new items")
        add.add_argument("--prefix", help="OAI-PMH metadataPrefix (default oai_dc)")
        add.add_argument("--set", dest="oai_set", help="OAI-PMH set")
        add.add_argument("--from", dest="since", help="OAI-PMH from (first run)")
        add.add_argument("--until", help="OAI-PMH until")
        add.add_argument("--item-type", help="item type of harvested items (e.g. report)")
        add.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                         help='any source option, e.g. -o mapping=\'{"title": "Name"}\'')
        add.add_argument("--notify", action="append", metavar="EMAIL",
                         help="e-mail this address when a run does not complete or records "
                              "fail (repeat for several; --notify '' removes them all)")

        run = sub.add_parser("run", help="harvest sources now (exit 1 if one did not complete)")
        run.add_argument("names", nargs="*", metavar="NAME")
        run.add_argument("--all", action="store_true", help="every enabled source")
        run.add_argument("--due", action="store_true", help="enabled sources whose interval "
                         "has passed, and interrupted runs (for cron)")
        run.add_argument("--full", action="store_true",
                         help="ignore the incremental state: fetch and re-ingest everything")
        run.add_argument("--json", action="store_true", help="one JSON object per source run")

        status = sub.add_parser("status", help="items, withdrawn items and the last run")
        status.add_argument("names", nargs="*", metavar="NAME")
        status.add_argument("--json", action="store_true")

        sub.add_parser("list", help="the configured sources")

        check = sub.add_parser(
            "check", help="read a source's first records as a run would, store nothing "
                          "(exit 1 if the source cannot be read or a record would fail)")
        check.add_argument("names", nargs="+", metavar="NAME")
        check.add_argument("--records", type=int, default=preview.RECORDS,
                           help=f"how many records to read (default {preview.RECORDS})")
        check.add_argument("--json", action="store_true", help="one JSON object per source")

        for name, text in (
                ("clear", "withdraw the items a source brought in and disable it (says what it "
                          "would do; --yes does it)"),
                ("remove", "clear a source, then delete it (says what it would do; --yes does "
                           "it)")):
            action = sub.add_parser(name, help=text)
            action.add_argument("names", nargs="+", metavar="NAME")
            action.add_argument("--yes", action="store_true", help="do it")

    def handle(self, *args, **options):
        return getattr(self, f"do_{options['action']}")(options)

    def _sources(self, names: list[str]) -> list[Source]:
        found = {s.name: s for s in Source.objects.filter(name__in=names)}
        missing = [n for n in names if n not in found]
        if missing:
            raise CommandError(f"no source named {', '.join(missing)} (see 'ssehub harvest list')")
        return [found[n] for n in names]

    def do_add(self, options):
        extra = _options(options["option"])
        for key, name in (("metadata_prefix", "prefix"), ("set", "oai_set"),
                          ("from", "since"), ("until", "until"), ("type", "item_type")):
            if options[name]:
                extra[key] = options[name]
        try:
            source = services.add_source(options["kind"], options["name"], options["url"],
                                         options=extra, interval_hours=options["interval"],
                                         item_status=options["status"],
                                         notify_to=options["notify"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"source {source.name} ({source.get_kind_display()}) {source.url}")
        if source.requested_at is not None and source.requested_full:
            self.stdout.write("  full run requested (it reads something else now): the next "
                              "'harvest run --due' (or the scheduler) does it")

    def do_run(self, options):
        if options["all"]:
            sources = list(Source.objects.filter(enabled=True))
        elif options["due"]:
            sources = services.due_sources()
        elif options["names"]:
            sources = self._sources(options["names"])
        else:
            raise CommandError("name a source, or use --all or --due")
        incomplete = 0
        for source in sources:
            try:
                with progress(f"Harvesting {source.name}", None,
                              enabled=not options["json"]) as advance:
                    state = {"done": 0}

                    def on_page(seen, total, state=state, advance=advance):
                        advance(seen - state["done"])
                        state["done"] = seen

                    run = services.run_source(source, full=options["full"],
                                              progress=Progress(on_page=on_page))
            except (HarvestBusy, HarvestError) as exc:
                incomplete += 1
                out = {"source": source.name, "outcome": "failed",
                       **{name: 0 for name in Run.COUNTS},
                       "errors": [{"record": "", "error": str(exc)}]}
                self._report(out, options["json"])
                continue
            if run.outcome != Run.Outcome.COMPLETE:
                incomplete += 1
            self._report(summary(run), options["json"])
        if incomplete:
            sys.exit(1)

    def _report(self, out: dict, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            self.stdout.flush()
            return
        counts = ", ".join(f"{name} {out[name]}" for name in Run.COUNTS)
        self.stdout.write(f"{out['source']}: {out['outcome']} ({counts})")
        for error in out["errors"][:20]:
            self.stdout.write(f"  {error['record'] or '-'}: {error['error']}")
        if len(out["errors"]) > 20:
            self.stdout.write(f"  ... and {len(out['errors']) - 20} more errors")

    def do_status(self, options):
        sources = self._sources(options["names"]) if options["names"] else list(
            Source.objects.all())
        for source in sources:
            data = services.status(source)
            if options["json"]:
                self.stdout.write(json.dumps(data, ensure_ascii=False))
                continue
            last = data["last_run"]
            when = last["started_at"][:16] if last else "never"
            outcome = last["outcome"] if last else "-"
            self.stdout.write(f"{source.name}: {data['items']} items, {data['withdrawn']} "
                              f"withdrawn; last run {when} {outcome} "
                              f"({services.health(source)})")
            if data["requested"]:
                self.stdout.write(f"  {data['requested']} run requested: the next "
                                  "'harvest run --due' (or the scheduler) does it")
            if last and last["message"]:
                self.stdout.write(f"  stopped: {last['message']}")

    def do_check(self, options):
        if options["records"] < 1:
            raise CommandError("--records must be at least 1")
        problems = 0
        for source in self._sources(options["names"]):
            out = preview.check(source, records=options["records"])
            problems += not out.ok or out.failed > 0
            if options["json"]:
                self.stdout.write(json.dumps(out.as_dict(), ensure_ascii=False))
                continue
            if not out.ok:
                self.stdout.write(f"{out.source}: cannot be read: {out.error}")
                continue
            total = "" if out.total is None else f" of {out.total}"
            self.stdout.write(f"{out.source}: {out.records} records read{total}: {out.valid} "
                              f"valid, {out.deleted} deleted, {out.failed} would fail")
            for note in out.notes:
                self.stdout.write(f"  note: {note}")
            for error in out.errors:
                self.stdout.write(f"  {error['record'] or '-'}: {error['error']}")
            for sample in out.sample:
                what = sample["title"] or sample["document"]
                details = ", ".join(filter(None, [sample["type"], sample["date"],
                                                  "/".join(sample["languages"])]))
                self.stdout.write(f"  ok {sample['record']}: {what}"
                                  + (f" ({details})" if details else ""))
        if problems:
            sys.exit(1)

    def do_list(self, options):
        for source in Source.objects.all():
            flag = "" if source.enabled else " (disabled)"
            self.stdout.write(f"{source.name}\t{source.kind}\t{source.url}\t"
                              f"every {source.interval_hours} h{flag}")

    def do_clear(self, options):
        self._clear(options, clearing.clear, "cleared", "disabled")

    def do_remove(self, options):
        self._clear(options, clearing.remove, "removed", "deleted")

    def _clear(self, options, act, did: str, then: str) -> None:
        """Say what clearing each source would withdraw and keep; with --yes, do it."""
        busy = 0
        for source in self._sources(options["names"]):
            planned = clearing.plan(source)
            kept = (f"; {planned.kept} kept (delivered from elsewhere too)" if planned.kept
                    else "")
            if planned.busy:
                busy += 1
                self.stdout.write(f"{source.name}: not {did}: {planned.busy}")
            elif not options["yes"]:
                self.stdout.write(f"{source.name}: would withdraw {len(planned.withdraw)} "
                                  f"items{kept}; nothing done (add --yes)")
            else:
                try:
                    done = act(clearing.SYSTEM, source)
                except HarvestBusy as exc:
                    busy += 1
                    self.stdout.write(f"{source.name}: not {did}: {exc}")
                    continue
                self.stdout.write(f"{source.name}: {did}: {len(done.withdraw)} items "
                                  f"withdrawn{kept}; the source is {then}")
        if busy:
            sys.exit(1)
