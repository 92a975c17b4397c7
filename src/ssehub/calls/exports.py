"""Submissions, reviews and scores as CSV or XLSX, for the committee.

Author names and e-mails are columns only for the call's managers; committee members get the
same table without them (the blind holds in exports too), and no one gets a paper they are
conflicted with.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from ssehub.calls import permissions
from ssehub.calls.conflicts import conflicted_ids
from ssehub.calls.models import Call
from ssehub.calls.reviewing import weighted_score
from ssehub.core.roles import require


def _safe(value) -> object:
    """Cells that a spreadsheet would run as a formula are quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows(call: Call, user, what: str) -> list[list]:
    require(permissions.is_committee(user, call), _("Only the committee exports."))
    manager = permissions.is_manager(user, call)
    hidden = conflicted_ids(user, call)
    subs = [s for s in call.submissions.prefetch_related("authors", "reviews__reviewer")
            if s.pk not in hidden]
    if what == "submissions":
        head = ["id", "title", "language", "keywords", "sdgs", "decision", "reviews", "mean"]
        if manager:
            head[2:2] = ["authors", "emails", "affiliations"]
        out = [head]
        for s in subs:
            done = [r for r in s.reviews.all() if r.is_submitted]
            scores = [x for x in (weighted_score(call, r.scores) for r in done) if x is not None]
            row = [s.pk, s.title, s.language, "; ".join(s.keywords),
                   " ".join(map(str, s.sdgs)), s.decision, len(done),
                   round(sum(scores) / len(scores), 3) if scores else ""]
            if manager:
                authors = list(s.authors.all())
                row[2:2] = ["; ".join(a.name for a in authors),
                            "; ".join(a.email for a in authors),
                            "; ".join(a.affiliation for a in authors)]
            out.append(row)
        return out
    if what == "reviews":
        criteria = [c["key"] for c in call.criteria]
        texts = [f["key"] for f in call.text_fields]
        out = [["submission", "reviewer", "submitted", *criteria, "weighted", *texts]]
        for s in subs:
            for n, r in enumerate(s.reviews.all(), start=1):
                who = r.reviewer.get_username() if manager or permissions.is_committee(
                    user, call) else f"R{n}"
                out.append([s.pk, who, r.submitted_at.isoformat() if r.submitted_at else "",
                            *[r.scores.get(k, "") for k in criteria],
                            weighted_score(call, r.scores) or "",
                            *[r.texts.get(k, "") for k in texts]])
        return out
    raise ValueError(what)


def as_csv(table: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in table:
        writer.writerow([_safe(v) for v in row])
    return buffer.getvalue()


def as_xlsx(table: list[list], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in table:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
