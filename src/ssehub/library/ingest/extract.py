"""Text and metadata extraction, one function per document kind.

Each returns an :class:`Extracted`; each turns the libraries' many exceptions into an
:class:`IngestError` whose message a user can act on (corrupt, encrypted, too large...).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
from django.conf import settings

from ssehub.library.ingest import detect as kinds
from ssehub.library.ingest.errors import IngestError
from ssehub.library.ingest.normalise import normalise_line, normalise_text, strip_markup

logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("trafilatura").setLevel(logging.ERROR)


@dataclass
class Extracted:
    text: str = ""
    title: str = ""
    creators: list[str] = field(default_factory=list)
    date: str = ""
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    language: str = ""
    notes: list[str] = field(default_factory=list)


ENCRYPTED = "encrypted PDF: it needs a password, so its text cannot be read"
_DATE = re.compile(r"(\d{4})(?:-?(\d{2}))?(?:-?(\d{2}))?")


def _date(value) -> str:
    """A date-like value as YYYY[-MM[-DD]], or ""."""
    if value is None:
        return ""
    if hasattr(value, "year"):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    match = _DATE.search(str(value).removeprefix("D:"))
    if not match:
        return ""
    year, month, day = match.groups()
    if not 1000 <= int(year) <= 2100:
        return ""
    if month and 1 <= int(month) <= 12:
        if day and 1 <= int(day) <= 31:
            return f"{year}-{month}-{day}"
        return f"{year}-{month}"
    return year


_PEOPLE_SEPARATOR = re.compile(r";|\band\b|&|,(?=\s*[A-Z][a-z]+\s)")


def _split_people(value: str) -> list[str]:
    return [p.strip() for p in _PEOPLE_SEPARATOR.split(value or "") if p.strip()]


def _split_keywords(value) -> list[str]:
    """Keywords from a "a; b, c" string or a list of them (trafilatura 2 returns lists)."""
    if isinstance(value, list | tuple):
        return [k for part in value for k in _split_keywords(part)]
    return [k.strip() for k in re.split(r"[;,]", str(value or "")) if k.strip()]


def _first_heading(text: str) -> str:
    """A plausible title from the first lines of a document."""
    for line in text.split("\n")[:15]:
        line = normalise_line(line.lstrip("#").strip(" *_"))
        words = line.split()
        if 2 <= len(words) <= 30 and len(line) <= 250 and any(c.isalpha() for c in line):
            return line
    return ""


def _largest_text(page) -> str:
    """The text set in the largest font on a page (a report's title), or "" if the page has
    one font size only. Running headers and page numbers are small, so they are skipped, and a
    title that wraps over two lines comes back whole."""
    fragments: list[tuple[float, str]] = []

    def visit(text, cm, tm, _font, size):
        scale = max(abs(tm[0]), abs(tm[3]), 1e-9) * max(abs(cm[0]), abs(cm[3]), 1e-9)
        if text and text.strip():
            fragments.append((round(float(size or 0) * scale, 1), text))

    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # a title heuristic must never fail an extraction
        return ""
    sizes = {size for size, _text in fragments}
    if len(sizes) < 2:
        return ""
    chars: dict[float, int] = {}
    for size, text in fragments:
        chars[size] = chars.get(size, 0) + len(text)
    body = max(chars, key=chars.get)
    largest = max(sizes)
    if largest < body * 1.15:
        return ""
    parts, started = [], False
    for size, text in fragments:
        if size == largest:
            parts.append(text)
            started = True
        elif started:
            break
    title = normalise_line(" ".join(parts))
    return title if 2 <= len(title.split()) <= 40 and len(title) <= 300 else ""


def extract_pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise IngestError(ENCRYPTED)
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise IngestError(f"encrypted PDF that cannot be opened: {exc}") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except IngestError:
        raise
    except FileNotDecryptedError as exc:
        raise IngestError(ENCRYPTED) from exc
    except DependencyError as exc:  # AES needs the optional ``cryptography`` package
        raise IngestError(
            f"encrypted PDF that cannot be decrypted on this server ({exc})"
        ) from exc
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"corrupt PDF: {exc or type(exc).__name__}") from exc
    text = normalise_text("\n\n".join(pages))
    if not text:
        raise IngestError("PDF has no extractable text (a scan without OCR?)")
    title = normalise_line(str(info.get("/Title") or ""))
    placeholder = title.lower() in {"untitled", "microsoft word"} or title.endswith(
        (".doc", ".docx")
    )
    if not title or placeholder:
        title = (_largest_text(reader.pages[0]) if pages else "") or _first_heading(
            normalise_text(pages[0]) if pages else ""
        )
    out = Extracted(
        text=text,
        title=title,
        creators=_split_people(str(info.get("/Author") or "")),
        date=_date(info.get("/CreationDate")),
        keywords=_split_keywords(info.get("/Keywords")),
        abstract=normalise_line(str(info.get("/Subject") or "")),
    )
    return out


def _check_zip(data: bytes) -> None:
    limit = settings.SSEHUB_MAX_UNZIPPED_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise IngestError(f"corrupt DOCX: {exc}") from exc
    if total > limit:
        raise IngestError(
            f"refused: the DOCX would unpack to {total:,} bytes, over the limit of {limit:,} "
            "(a zip bomb?)"
        )


def extract_docx(data: bytes) -> Extracted:
    import docx

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise IngestError(f"corrupt DOCX: {exc}") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    text = normalise_text("\n".join(parts))
    props = document.core_properties
    title = normalise_line(props.title or "")
    if not title:
        headings = [p.text for p in document.paragraphs if p.style is not None
                    and (p.style.name or "").lower().startswith(("title", "heading"))]
        title = normalise_line(headings[0]) if headings else _first_heading(text)
    return Extracted(
        text=text,
        title=title,
        creators=_split_people(props.author or ""),
        date=_date(props.created),
        keywords=_split_keywords(props.keywords),
        abstract=normalise_line(props.subject or props.comments or ""),
        language=(props.language or "").split("-")[0].lower(),
    )


def extract_html(data: bytes) -> Extracted:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            data, with_metadata=True, include_comments=False, include_tables=True,
            favor_recall=True,
        )
    except Exception as exc:  # trafilatura/lxml raise a variety of parse errors
        raise IngestError(f"unreadable HTML: {exc}") from exc
    values = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    text = normalise_text(values.get("text") or "")
    if not text:
        text = normalise_text(trafilatura.html2txt(data) or "")
    if not text:
        raise IngestError("HTML page has no readable text")
    return Extracted(
        text=text,
        title=normalise_line(values.get("title") or "") or _first_heading(text),
        creators=_split_people(values.get("author") or ""),
        date=_date(values.get("date")),
        abstract=normalise_line(values.get("description") or ""),
        keywords=_split_keywords(values.get("tags") or values.get("categories")),
        language=(values.get("language") or "").split("-")[0].lower(),
    )


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 first, else the encoding charset-normalizer finds."""
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), "utf-16"
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(
            "unsupported content: not text in UTF-8 or any other encoding (binary data?)"
        )
    return str(best), best.encoding


