"""The conference programme: sessions, the iCalendar feed (RFC 5545, written by hand: a few
lines need no dependency) and the book of abstracts (HTML, and PDF through fpdf2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ssehub.calls import permissions
from ssehub.calls.models import Call, Session, Submission
from ssehub.calls.services import WorkflowError
from ssehub.core.roles import require


@transaction.atomic
def save_session(call: Call, data: dict, paper_ids: list[int], *, actor=None,
                 session: Session | None = None) -> Session:
    """Create or change a session; only accepted papers of the call go in a programme."""
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs edit the "
                                                       "programme."))
    session = session or Session(call=call)
    for key, value in data.items():
        setattr(session, key, value)
    session.full_clean(exclude=["call"])
    papers = list(call.submissions.filter(pk__in=paper_ids))
    if any(not p.accepted for p in papers):
        raise WorkflowError(_("Only accepted papers can be put in the programme."))
    session.save()
    session.papers.set(papers)
    return session


@transaction.atomic
def delete_session(session: Session, *, actor=None) -> None:
    if actor is not None:
        require(permissions.is_manager(actor, session.call),
                _("Only the call's chairs edit the programme."))
    session.delete()


def public_sessions(call: Call) -> list[Session]:
    return list(call.sessions.prefetch_related("papers__authors", "chairs"))


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines of at most 75 octets, continued with CRLF + space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(call: Call, now: datetime) -> str:
    """One VEVENT per session, times in UTC; paper titles (never reviewers) in DESCRIPTION."""
    host = settings.SSEHUB_BASE_URL.split("//")[-1].split("/")[0] or "ssehub"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//SSE Hub//Calls//EN",
             "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{_escape(call.title)}"]
    for session in public_sessions(call):
        papers = "\n".join(f"- {p.title} ({', '.join(a.name for a in p.authors.all())})"
                           for p in session.papers.all())
        chairs = session.chair_names or ", ".join(
            c.get_full_name() or c.get_username() for c in session.chairs.all())
        description = (f"{_('Chairs')}: {chairs}\n" if chairs else "") + papers
        lines += [
            "BEGIN:VEVENT",
            f"UID:call-{call.pk}-session-{session.pk}@{host}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(session.starts_at)}",
            f"DTEND:{_stamp(session.ends_at)}",
            f"SUMMARY:{_escape(session.title)}",
            f"LOCATION:{_escape(', '.join(x for x in [session.room, call.venue] if x))}",
            f"DESCRIPTION:{_escape(description)}",
            f"URL:{settings.SSEHUB_BASE_URL}{call.get_absolute_url()}programme/",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def accepted_papers(call: Call) -> list[Submission]:
    """Accepted papers whose authors have been told: nothing is public before that."""
    return list(call.submissions.filter(decision__in=[Submission.Decision.ACCEPT,
                                                      Submission.Decision.REVISIONS],
                                        notified_at__isnull=False, withdrawn=False)
                .prefetch_related("authors"))


FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def book_pdf(call: Call) -> bytes:
    """The book of abstracts as a PDF (DejaVu when installed, for names in any script of
    Latin, Greek or Cyrillic; else fpdf2's core font, with unknown characters replaced)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(call.title)
    pdf.set_margins(20, 20, 20)
    if (FONT_DIR / "DejaVuSans.ttf").exists():
        pdf.add_font("dejavu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("dejavu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        font, clean = "dejavu", (lambda s: s)
    else:
        font = "helvetica"

        def clean(s: str) -> str:
            return s.encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    pdf.set_font(font, "B", 18)
    pdf.multi_cell(0, 9, clean(call.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 11)
    pdf.multi_cell(0, 6, clean(_("Book of abstracts")), new_x="LMARGIN", new_y="NEXT")
    for paper in accepted_papers(call):
        pdf.ln(6)
        pdf.set_font(font, "B", 13)
        pdf.multi_cell(0, 7, clean(paper.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, "", 10)
        authors = "; ".join(f"{a.name}" + (f" ({a.affiliation})" if a.affiliation else "")
                            for a in paper.authors.all())
        pdf.multi_cell(0, 5, clean(authors), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font(font, "", 10)
        pdf.multi_cell(0, 5, clean(paper.abstract), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
