"""``ssehub search alerts [--dry-run]``: e-mail each user the new results of their saved
searches with alerts on (also reachable as ``ssehub search_alerts``).

Run it from cron (daily, say). What was sent is recorded, so a second run sends nothing until
new items arrive; ``--dry-run`` prints what would be sent and records nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ssehub.search import saved
from ssehub.search.backends.base import IndexUnavailable


class Command(BaseCommand):
    help = "Send the e-mail digests of saved searches (new results since the last digest)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="print what would be sent; send and record nothing")
        parser.add_argument("--base-url", default=settings.SSEHUB_BASE_URL,
                            help="the hub's address for links (default: %(default)s)")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE,
                            help="language of the messages (default: %(default)s)")

    def handle(self, *args, **options):
        try:
            digests = saved.send_digests(dry_run=options["dry_run"],
                                         base_url=options["base_url"],
                                         language=options["language"])
        except IndexUnavailable as exc:
            # Nothing was recorded for the searches not sent: the next run picks them up.
            raise CommandError(f"{exc} (rebuild it with “ssehub reindex”)") from exc
        for digest in digests:
            if options["dry_run"]:
                subject, body = saved.render_digest(digest, options["base_url"])
                self.stdout.write(f"To: {digest.user.email}\nSubject: {subject}\n\n{body}\n")
        verb = "would send" if options["dry_run"] else "sent"
        items = sum(d.count for d in digests)
        self.stdout.write(f"{verb} {len(digests)} digest(s), {items} item(s)")
