"""The ``ssehub`` console script: Django's management commands under the hub's own name.

``ssehub run``, ``ssehub ingest`` and friends are management commands of the hub's apps, so
``ssehub migrate`` or ``ssehub shell`` work too, and every subcommand has ``--help``.
"""

from __future__ import annotations

import os
import sys

HUB_COMMANDS = {
    "run": "migrate, load the demo the first time, create an admin, serve the hub",
    "demo": "load the demo content (idempotent)",
    "ingest": "add files, folders, URLs or a CSV/JSONL manifest to the library",
    "export": "write every item's metadata as CSV or JSON lines",
    "backup": "write the database and stored files to one archive",
    "restore": "replace the database and files with those of a backup archive",
    "createadmin": "create an administrator account if none exists",
    "role": "make a user an editor, or a contributor of an organisation",
    "search": "search the library (the same answer as /api/search)",
    "reindex": "rebuild the search index (--check: report missing or stale items)",
    "harvest": "harvest other platforms: add, check, run (incremental), status, list, "
               "clear, remove",
    "survey": "surveys: import an XLSForm (--name NAME), list, show, invite, remind "
              "(--due), export",
    "sdg": "SDG mapping: classify a text, evaluate or train the model, export-labels",
    "calls": "calls for papers: assign CALL (reviewer assignment summary), remind, list",
    "apitoken": "print (or --reset, --revoke) a user's REST API token",
}


def _print_help() -> None:
    print("usage: ssehub <command> [options]   (ssehub <command> --help for its options)\n")
    print("SSE Hub commands:")
    for name, text in HUB_COMMANDS.items():
        print(f"  {name:<12} {text}")
    print("\nEvery Django management command works too (migrate, shell, dbshell, ...):")
    print("  ssehub help --commands")


def main(argv: list[str] | None = None) -> None:
    """Run an ``ssehub`` subcommand."""
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    if not argv or argv[0] in {"-h", "--help"}:
        _print_help()
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ssehub", *argv])


if __name__ == "__main__":
    main()
