"""Generate the benchmark corpus: distinct multi-paragraph SSE/SDG documents in EN/FR/ES.

A fixed random seed and word lists give the same corpus on every machine. Each document is a
fresh draw of sentences (with its own numbers, places and people), so the near-duplicate
detector sees them as different works. Kinds rotate PDF (fpdf2) → HTML → DOCX (python-docx).

    .venv/bin/python bench/make_corpus.py [--docs 2400] [--out bench/out/corpus-N]
    .venv/bin/python bench/make_corpus.py --docs 300 --long    # report-length variant

``--long`` (the "long" variant) writes reports of realistic length instead of one to three
pages: PDFs of 5-20 pages and DOCX of 3-10 pages (at about 500 words per page, Word's default
layout), HTML pages of 3-10 such pages; same languages, same kinds rotation, different seed
offset so the texts differ from the standard corpus.

The corpus is cached: a ``corpus.json`` stamp records the parameters, and a second call with
the same parameters does nothing.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GENERATOR_VERSION = 4
KINDS = ("pdf", "html", "docx")
LANGS = ("en", "fr", "es")

WORDS = {
    "en": {
        "subjects": [
            "Cooperatives", "Mutual societies", "Social enterprises", "Community land trusts",
            "Worker-owned firms", "Savings and credit cooperatives", "Fair trade networks",
            "Housing cooperatives", "Women's self-help groups", "Solidarity finance schemes",
            "Producer associations", "Local exchange systems", "Community health mutuals",
            "Platform cooperatives", "Social and solidarity economy organisations",
            "Agricultural cooperatives", "Recycling cooperatives", "Credit unions",
            "Community energy cooperatives", "Non-profit associations", "Mutual insurers",
            "Informal workers' collectives", "Consumer cooperatives", "Social cooperatives",
        ],
        "verbs": [
            "strengthen", "expand", "support", "improve", "finance", "protect", "sustain",
            "accelerate", "broaden", "secure", "rebuild", "transform", "democratise",
            "stabilise", "diversify", "reinforce", "open", "localise", "organise", "widen",
        ],
        "objects": [
            "access to decent work", "food security in rural areas", "gender equality",
            "affordable housing", "inclusive finance", "renewable energy production",
            "the circular economy", "universal health coverage", "quality education",
            "the formalisation of informal work", "local value chains", "climate resilience",
            "clean water and sanitation", "sustainable tourism", "digital inclusion",
            "social protection floors", "responsible consumption", "youth employment",
            "biodiversity conservation", "fair wages for smallholders", "care services",
            "waste collection and recycling", "community broadband", "land rights",
        ],
        "modifiers": [
            "across the region", "in secondary cities", "among migrant workers",
            "for indigenous communities", "in post-crisis settings", "along the coast",
            "in peri-urban neighbourhoods", "for persons with disabilities",
            "in mountain districts", "among older people", "in border areas",
            "for young women", "in small island states", "during the recovery period",
        ],
        "connectors": [
            "In addition,", "However,", "As a result,", "By contrast,", "Moreover,",
            "In practice,", "Over the period,", "According to the survey,", "Nevertheless,",
            "At the same time,", "For example,", "In the pilot phase,", "Overall,",
        ],
        "findings": [
            "membership grew by {n} per cent", "{n} new jobs were created",
            "incomes rose by {n} per cent on average", "{n} households gained access",
            "the default rate fell to {n} per cent", "{n} municipalities adopted the model",
            "turnover reached {n} million dollars", "{n} per cent of members were women",
            "{n} training sessions were held", "the share of local suppliers reached {n} per cent",
        ],
        "sections": [
            "Introduction", "Context", "Methodology", "Findings", "Discussion",
            "Policy recommendations", "Case study", "Financing", "Governance", "Conclusion",
            "Lessons learned", "Measuring impact", "Legal framework", "Next steps",
        ],
        "titles": [
            "{s} and {o}: evidence from {p}", "How {s} {v} {o} in {p}",
            "{s} for {o}: a review of {p}", "Scaling up {s} in {p}",
            "The role of {s} in {o}", "{s}, the SDGs and {o} in {p}",
        ],
        "sentence": [
            "{s} {v} {o} {m}.", "{c} {s_l} {v} {o} {m}.", "In {p}, {f} between {y1} and {y2}.",
            "{c} {f}, which helped to {v} {o}.", "The programme aims to {v} {o} {m}.",
            "{c} local authorities worked with {s_l} to {v} {o}.",
            "Evidence from {p} shows that {s_l} {v} {o} {m}.",
            "This contributes to SDG {g}, in particular target {g}.{t}.",
            "{c} a partnership with {org} helped {s_l} to {v} {o} in {p}.",
            "Respondents in {p} reported that {f}.",
        ],
        "lede": "Abstract",
    },
    "fr": {
        "subjects": [
            "Les coopératives", "Les mutuelles", "Les entreprises sociales",
            "Les associations de producteurs", "Les sociétés coopératives de production",
            "Les caisses d'épargne et de crédit", "Les réseaux de commerce équitable",
            "Les coopératives d'habitation", "Les groupements de femmes",
            "Les dispositifs de finance solidaire", "Les monnaies locales",
            "Les mutuelles de santé communautaires", "Les coopératives de plateforme",
            "Les organisations de l'économie sociale et solidaire",
            "Les coopératives agricoles", "Les coopératives de recyclage",
            "Les coopératives d'énergie citoyenne", "Les associations à but non lucratif",
            "Les collectifs de travailleurs informels", "Les coopératives de consommateurs",
            "Les entreprises d'insertion", "Les sociétés coopératives d'intérêt collectif",
        ],
        "verbs": [
            "renforcent", "élargissent", "soutiennent", "améliorent", "financent",
            "protègent", "pérennisent", "accélèrent", "sécurisent", "reconstruisent",
            "transforment", "démocratisent", "stabilisent", "diversifient", "consolident",
            "ouvrent", "relocalisent", "organisent", "facilitent", "favorisent",
        ],
        "objects": [
            "l'accès au travail décent", "la sécurité alimentaire en milieu rural",
            "l'égalité entre les femmes et les hommes", "le logement abordable",
            "la finance inclusive", "la production d'énergie renouvelable",
            "l'économie circulaire", "la couverture sanitaire universelle",
            "l'éducation de qualité", "la formalisation du travail informel",
            "les chaînes de valeur locales", "la résilience climatique",
            "l'accès à l'eau potable", "le tourisme durable", "l'inclusion numérique",
            "les socles de protection sociale", "la consommation responsable",
            "l'emploi des jeunes", "la préservation de la biodiversité",
            "la rémunération équitable des petits producteurs", "les services de soins",
            "la collecte et le recyclage des déchets", "les droits fonciers",
        ],
        "modifiers": [
            "dans toute la région", "dans les villes secondaires",
            "auprès des travailleurs migrants", "pour les communautés autochtones",
            "dans les contextes de sortie de crise", "sur le littoral",
            "dans les quartiers périurbains", "pour les personnes handicapées",
            "dans les zones de montagne", "auprès des personnes âgées",
            "dans les zones frontalières", "pour les jeunes femmes",
            "dans les petits États insulaires", "pendant la période de relance",
        ],
        "connectors": [
            "En outre,", "Cependant,", "En conséquence,", "À l'inverse,", "De plus,",
            "Dans la pratique,", "Sur la période,", "Selon l'enquête,", "Néanmoins,",
            "Dans le même temps,", "Par exemple,", "Lors de la phase pilote,", "Au total,",
        ],
        "findings": [
            "le nombre de membres a augmenté de {n} pour cent",
            "{n} emplois nouveaux ont été créés",
            "les revenus ont progressé de {n} pour cent en moyenne",
            "{n} ménages ont obtenu un accès", "le taux de défaut est tombé à {n} pour cent",
            "{n} communes ont adopté le modèle",
            "le chiffre d'affaires a atteint {n} millions d'euros",
            "{n} pour cent des membres étaient des femmes",
            "{n} sessions de formation ont été organisées",
            "la part des fournisseurs locaux a atteint {n} pour cent",
        ],
        "sections": [
            "Introduction", "Contexte", "Méthodologie", "Résultats", "Discussion",
            "Recommandations", "Étude de cas", "Financement", "Gouvernance", "Conclusion",
            "Enseignements", "Mesurer l'impact", "Cadre juridique", "Prochaines étapes",
        ],
        "titles": [
            "{s} et {o} : le cas de {p}", "Comment {s_l} {v} {o} à {p}",
            "{s} au service de {o} : bilan à {p}", "Changer d'échelle : {s_l} à {p}",
            "Le rôle de l'économie sociale dans {o}", "{s}, les ODD et {o} à {p}",
        ],
        "sentence": [
            "{s} {v} {o} {m}.", "{c} {s_l} {v} {o} {m}.",
            "À {p}, {f} entre {y1} et {y2}.", "{c} {f}, ce qui a permis de soutenir {o}.",
            "Le programme vise à renforcer {o} {m}.",
            "{c} les collectivités locales ont travaillé avec {s_l} pour consolider {o}.",
            "Les données recueillies à {p} montrent que {s_l} {v} {o} {m}.",
            "Cela contribue à l'ODD {g}, en particulier à la cible {g}.{t}.",
            "{c} un partenariat avec {org} a aidé {s_l} à financer {o} à {p}.",
            "Les personnes interrogées à {p} indiquent que {f}.",
        ],
        "lede": "Résumé",
    },
    "es": {
        "subjects": [
            "Las cooperativas", "Las mutualidades", "Las empresas sociales",
            "Las asociaciones de productores", "Las empresas de trabajo asociado",
            "Las cooperativas de ahorro y crédito", "Las redes de comercio justo",
            "Las cooperativas de vivienda", "Los grupos de mujeres",
            "Los mecanismos de finanzas solidarias", "Las monedas locales",
            "Las mutuales de salud comunitarias", "Las cooperativas de plataforma",
            "Las organizaciones de la economía social y solidaria",
            "Las cooperativas agrarias", "Las cooperativas de reciclaje",
            "Las cooperativas de energía comunitaria", "Las asociaciones sin fines de lucro",
            "Los colectivos de trabajadores informales", "Las cooperativas de consumo",
            "Las empresas de inserción", "Las cooperativas sociales",
        ],
        "verbs": [
            "fortalecen", "amplían", "apoyan", "mejoran", "financian", "protegen",
            "sostienen", "aceleran", "garantizan", "reconstruyen", "transforman",
            "democratizan", "estabilizan", "diversifican", "consolidan", "abren",
            "relocalizan", "organizan", "facilitan", "promueven",
        ],
        "objects": [
            "el acceso al trabajo decente", "la seguridad alimentaria en zonas rurales",
            "la igualdad de género", "la vivienda asequible", "las finanzas inclusivas",
            "la producción de energía renovable", "la economía circular",
            "la cobertura sanitaria universal", "la educación de calidad",
            "la formalización del trabajo informal", "las cadenas de valor locales",
            "la resiliencia climática", "el acceso al agua potable", "el turismo sostenible",
            "la inclusión digital", "los pisos de protección social",
            "el consumo responsable", "el empleo juvenil",
            "la conservación de la biodiversidad",
            "los precios justos para los pequeños productores",
            "los servicios de cuidados", "la recogida y el reciclaje de residuos",
            "los derechos sobre la tierra",
        ],
        "modifiers": [
            "en toda la región", "en las ciudades intermedias",
            "entre los trabajadores migrantes", "para los pueblos indígenas",
            "en contextos de posconflicto", "en la zona costera",
            "en los barrios periurbanos", "para las personas con discapacidad",
            "en las zonas de montaña", "entre las personas mayores",
            "en las zonas fronterizas", "para las mujeres jóvenes",
            "en los pequeños Estados insulares", "durante el periodo de recuperación",
        ],
        "connectors": [
            "Además,", "Sin embargo,", "Como resultado,", "En cambio,", "Asimismo,",
            "En la práctica,", "Durante el periodo,", "Según la encuesta,", "No obstante,",
            "Al mismo tiempo,", "Por ejemplo,", "En la fase piloto,", "En total,",
        ],
        "findings": [
            "el número de socios creció un {n} por ciento",
            "se crearon {n} nuevos empleos",
            "los ingresos aumentaron un {n} por ciento en promedio",
            "{n} hogares obtuvieron acceso", "la morosidad bajó al {n} por ciento",
            "{n} municipios adoptaron el modelo",
            "la facturación alcanzó {n} millones de dólares",
            "el {n} por ciento de los socios eran mujeres",
            "se realizaron {n} sesiones de capacitación",
            "la proporción de proveedores locales llegó al {n} por ciento",
        ],
        "sections": [
            "Introducción", "Contexto", "Metodología", "Resultados", "Discusión",
            "Recomendaciones", "Estudio de caso", "Financiamiento", "Gobernanza",
            "Conclusión", "Lecciones aprendidas", "Medir el impacto", "Marco jurídico",
            "Próximos pasos",
        ],
        "titles": [
            "{s} y {o}: el caso de {p}", "Cómo {s_l} {v} {o} en {p}",
            "{s} al servicio de {o}: balance en {p}", "Ampliar la escala: {s_l} en {p}",
            "El papel de la economía social en {o}", "{s}, los ODS y {o} en {p}",
        ],
        "sentence": [
            "{s} {v} {o} {m}.", "{c} {s_l} {v} {o} {m}.",
            "En {p}, {f} entre {y1} y {y2}.", "{c} {f}, lo que permitió apoyar {o}.",
            "El programa busca fortalecer {o} {m}.",
            "{c} los gobiernos locales trabajaron con {s_l} para consolidar {o}.",
            "Los datos recogidos en {p} muestran que {s_l} {v} {o} {m}.",
            "Esto contribuye al ODS {g}, en particular a la meta {g}.{t}.",
            "{c} una alianza con {org} ayudó a {s_l} a financiar {o} en {p}.",
            "Las personas encuestadas en {p} señalan que {f}.",
        ],
        "lede": "Resumen",
    },
}

PLACES = [
    "Dakar", "Montevideo", "Quebec", "Bogotá", "Kigali", "Manila", "Bilbao", "Lyon",
    "Cochabamba", "Abidjan", "Cusco", "Nairobi", "Seoul", "Recife", "Tunis", "Oaxaca",
    "Grenoble", "Antananarivo", "Rosario", "Bamako", "Chiapas", "Kerala", "Lomé",
    "Valparaíso", "Ouagadougou", "Medellín", "Barcelona", "Mondragón", "Porto Alegre",
    "Cotonou", "Durban", "Quito", "Yaoundé", "Trento", "Montreal", "Saint-Louis",
]
ORGS = ["the ILO", "UNRISD", "UNDP", "the ICA", "RIPESS", "the OECD", "UNCTAD", "GSEF",
        "EURICSE", "CIRIEC", "the WFTO"]
ORG_SLUGS = ["ILO", "UNRISD", "UNDP", "ICA", "RIPESS", "OECD", "UNCTAD", "GSEF"]
FIRST = ["Amina", "Carlos", "Sophie", "Kwame", "Lucía", "Jean", "Mariam", "Diego", "Claire",
         "Tomás", "Fatou", "Pierre", "Ana", "Yusuf", "Élodie", "Marta", "Ibrahima", "Laura",
         "Nadia", "Julien", "Rosa", "Samuel", "Inés", "Moussa", "Camille", "Pablo"]
LAST = ["Diallo", "García", "Martin", "Mensah", "Fernández", "Dubois", "Traoré", "López",
        "Bernard", "Ramírez", "Ndiaye", "Moreau", "Silva", "Okafor", "Lefebvre", "Torres",
        "Kouassi", "Rousseau", "Castro", "Nkosi", "Girard", "Vargas", "Sow", "Mercier"]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class Writer:
    """Random text in one language from the word lists."""

    def __init__(self, rng: random.Random, lang: str):
        self.rng = rng
        self.lang = lang
        self.w = WORDS[lang]

    def fill(self, template: str) -> str:
        r, w = self.rng, self.w
        subject = r.choice(w["subjects"])
        y1 = r.randint(1995, 2020)
        return template.format(
            s=subject, s_l=_lower_first(subject), v=r.choice(w["verbs"]),
            o=r.choice(w["objects"]), m=r.choice(w["modifiers"]), c=r.choice(w["connectors"]),
            p=r.choice(PLACES), f=r.choice(w["findings"]).format(n=r.randint(2, 950)),
            y1=y1, y2=y1 + r.randint(1, 8), g=r.randint(1, 17), t=r.randint(1, 9),
            org=r.choice(ORGS),
        )

    def sentence(self) -> str:
        text = self.fill(self.rng.choice(self.w["sentence"]))
        return text[:1].upper() + text[1:]

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 7)))

    def title(self) -> str:
        text = self.fill(self.rng.choice(self.w["titles"]))
        return text[:1].upper() + text[1:]

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"


# Long variant: pages per kind (PDF pages are counted by fpdf2; DOCX and HTML at ~500 words).
LONG_PAGES = {"pdf": (5, 20), "docx": (3, 10), "html": (3, 10)}
WORDS_PER_PAGE = 500


def document(index: int, seed: int, long: bool = False) -> dict:
    """The content of document ``index``: title, authors, date, abstract and sections."""
    rng = random.Random(seed * 1_000_003 + index)
    lang = LANGS[index % len(LANGS)]
    kind = KINDS[(index // len(LANGS)) % len(KINDS)]
    writer = Writer(rng, lang)
    sections = []
    target_pages = 0
    if long:
        low, high = LONG_PAGES[kind]
        target_pages = rng.randint(low, high)
        # PDF: fpdf2 at 10 pt fits ~620 words on an A4 page; fill until the page count is
        # reached (to_pdf stops adding sections there).
        goal_words = target_pages * (700 if kind == "pdf" else WORDS_PER_PAGE)
        words = 0
        while words < goal_words:
            name = rng.choice(WORDS[lang]["sections"])
            paras = [writer.paragraph() for _ in range(rng.randint(2, 6))]
            words += sum(len(p.split()) for p in paras)
            sections.append((name, paras))
    else:
        names = rng.sample(WORDS[lang]["sections"], rng.randint(3, 6))
        for name in names:
            sections.append((name, [writer.paragraph() for _ in range(rng.randint(1, 3))]))
    return {
        "index": index,
        "lang": lang,
        "kind": kind,
        "target_pages": target_pages,
        "title": f"{writer.title()} ({rng.randint(1, 99)})",
        "authors": [writer.person() for _ in range(rng.randint(1, 3))],
        "date": datetime(rng.randint(2005, 2024), rng.randint(1, 12), rng.randint(1, 28),
                         tzinfo=UTC),
        "abstract": writer.paragraph(),
        "sections": sections,
        "keywords": ["SSE", rng.choice(WORDS[lang]["objects"]).split(" ")[-1],
                     f"SDG {rng.randint(1, 17)}"],
        "lede": WORDS[lang]["lede"],
    }


def cell(pdf, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def to_pdf(doc: dict) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(doc["title"])
    pdf.set_author("; ".join(doc["authors"]))
    pdf.set_subject(doc["abstract"][:200])
    pdf.set_keywords(", ".join(doc["keywords"]))
    pdf.set_creation_date(doc["date"])
    pdf.set_lang(doc["lang"])
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    cell(pdf, 8, doc["title"])
    pdf.set_font("Helvetica", "I", 10)
    cell(pdf, 6, ", ".join(doc["authors"]) + f" - {doc['date']:%Y-%m-%d}")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    cell(pdf, 6, doc["lede"])
    pdf.set_font("Helvetica", "", 10)
    cell(pdf, 5, doc["abstract"])
    limit = doc.get("target_pages") or 0
    kept = []
    for name, paragraphs in doc["sections"]:
        if limit and pdf.page_no() >= limit and pdf.get_y() > 200:
            break
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        cell(pdf, 7, name)
        pdf.set_font("Helvetica", "", 10)
        for para in paragraphs:
            cell(pdf, 5, para)
            pdf.ln(2)
        kept.append((name, paragraphs))
    doc["sections"] = kept
    doc["pages"] = pdf.page_no()
    return bytes(pdf.output())


def to_html(doc: dict) -> bytes:
    e = html.escape
    body = []
    for name, paragraphs in doc["sections"]:
        body.append(f"<h2>{e(name)}</h2>")
        body.extend(f"<p>{e(p)}</p>" for p in paragraphs)
    nav = "".join(f'<li><a href="/topic/{i}">{e(n)}</a></li>'
                  for i, n in enumerate(WORDS[doc["lang"]]["sections"][:6]))
    page = f"""<!DOCTYPE html>
