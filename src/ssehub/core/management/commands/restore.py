"""``ssehub restore PATH``: replace the database and files with a backup archive's."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ssehub.core.backup import BackupError, restore_backup
from ssehub.core.progress import progress


class Command(BaseCommand):
    help = (
        "Replace ALL data with that of a backup archive made by `ssehub backup`. The archive is "
        "checked first; a damaged one changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        if not options["yes"] and options.get("interactive", True):
            answer = input(f"Replace all data with the content of {path}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("restore cancelled")
        try:
            with progress("Restoring files", total=None) as advance:
                manifest = restore_backup(path, advance)
        except BackupError as exc:
            raise CommandError(f"restore refused, nothing changed: {exc}") from exc
        self.stdout.write(
            f"restored backup of {manifest['created']} ({manifest['files']} files)"
        )
        # The search index is a projection of the database: rebuild it from what was restored.
        call_command("reindex", stdout=self.stdout, stderr=self.stderr)
