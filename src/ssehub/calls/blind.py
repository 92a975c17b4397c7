"""The double-blind side of files: check an upload is a real PDF, make the reviewers' copy
without the metadata that names its authors, and look for author names on the first page.

OJS leaves anonymising to editors by hand; here every upload gets its blind copy at once:
the document information dictionary (/Author, /Creator, /Producer, /Title...) and XMP
packets (document and page level) are dropped, and the copy is served under a neutral file
name. The visible text is not rewritten: names printed on the first page are reported to the
chairs as a warning instead.
"""

from __future__ import annotations

import io
import logging
import re

from django.utils.translation import gettext as _

from ssehub.calls.names import normalise_name

logging.getLogger("pypdf").setLevel(logging.ERROR)


class FileRejected(ValueError):
    """The upload is not one the call accepts; the message says why, in the user's words."""


def check_pdf(data: bytes, max_bytes: int) -> list[str]:
    """Validate an upload by its content (not its name); return the text of each page."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if len(data) > max_bytes:
        raise FileRejected(_("The file is %(size)s MB; the largest accepted is %(max)s MB.") % {
            "size": f"{len(data) / 1e6:.1f}", "max": f"{max_bytes / 1e6:.1f}"})
    if not data.lstrip()[:5] == b"%PDF-":
        raise FileRejected(_("The file is not a PDF (its content says otherwise, whatever its "
                             "name)."))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise FileRejected(_("The PDF is encrypted: upload it without a password."))
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        raise FileRejected(_("The PDF cannot be read (%(error)s).") % {
            "error": type(exc).__name__}) from exc
    if not pages:
        raise FileRejected(_("The PDF has no pages."))
    return pages


def blind_copy(data: bytes) -> bytes:
    """The same PDF without document or page metadata (author, creator, title, XMP)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    # A new document made of the pages alone: the catalogue's /Metadata (XMP), the /Info
    # dictionary and any object only they referenced are left behind.
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.metadata = None
    for page in writer.pages:
        for key in ("/Metadata", "/PieceInfo"):
            if NameObject(key) in page:
                del page[NameObject(key)]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def metadata_of(data: bytes) -> dict[str, str]:
    """What a PDF says about itself (for tests and the chairs' page)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    info = {k: str(v) for k, v in (reader.metadata or {}).items()}
    if "/Metadata" in reader.trailer["/Root"]:
        info["/Metadata"] = "XMP"
    return info


def names_on_first_page(text: str, names: list[str]) -> list[str]:
    """Author names (full name, or a family name of four letters or more) found in the text of
    the first page, compared without case or accents."""
    first = normalise_name(text or "")
    first = " " + re.sub(r"[^\w]+", " ", first) + " "
    found = []
    for name in names:
        norm = normalise_name(name)
        family = norm.split()[-1] if norm.split() else ""
        if f" {norm} " in first or (len(family) >= 4 and f" {family} " in first):
            found.append(name)
    return found
