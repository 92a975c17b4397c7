"""Backup and restore: the whole database (as Django fixtures) and the stored files, one archive.

Fixtures rather than a copy of the SQLite file, so that a backup taken on SQLite restores on
PostgreSQL and back. A restore checks the whole archive first (format, every file an item needs
is present and matches its hash), then replaces the database in one transaction: a bad archive
changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from ssehub import __version__
from ssehub.library import storage

FORMAT = "ssehub-backup/1"
EXCLUDE = ["contenttypes", "auth.permission", "sessions"]
BLOB_NAME = re.compile(r"^files/[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})$")


class BackupError(Exception):
    """An archive that cannot be restored; nothing was changed."""


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def create_backup(path: Path, advance=lambda n=1: None) -> dict:
    """Write the archive at ``path``; return its manifest."""
    from ssehub.library.models import ItemFile

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w+", suffix=".json", encoding="utf-8") as dump:
        call_command("dumpdata", natural_foreign=True, exclude=EXCLUDE, output=dump.name,
                     verbosity=0)
        data = Path(dump.name).read_bytes()
    hashes = sorted(set(ItemFile.objects.values_list("sha256", flat=True)))
    manifest = {
        "format": FORMAT,
        "version": __version__,
        "created": datetime.now(UTC).isoformat(),
        "database": connection.vendor,
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "files": len(hashes),
    }
    tmp = path.with_suffix(path.suffix + ".partial")
    with tarfile.open(tmp, "w:gz") as archive:
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
        _add_bytes(archive, "data.json", data)
        for digest in hashes:
            blob = storage.blob_path(digest)
            if blob.exists():
                archive.add(blob, arcname=f"files/{digest[:2]}/{digest[2:4]}/{digest}")
            advance()
    tmp.replace(path)
    return manifest


def _read_archive(path: Path) -> tuple[dict, bytes, dict[str, tarfile.TarInfo], tarfile.TarFile]:
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by restore_backup
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a backup archive: {exc}") from exc
    members: dict[str, tarfile.TarInfo] = {}
    for member in archive.getmembers():
        if not member.isfile():
            raise BackupError(f"unexpected entry {member.name!r} in the archive")
        members[member.name] = member
    try:
        manifest = json.loads(archive.extractfile(members["manifest.json"]).read())
        data = archive.extractfile(members["data.json"]).read()
    except KeyError as exc:
        raise BackupError(f"the archive lacks {exc.args[0]}") from exc
    except json.JSONDecodeError as exc:
        raise BackupError(f"manifest.json is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if hashlib.sha256(data).hexdigest() != manifest.get("data_sha256"):
        raise BackupError("data.json does not match its checksum: the archive is damaged")
    return manifest, data, members, archive


def _flush() -> None:
    """Empty every table inside the current transaction.

    PostgreSQL refuses to TRUNCATE tables with pending deferred foreign-key checks from earlier
    in the same transaction, so they are fired first and deferred again for loaddata, whose
    fixtures may reference rows that come later in the file.
    """
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def restore_backup(path: Path, advance=lambda n=1: None) -> dict:
    """Replace the database and files with the archive's; return its manifest."""
    manifest, data, members, archive = _read_archive(path)
    with archive:
        try:
            records = json.loads(data)
        except json.JSONDecodeError as exc:
            raise BackupError(f"data.json is not valid JSON: {exc}") from exc
        needed = {r["fields"]["sha256"] for r in records if r.get("model") == "library.itemfile"}
        blobs = {}
        for name in members:
            match = BLOB_NAME.match(name)
            if match:
                blobs[match.group(1)] = name
            elif name not in ("manifest.json", "data.json"):
                raise BackupError(f"unexpected file {name!r} in the archive")
        missing = needed - set(blobs)
        if missing:
            raise BackupError(f"{len(missing)} stored files are missing from the archive")
        for digest in sorted(needed):
            content = archive.extractfile(members[blobs[digest]]).read()
            if hashlib.sha256(content).hexdigest() != digest:
                raise BackupError(f"file {digest} is damaged in the archive")
            storage.store(content)
            advance()
    with tempfile.NamedTemporaryFile("wb", suffix=".json") as fixture:
        fixture.write(data)
        fixture.flush()
        with transaction.atomic():
            _flush()
            call_command("loaddata", fixture.name, verbosity=0)
    return manifest


def default_backup_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "backups" / f"ssehub-{stamp}.tar.gz"