<html lang="{doc['lang']}">
<head>
<meta charset="utf-8">
<title>{e(doc['title'])}</title>
<meta name="author" content="{e('; '.join(doc['authors']))}">
<meta name="description" content="{e(doc['abstract'][:200])}">
<meta name="keywords" content="{e(', '.join(doc['keywords']))}">
<meta property="article:published_time" content="{doc['date']:%Y-%m-%d}">
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header><div class="logo">SSE Knowledge Network</div><nav><ul>{nav}</ul></nav></header>
<main>
<article>
<h1>{e(doc['title'])}</h1>
<p class="byline">{e(', '.join(doc['authors']))} &middot;
<time datetime="{doc['date']:%Y-%m-%d}">{doc['date']:%Y-%m-%d}</time></p>
<p class="lede"><strong>{e(doc['lede'])}.</strong> {e(doc['abstract'])}</p>
{chr(10).join(body)}
</article>
</main>
<aside><h3>Related</h3><ul><li><a href="/a">SSE and the SDGs</a></li>
<li><a href="/b">Cooperatives</a></li></ul></aside>
<footer><p>&copy; {doc['date']:%Y} SSE Knowledge Network. <a href="/privacy">Privacy</a>
&middot; <a href="/contact">Contact</a></p></footer>
</body>
</html>
"""
    return page.encode("utf-8")


def to_docx(doc: dict) -> bytes:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = doc["title"]
    props.author = "; ".join(doc["authors"])
    props.subject = doc["abstract"][:200]
    props.keywords = ", ".join(doc["keywords"])
    props.created = doc["date"].replace(tzinfo=None)
    props.language = doc["lang"]
    document.add_heading(doc["title"], level=0)
    document.add_paragraph(", ".join(doc["authors"]))
    document.add_heading(doc["lede"], level=2)
    document.add_paragraph(doc["abstract"])
    for name, paragraphs in doc["sections"]:
        document.add_heading(name, level=1)
        for para in paragraphs:
            document.add_paragraph(para)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


RENDER = {"pdf": to_pdf, "html": to_html, "docx": to_docx}


def file_name(doc: dict) -> str:
    return f"{doc['kind']}/{doc['lang']}/doc-{doc['index']:05d}.{doc['kind']}"


def make_corpus(docs: int = 2400, out: Path | None = None, seed: int = 20240917,
                quiet: bool = False, long: bool = False) -> dict:
    """Write the corpus (if not already there) and return its description."""
    out = Path(out) if out else OUT / (f"corpus-long-{docs}" if long else f"corpus-{docs}")
    stamp = out / "corpus.json"
    wanted = {"docs": docs, "seed": seed, "version": GENERATOR_VERSION,
              "variant": "long" if long else "standard"}
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if all(info.get(k) == v for k, v in wanted.items()):
            return info
    files_dir = out / "files"
    if files_dir.exists():
        import shutil

        shutil.rmtree(files_dir)
    start = time.perf_counter()
    counts: dict[str, int] = {}
    total_bytes = 0
    words = 0
    pages: dict[str, list[float]] = {}
    for index in range(docs):
        doc = document(index, seed + (7919 if long else 0), long)
        data = RENDER[doc["kind"]](doc)
        doc_words = len(doc["abstract"].split()) + sum(
            len(p.split()) for _n, paras in doc["sections"] for p in paras)
        pages.setdefault(doc["kind"], []).append(
            doc.get("pages") or round(doc_words / WORDS_PER_PAGE, 1))
        path = files_dir / file_name(doc)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        counts[doc["kind"]] = counts.get(doc["kind"], 0) + 1
        counts[doc["lang"]] = counts.get(doc["lang"], 0) + 1
        total_bytes += len(data)
        words += doc_words
        if not quiet and (index + 1) % 500 == 0:
            print(f"  corpus: {index + 1}/{docs} documents", file=sys.stderr)
    info = {
        **wanted,
        "files": str(files_dir),
        "counts": counts,
        "bytes": total_bytes,
        "mean_words": round(words / max(docs, 1)),
        "pages": {k: {"min": min(v), "mean": round(sum(v) / len(v), 1), "max": max(v)}
                  for k, v in sorted(pages.items())},
        "seconds": round(time.perf_counter() - start, 1),
    }
    stamp.write_text(json.dumps(info, indent=2))
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=2400)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=20240917)
    parser.add_argument("--long", action="store_true", help="report-length documents")
    args = parser.parse_args()
    info = make_corpus(args.docs, args.out, args.seed, long=args.long)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
