"""OAI-PMH provider benchmark: ListRecords page time at offset 0, 100k and 1M items.

    .venv/bin/python bench/bench_oai.py                       # 1,000,000 items (see below)
    .venv/bin/python bench/bench_oai.py --items 200000 --offsets 0 100000
    .venv/bin/python bench/bench_oai.py --db /tmp/oai.sqlite3  # keep and reuse the database

Builds a temporary SQLite database (migrations, reference data), inserts N published items
in bulk (one SDG link for every third item, so the pages carry set specs and links), then times
whole requests through Django's test client: the first ListRecords page (no token), and pages
resumed at deep positions with the cursor token the provider would have handed out there
(cursor = datestamp + id of the record before; building it uses an OFFSET query that is not
timed). Next to each, the plain ``OFFSET k LIMIT 100`` query a naive provider would run, to
show what the cursor avoids. Then the items' sitemap (``/sitemap-items.xml``): its first
and last page, next to the ``OFFSET`` query Django's paginator would run for each. If
generating the items would take over ``--budget`` seconds (default 600), the bench stops at
the size reached and says so in its JSON.

Prints one JSON object; the lead wires it into ``make bench`` / docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BATCH = 20_000


def _setup(db_path: Path, data_dir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["SSEHUB_DATA_DIR"] = str(data_dir)
    os.environ["SSEHUB_SEARCH_SEMANTIC"] = "0"
    os.environ["SSEHUB_SDG_AUTOMAP"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()


def _generate(target: int, budget: float) -> dict:
    """Insert published items until ``target`` (or the time budget) is reached."""
    from django.db import connection, transaction
    from django.utils import timezone

    from ssehub.core.models import Organisation
    from ssehub.library.models import Item, ItemGoal, Status

    have = Item.objects.count()
    if have >= target:
        return {"items": have, "seconds": 0.0, "stopped_by_budget": False,
                "reused_database": True}
    orgs = list(Organisation.objects.values_list("pk", flat=True)) or [None]
    types = ["report", "working-paper", "policy-brief", "case-study", "dataset", "article"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
    while have < target:
        n = min(BATCH, target - have)
        now = timezone.now()
        items = [
            Item(uid=uuid.uuid4(),
                 title={"en": f"Cooperative finance and decent work {have + i}",
                        "fr": f"Finance coopérative et travail décent {have + i}"},
                 abstract={"en": "Social and solidarity economy organisations " * 8},
                 original_language="en", item_type_id=types[(have + i) % len(types)],
                 publisher="Bench Press", pub_year=2000 + (have + i) % 25,
                 languages=["en", "fr"], keywords=["cooperatives", "finance"],
                 identifiers={"url": f"https://example.org/doc/{have + i}"},
                 organisation_id=orgs[(have + i) % len(orgs)], status=Status.PUBLISHED,
                 status_changed_at=now, provenance="bench")
            for i in range(n)
        ]
        with transaction.atomic():
            created = Item.objects.bulk_create(items, batch_size=2000)
            ItemGoal.objects.bulk_create(
                [ItemGoal(item_id=item.pk, goal_id=1 + item.pk % 17,
                          source=ItemGoal.Source.EDITOR)
                 for item in created if item.pk % 3 == 0], batch_size=2000)
        have += n
        elapsed = time.perf_counter() - started
        if have < target and elapsed / have * target > budget * 1.05 and have >= 300_000:
            return {"items": have, "seconds": round(elapsed, 1), "stopped_by_budget": True}
        print(f"  {have:,} items, {elapsed:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"items": have, "seconds": round(time.perf_counter() - started, 1),
            "stopped_by_budget": False}


def _rounds(functions: dict, repeat: int) -> dict:
    """Median milliseconds of each function, timed in interleaved rounds after a warm-up."""
    for fn in functions.values():
        fn()
    times: dict = {key: [] for key in functions}
    for _ in range(repeat):
        for key, fn in functions.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return {key: round(statistics.median(values) * 1000, 2) for key, values in times.items()}


def _measure(offsets: list[int], repeat: int) -> dict:
    from django.test import Client

    from ssehub.interop.oai import tokens
    from ssehub.interop.oai.provider import exposed_items, page_size

    client = Client(HTTP_HOST="127.0.0.1")
    size = page_size()
    ordered = exposed_items().order_by("updated_at", "id")
    out: dict = {"page_size": size, "repeats": repeat, "pages": {}}
    pages, naives = {}, {}
    for offset in offsets:
        if offset == 0:
            url = "/oai?verb=ListRecords&metadataPrefix=oai_dc"
        else:
            when, last_id = ordered.values_list("updated_at", "id")[offset - 1]
            token = tokens.encode(tokens.Cursor("ListRecords", "oai_dc", "", "", "", when,
                                                last_id, offset))
            url = f"/oai?verb=ListRecords&resumptionToken={token}"

        def page(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200 and b"<record>" in response.content, url
            assert b"<error" not in response.content, response.content[:500]

        def naive(offset: int = offset) -> None:
            list(ordered.defer("full_text")[offset:offset + size])

        pages[offset], naives[offset] = page, naive
    # Interleaved rounds, so that drift (caches, other load) hits every depth alike.
    page_ms = _rounds(pages, repeat)
    naive_ms = _rounds(naives, max(3, repeat // 3))
    for offset in offsets:
        out["pages"][str(offset)] = {"cursor_page_ms": page_ms[offset],
                                     "offset_query_ms": naive_ms[offset]}
    first = out["pages"][str(offsets[0])]["cursor_page_ms"]
    deepest = out["pages"][str(offsets[-1])]["cursor_page_ms"]
    out["deep_to_first"] = round(deepest / first, 3)
    out["goal_deep_to_first_max"] = 1.2
    return out


def _measure_sitemap(repeat: int) -> dict:
    """The items' sitemap (``interop/sitemaps.py``, pages by key range): its first and its
    deepest full page as whole requests, next to the ``OFFSET`` query Django's own paginator
    would run for each (the baseline the key ranges replace)."""
    from django.test import Client

    from ssehub.interop.sitemaps import ItemSitemap

    client = Client(HTTP_HOST="127.0.0.1")
    sitemap = ItemSitemap()
    # The deepest full page: the very last one may hold a few items only.
    last = max(1, sitemap.paginator.num_pages - 1)
    items = sitemap.items()

    def request(number: int):
        def fetch() -> None:
            response = client.get(f"/sitemap-items.xml?p={number}")
            assert response.status_code == 200 and b"<loc>" in response.content, number
        return fetch

    def offset_query(number: int):
        def run() -> None:
            list(items[(number - 1) * sitemap.limit:number * sitemap.limit])
        return run

    pages = _rounds({"first": request(1), "last": request(last)}, max(3, repeat // 3))
    naive = _rounds({"first": offset_query(1), "last": offset_query(last)}, 3)
    return {"pages": sitemap.paginator.num_pages, "deep_page": last, "limit": sitemap.limit,
            "first_page_ms": pages["first"], "last_page_ms": pages["last"],
            "last_to_first": round(pages["last"] / pages["first"], 3),
            "offset_first_ms": naive["first"], "offset_last_ms": naive["last"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_100,
                        help="a page at offset 1,000,000 needs one more page of items")
    parser.add_argument("--offsets", type=int, nargs="+", default=[0, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--budget", type=float, default=600, help="seconds for generation")
    parser.add_argument("--db", type=Path, help="SQLite file to create or reuse")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ssehub-bench-oai-") as tmp:
        db_path = args.db or Path(tmp) / "bench.sqlite3"
        _setup(db_path, Path(tmp))
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_s = round(time.perf_counter() - started, 1)
        generation = _generate(args.items, args.budget)
        # A page "at offset k" needs k + one page of items; deeper asks get the last full page.
        reach = generation["items"] - 100
        offsets = sorted({min(o, reach) for o in args.offsets})
        note = ""
        if generation["stopped_by_budget"]:
            # Deepest page we can still measure honestly: 300k (or what was reached).
            deep = min(300_000, reach)
            offsets = sorted({o for o in offsets if o <= deep} | {deep})
            note = (f"generation would exceed {args.budget:.0f} s; measured up to "
                    f"{generation['items']:,} items")
        result = {
            "benchmark": "oai_listrecords",
            "database": "sqlite",
            "python": sys.version.split()[0],
            "migrate_seconds": migrate_s,
            "generation": generation,
            **_measure(offsets, args.repeat),
            "sitemap": _measure_sitemap(args.repeat),
        }
        if note:
            result["note"] = note
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
