"""Parsing XML from other servers without trusting it.

defusedxml refuses entity declarations (billion laughs, quadratic blow-up) and external
entities or DTDs (XXE), so a hostile OAI-PMH server or sitemap cannot read local files, reach
the internal network or exhaust memory. Sickle's own parser runs lxml with ``recover=True``,
which silently drops what it cannot parse: a damaged page would lose records without a word,
so harvest pages are parsed here, strictly, and a broken page stops the run at its checkpoint.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 (types only; parsing goes through defusedxml)

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


class XMLError(ValueError):
    """XML that was refused or could not be parsed; the message says which and why."""


def parse(data: bytes) -> tuple[ET.Element, str]:
    """The root element and a note (empty, or how a mislabelled encoding was repaired).

    A page that says (or defaults to) UTF-8 but is not UTF-8 is a common server bug (Latin-1
    databases behind UTF-8 templates): it is decoded as what it most likely is, with a note,
    rather than refused. Anything else malformed is refused.
    """
    try:
        return fromstring(data), ""
    except DefusedXmlException as exc:
        raise XMLError(f"refused XML: {type(exc).__name__} ({exc})") from exc
    except ET.ParseError as exc:
        declared = _DECLARED.match(data)
        encoding = declared.group(1).decode().lower() if declared else "utf-8"
        if encoding.replace("-", "") != "utf8" or _is_utf8(data):
            raise XMLError(f"malformed XML: {exc}") from exc
        first = exc
    # Windows-1252 rather than a statistical guess: on the short texts of a metadata page a
    # detector confuses it with its Central European neighbours (à read as ŕ), and a
    # mislabelled page is in practice almost always a Latin-1/Windows-1252 database.
    try:
        text, used = data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        text, used = data.decode("latin-1"), "latin-1"
    body = _DECLARATION.sub(b"", text.encode("utf-8"), count=1)
    try:
        return fromstring(body), f"not UTF-8 as declared: decoded as {used}"
    except DefusedXmlException as exc:
        raise XMLError(f"refused XML: {type(exc).__name__} ({exc})") from exc
    except ET.ParseError:
        raise XMLError(f"malformed XML: {first}") from first


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def text(element: ET.Element | None) -> str:
    """All the text inside an element, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def local(tag: str) -> str:
    """The tag name without its namespace."""
    return tag.rsplit("}", 1)[-1]
