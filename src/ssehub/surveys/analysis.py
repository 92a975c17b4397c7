"""Per-question analysis of the complete responses: frequencies, numbers, terms, cross-tabs.

Counts are queries over the typed ``Answer`` rows (see ``models``), not over JSON. Only
complete responses count (a partial one may still change). Percentages of a choice question
are of those who answered it (a multiple choice can add up to more than 100%). Cross-tabs put
a choice question against another top-level single choice, or against the role of the
responding organisation (Task Force member, observer, other).

Individual answers (open texts, organisation names) are returned only when asked for
(``with_texts``): the editor's analysis page shows them; a published report only for the
questions the editor marked public.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ssehub.surveys import charts
from ssehub.surveys.definition import SELECT_TYPES, Element, FormDefinition
from ssehub.surveys.languages import pick
from ssehub.surveys.models import Answer, Code, Response, Survey

ROLE = "_role"
NUMERIC = {"integer", "decimal", "range", "calculate"}
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
STOPWORDS = frozenset("""
the and for with that this are was were from have has had not but our their they them its
into also more most such than then there these those which who whom what when where will
would can could should may might been being about over under other all any each some your
les des une pour par sur dans avec est sont qui que aux ces cette ses leur leurs nous vous
plus pas ont été être comme mais ainsi entre
los las una unos unas para por con del que son como pero sus más sobre entre este esta
estos estas han ser fue
""".split())  # noqa: SIM905 - a word list reads best as text


@dataclass
class Crosstab:
    by_label: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[tuple[str, list[tuple[int, float]]]]  # (label, [(count, column percent)])
    totals: list[int]
    hidden: int = 0  # columns left out of a published report (too few responses)


@dataclass
class Summary:
    question: Element
    label: str
    kind: str  # choices, numbers, text, geo, other
    answered: int = 0
    items: list[tuple[str, int, float]] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    terms: list[tuple[str, int]] = field(default_factory=list)
    codes: list[tuple[str, int]] = field(default_factory=list)
    texts: list[tuple[int, str]] = field(default_factory=list)  # (answer id, text)
    points: int = 0
    chart: SafeString | str = ""
    crosstab: Crosstab | None = None
    suppressed: int = 0  # the minimum group size, when too few answered to publish this


def complete_answers(survey: Survey, name: str):
    return Answer.objects.filter(response__survey=survey, question=name,
                                 response__status=Response.Status.COMPLETE)


def analysable(form: FormDefinition) -> list[Element]:
    return [q for q in form.questions() if q.supported
            and q.type not in {"hidden", "start", "end", "today", "acknowledge"}]


def crosstab_options(form: FormDefinition, language: str) -> list[tuple[str, str]]:
    """(name, label): the organisation's role, then every top-level single choice."""
    options = [(ROLE, _("Role of the organisation (member, observer, other)"))]
    repeated = _repeated_names(form)
    for q in form.questions():
        if q.type == "select_one" and q.name not in repeated:
            options.append((q.name, pick(q.label, language, form) or q.name))
    return options


def _repeated_names(form: FormDefinition) -> set[str]:
    names: set[str] = set()
    for e in form.walk():
        if e.type == "repeat":
            names.update(child.name for child in e.walk() if child is not e)
    return names


def summarise(survey: Survey, form: FormDefinition, language: str, *,
              questions: list[str] | None = None, crosstab: str = "",
              with_texts: bool | set[str] = False, min_group: int = 0) -> list[Summary]:
    """A ``Summary`` per question (all, or those named in ``questions``, in form order).

    ``min_group`` (published reports): a question answered by fewer responses, or a
    cross-tab column with fewer, is left out, unless the question's answers are public.
    """
    wanted = set(questions) if questions is not None else None
    out = []
    by = _categories(survey, form, crosstab, language) if crosstab else None
    for q in analysable(form):
        if wanted is not None and q.name not in wanted:
            continue
        texts = with_texts if isinstance(with_texts, bool) else q.name in with_texts
        summary = summarise_question(survey, form, q, language, by=by, with_texts=texts)
        out.append(summary if texts or not min_group else _protect(summary, min_group))
    return out


def _protect(summary: Summary, min_group: int) -> Summary:
    """What may be published of ``summary`` without pointing at one respondent."""
    if summary.answered < min_group:
        return Summary(summary.question, summary.label, summary.kind, summary.answered,
                       suppressed=min_group)
    table = summary.crosstab
    if table is not None:
        # An empty column tells nothing about anyone: only small, non-empty groups go.
        keep = [i for i, total in enumerate(table.totals) if total == 0 or total >= min_group]
        summary.crosstab = Crosstab(
            table.by_label, [table.columns[i] for i in keep],
            [(label, [cells[i] for i in keep]) for label, cells in table.rows],
            [table.totals[i] for i in keep], hidden=len(table.totals) - len(keep))
    return summary


