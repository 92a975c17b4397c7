"""Detect a file's type from its bytes, not from its name (names lie)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from ssehub.library.ingest.errors import IngestError

PDF, DOCX, HTML, TEXT, MARKDOWN = "pdf", "docx", "html", "text", "markdown"
MIME = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    HTML: "text/html",
    TEXT: "text/plain",
    MARKDOWN: "text/markdown",
}
EXTENSIONS = {
    ".pdf": PDF, ".docx": DOCX, ".html": HTML, ".htm": HTML, ".txt": TEXT, ".text": TEXT,
    ".md": MARKDOWN, ".markdown": MARKDOWN,
}
SIGNATURES = [
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "a legacy Microsoft Office file (.doc/.xls): save it as DOCX or PDF",
    ),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable program"),
    (b"MZ", "a Windows executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
]


@dataclass
class Detected:
    kind: str
    mime_type: str
    note: str = ""


def _looks_like_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html")) or any(
        tag in text for tag in (b"<html", b"<head>", b"<body")
    )


def detect(data: bytes, filename: str = "") -> Detected:
    """Return the kind of document ``data`` holds, or raise IngestError saying what it is."""
    if not data:
        raise IngestError("empty file (0 bytes)")
    head = data[:2048]
    kind = None
    if b"%PDF-" in head[:1024]:
        kind = PDF
    elif data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as exc:
            raise IngestError(f"corrupt zip/DOCX file: {exc}") from exc
        if "word/document.xml" not in names:
            raise IngestError("unsupported content: a zip archive that is not a DOCX document")
        kind = DOCX
    else:
        for signature, what in SIGNATURES:
            if data.startswith(signature):
                raise IngestError(f"unsupported content: {what}")
        if _looks_like_html(head):
            kind = HTML
        elif b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise IngestError("unsupported content: binary data that is not a known document type")
        else:
            suffix = PurePath(filename).suffix.lower()
            kind = MARKDOWN if suffix in (".md", ".markdown") else TEXT
    note = ""
    suffix = PurePath(filename).suffix.lower()
    claimed = EXTENSIONS.get(suffix)
    plain = (TEXT, MARKDOWN)
    if claimed and claimed != kind and not (claimed in plain and kind in plain):
        note = f"the name says {suffix} but the content is {kind.upper()}; read as {kind.upper()}"
    return Detected(kind, MIME[kind], note)