def extract_text(data: bytes, markdown: bool = False) -> Extracted:
    raw, encoding = decode_text(data)
    notes = [f"not UTF-8: decoded as {encoding}"] if encoding else []
    text = normalise_text(raw)
    if not text:
        raise IngestError("the file holds only white space")
    printable = sum(ch.isprintable() or ch.isspace() for ch in text[:5000])
    if printable < 0.9 * min(len(text), 5000):
        raise IngestError("unsupported content: binary data that is not text")
    title = _first_heading(text)
    if markdown:
        text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)
        text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return Extracted(text=text, title=title, notes=notes)


def extract(kind: str, data: bytes) -> Extracted:
    if kind == kinds.PDF:
        out = extract_pdf(data)
    elif kind == kinds.DOCX:
        out = extract_docx(data)
    elif kind == kinds.HTML:
        out = extract_html(data)
    else:
        out = extract_text(data, markdown=kind == kinds.MARKDOWN)
    # Metadata from a file is untrusted: no markup or script code in titles, names, keywords.
    out.title = strip_markup(out.title)
    out.abstract = strip_markup(out.abstract)
    out.creators = [c for c in (strip_markup(c) for c in out.creators) if c]
    out.keywords = [k for k in (strip_markup(k) for k in out.keywords) if k]
    return out
