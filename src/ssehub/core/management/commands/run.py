"""``ssehub run``: everything a newcomer needs to see the hub, in one command.

Migrates the database, loads the demo content the first time only, makes sure an administrator
exists, collects nothing (WhiteNoise serves static files from the packages) and serves the hub.
A second run finds all of that done and starts in seconds.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ssehub.core.management.commands.createadmin import ensure_admin
from ssehub.core.models import SiteFlag

DEMO_FLAG = "demo_loaded"


class Command(BaseCommand):
    help = "Migrate, load the demo once, create an admin if none, and serve the hub."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("SSEHUB_HOST", "127.0.0.1"))
        parser.add_argument("--no-demo", action="store_true", help="do not load the demo content")
        parser.add_argument("--no-serve", action="store_true",
                            help="prepare everything but do not start the server")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"] and not SiteFlag.objects.filter(name=DEMO_FLAG).exists():
            self.stdout.write("Loading the demo content (first run only)...")
            from ssehub.library.demo import load_demo

            counts = load_demo(stdout=self.stdout)
            if counts.get("failed"):
                # Not flagged: the next run tries the failed entries again.
                self.stderr.write(f"{counts['failed']} demo entries failed (see above)")
            else:
                SiteFlag.objects.update_or_create(name=DEMO_FLAG, defaults={"value": str(counts)})
        user, generated = ensure_admin()
        if generated:
            self.stdout.write(self.style.SUCCESS(
                f"Administrator {user.username!r} created with password: {generated} "
                "(shown once; set SSEHUB_ADMIN_PASSWORD to choose it)."
            ))
        if options["no_serve"]:
            return
        if settings.SSEHUB_SCHEDULER:
            from ssehub.core.scheduler import DEFAULT_JOBS, Scheduler

            Scheduler(DEFAULT_JOBS, settings.SSEHUB_SCHEDULER_INTERVAL).start()
        address = f"{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"SSE Hub on http://{address}/  (admin: /admin/)"))
        call_command("runserver", address, use_reloader=False, skip_checks=True)
