"""``ssehub backup [PATH]``: the database and stored files in one .tar.gz archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from ssehub.core.backup import create_backup, default_backup_path
from ssehub.core.progress import progress


class Command(BaseCommand):
    help = "Write a backup archive (default: <data folder>/backups/ssehub-<date>.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="where to write the archive")

    def handle(self, *args, **options):
        path = Path(options["path"]) if options["path"] else default_backup_path()
        from ssehub.library.models import ItemFile

        total = ItemFile.objects.values("sha256").distinct().count()
        with progress("Backing up files", total=total) as advance:
            manifest = create_backup(path, advance)
        self.stdout.write(f"backup written to {path} ({manifest['files']} files)")