def summarise_question(survey: Survey, form: FormDefinition, q: Element, language: str, *,
                       by: tuple[str, list[tuple[str, str]], dict[int, str]] | None = None,
                       with_texts: bool = False) -> Summary:
    label = pick(q.label, language, form) or q.name
    answers = complete_answers(survey, q.name)
    answered = answers.values_list("response_id", "instance").distinct().count()
    if q.type in SELECT_TYPES:
        summary = Summary(q, label, "choices", answered)
        counts = dict(answers.values_list("choice").annotate(n=Count("id")).values_list(
            "choice", "n"))
        labels = {c.name: pick(c.label, language, form) or c.name
                  for c in form.choices.get(q.list_name, [])}
        names = list(labels) + sorted(set(counts) - set(labels))
        summary.items = [(labels.get(name, name), counts.get(name, 0),
                          100.0 * counts.get(name, 0) / answered if answered else 0.0)
                         for name in names]
        summary.chart = charts.bars(label, summary.items)
        if by is not None:
            summary.crosstab = _crosstab(answers, names, labels, by)
        return summary
    if q.type in NUMERIC:
        numbers = [n for n in answers.exclude(number=None).values_list("number", flat=True)
                   .iterator(chunk_size=5000)]
        summary = Summary(q, label, "numbers", answered)
        if numbers:
            summary.stats = {"n": len(numbers), "min": min(numbers), "max": max(numbers),
                             "mean": statistics.fmean(numbers),
                             "median": statistics.median(numbers)}
            summary.chart = charts.histogram(label, bins(numbers))
        return summary
    if q.type == "geopoint":
        points = list(answers.exclude(latitude=None).values_list("latitude", "longitude")[:5000])
        summary = Summary(q, label, "geo", answered, points=len(points))
        summary.chart = charts.scatter_map(label, points)
        return summary
    if q.type == "text":
        summary = Summary(q, label, "text", answered)
        counter: Counter[str] = Counter()
        for text in answers.values_list("text", flat=True).iterator(chunk_size=5000):
            counter.update(w for w in (m.lower() for m in _WORD.findall(text))
                           if w not in STOPWORDS)
        summary.terms = counter.most_common(15)
        summary.codes = list(Code.objects.filter(survey=survey, question=q.name)
                             .annotate(n=Count("answers")).values_list("label", "n"))
        if with_texts:
            summary.texts = list(answers.values_list("id", "text")[:500])
        return summary
    summary = Summary(q, label, "other", answered)
    if with_texts:
        summary.texts = list(answers.values_list("id", "text")[:500])
    return summary


def bins(numbers: list[float], count: int = 10) -> list[tuple[float, float, int]]:
    """Equal-width bins (integers get integer-wide bins when the range is small)."""
    low, high = min(numbers), max(numbers)
    if low == high:
        return [(low, high, len(numbers))]
    if all(float(n).is_integer() for n in numbers[:1000]) and high - low < count:
        count = int(high - low) + 1
        width = 1.0
    else:
        width = (high - low) / count
    out = [0] * count
    for n in numbers:
        out[min(count - 1, int((n - low) / width))] += 1
    return [(low + i * width, low + (i + 1) * width, c) for i, c in enumerate(out)]


def _categories(survey: Survey, form: FormDefinition, by: str, language: str
                ) -> tuple[str, list[tuple[str, str]], dict[int, str]] | None:
    """(label, columns, response id -> column key) for a cross-tab."""
    if by == ROLE:
        from ssehub.core.models import Organisation

        columns = [(value, str(label)) for value, label in Organisation.Role.choices]
        columns.append(("", _("no organisation")))
        mapping = {pk: role or "" for pk, role in Response.objects.filter(
            survey=survey, status=Response.Status.COMPLETE).values_list(
            "pk", "organisation__role")}
        return _("Role of the organisation"), columns, mapping
    q = form.element(by)
    if q is None or q.type != "select_one" or by in _repeated_names(form):
        return None
    columns = [(c.name, pick(c.label, language, form) or c.name)
               for c in form.choices.get(q.list_name, [])]
    mapping = dict(complete_answers(survey, by).filter(repeat="").values_list("response_id",
                                                                               "choice"))
    return pick(q.label, language, form) or q.name, columns, mapping


def _crosstab(answers, names: list[str], labels: dict[str, str],
              by: tuple[str, list[tuple[str, str]], dict[int, str]]) -> Crosstab:
    by_label, columns, mapping = by
    keys = [key for key, _label in columns]
    cells: dict[tuple[str, str], int] = defaultdict(int)
    answering: dict[str, set[Any]] = defaultdict(set)
    for response_id, instance, choice in answers.values_list("response_id", "instance",
                                                             "choice").iterator(chunk_size=5000):
        column = mapping.get(response_id)
        if column is None:
            continue
        cells[(choice, column)] += 1
        answering[column].add((response_id, instance))
    totals = [len(answering[key]) for key in keys]
    rows = []
    for name in names:
        row = []
        for key, total in zip(keys, totals, strict=True):
            count = cells.get((name, key), 0)
            row.append((count, 100.0 * count / total if total else 0.0))
        rows.append((labels.get(name, name), row))
    return Crosstab(by_label, columns, rows, totals)
