"""Real HTTP servers on 127.0.0.1 for the harvest tests (and the benchmark).

:class:`OAIServer` is a small OAI-PMH 2.0 repository over generated records: ListRecords with
``from``/``until``, resumption tokens, deleted records, and faults injected at a given page (an
OAI error, malformed XML, a repeated token, 503s then recovery, a slow page). :class:`Site`
serves fixed responses by path, with ETag/Last-Modified and conditional requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<responseDate>2025-01-01T00:00:00Z</responseDate>"
)


@dataclass
class OAIRecord:
    identifier: str
    datestamp: str = "2024-01-01"
    deleted: bool = False
    titles: list[tuple[str, str]] = field(default_factory=list)  # (lang, text); lang may be ""
    creators: list[str] = field(default_factory=list)
    date: str = ""
    descriptions: list[tuple[str, str]] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    rights: list[str] = field(default_factory=list)
    metadata_xml: str | None = None  # raw <metadata> content instead of the fields above

    def xml(self) -> str:
        status = ' status="deleted"' if self.deleted else ""
        header = (f"<header{status}><identifier>{escape(self.identifier)}</identifier>"
                  f"<datestamp>{self.datestamp}</datestamp></header>")
        if self.deleted:
            return f"<record>{header}</record>"
        return f"<record>{header}<metadata>{self.metadata()}</metadata></record>"

    def metadata(self) -> str:
        if self.metadata_xml is not None:
            return self.metadata_xml
        parts = []

        def add(tag: str, value: str, lang: str = "") -> None:
            attr = f' xml:lang="{lang}"' if lang else ""
            parts.append(f"<dc:{tag}{attr}>{escape(value)}</dc:{tag}>")

        for lang, text in self.titles:
            add("title", text, lang)
        for name in self.creators:
            add("creator", name)
        if self.date:
            add("date", self.date)
        for lang, text in self.descriptions:
            add("description", text, lang)
        for value in self.subjects:
            add("subject", value)
        for value in self.types:
            add("type", value)
        for value in self.languages:
            add("language", value)
        for value in self.identifiers:
            add("identifier", value)
        for value in self.rights:
            add("rights", value)
        return (
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">' + "".join(parts) + "</oai_dc:dc>"
        )


def generated(n: int, *, prefix: str = "oai:test:", start: int = 0,
              datestamp: str = "2024-01-01") -> list[OAIRecord]:
    """``n`` plausible SSE records in English, French and Spanish."""
    topics = [
        ("en", "Cooperatives and decent work in {}", "How worker cooperatives in {} create "
         "decent jobs and share value among members."),
        ("fr", "L'économie sociale et solidaire à {}", "Les coopératives et mutuelles de {} "
         "face aux transitions écologiques et sociales."),
        ("es", "Economía social y solidaria en {}", "Las cooperativas de {} y el acceso al "
         "crédito para las mujeres emprendedoras."),
    ]
    places = ["Dakar", "Montreal", "Bogota", "Seoul", "Lyon", "Nairobi", "Quito", "Manila"]
    out = []
    for i in range(start, start + n):
        lang, title, abstract = topics[i % 3]
        place = f"{places[i % len(places)]} ({i})"
        out.append(OAIRecord(
            identifier=f"{prefix}{i}", datestamp=datestamp,
            titles=[(lang, title.format(place))], creators=[f"Author {i}", "Collective, SSE"],
            date=f"{2000 + i % 25}-0{1 + i % 9}", descriptions=[(lang, abstract.format(place))],
            subjects=["social economy", f"topic {i % 17}"], types=["report"],
            languages=[lang], identifiers=[f"https://repo.example.org/record/{i}"],
            rights=["https://creativecommons.org/licenses/by/4.0/"],
        ))
    return out


class OAIServer:
    """An OAI-PMH endpoint at ``/oai`` on 127.0.0.1 over ``records``.

    Faults are keyed by page number (0 = the first page): ``error[page] = code``,
    ``malformed[page] = bytes``, ``repeat_token = {page}``, ``unavailable[page] = n`` (answer
    503 with Retry-After n times, then the page), ``slow[page] = seconds``; ``latency`` is
    added to every page (a remote repository's answer time, for benchmarks). ``served`` counts
    the pages actually answered with records, by page number.
    """

    def __init__(self, records: list[OAIRecord], page_size: int = 10, latency: float = 0.0):
        self.records = records
        self.page_size = page_size
        self.latency = latency
        self.error: dict[int, str] = {}
        self.malformed: dict[int, bytes] = {}
        self.repeat_token: set[int] = set()
        self.unavailable: dict[int, int] = {}
        self.slow: dict[int, float] = {}
        self.requests: list[str] = []
        self.served: list[int] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                status, headers, body = server.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oai"

    def selected(self, since: str, until: str) -> list[OAIRecord]:
        return [r for r in self.records
                if (not since or r.datestamp >= since) and (not until or r.datestamp <= until)]

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        xml = {"Content-Type": "text/xml; charset=utf-8"}
        self.requests.append(path)
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query,
                                               keep_blank_values=True).items()}
        if query.get("verb") != "ListRecords":
            return 200, xml, self.oai_error("badVerb", "only ListRecords here")
        if "resumptionToken" in query:
            try:
                offset_text, since, until = query["resumptionToken"].split("|")
                offset = int(offset_text)
            except ValueError:
                return 200, xml, self.oai_error("badResumptionToken", "unknown token")
        else:
            if query.get("metadataPrefix") != "oai_dc":
                return 200, xml, self.oai_error("cannotDisseminateFormat", "oai_dc only")
            offset, since, until = 0, query.get("from", ""), query.get("until", "")
        page = offset // self.page_size
        with self.lock:
            if self.unavailable.get(page, 0) > 0:
                self.unavailable[page] -= 1
                return 503, {"Retry-After": "1", "Content-Type": "text/plain"}, b"busy"
        if page in self.slow or self.latency:
            time.sleep(self.slow.get(page, 0) + self.latency)
        if page in self.error:
            return 200, xml, self.oai_error(self.error[page], "injected error")
        if page in self.malformed:
            return 200, xml, self.malformed[page]
        chosen = self.selected(since, until)
        if not chosen:
            return 200, xml, self.oai_error("noRecordsMatch", "nothing")
        batch = chosen[offset:offset + self.page_size]
        end = offset + len(batch)
        if page in self.repeat_token and "resumptionToken" in query:
            token = query["resumptionToken"]
        else:
            token = f"{end}|{since}|{until}" if end < len(chosen) else ""
        token_xml = (f'<resumptionToken completeListSize="{len(chosen)}" '
                     f'cursor="{offset}">{token}</resumptionToken>')
        if offset == 0 and not token:
            token_xml = ""
        body = (OAI_HEAD + "<request verb=\"ListRecords\">x</request><ListRecords>"
                + "".join(r.xml() for r in batch) + token_xml + "</ListRecords></OAI-PMH>")
        self.served.append(page)
        return 200, xml, body.encode("utf-8")

    @staticmethod
    def oai_error(code: str, text: str) -> bytes:
        return (OAI_HEAD + f'<request>x</request><error code="{code}">{text}</error>'
                "</OAI-PMH>").encode()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Site:
    """Fixed responses by path; honours If-None-Match against the ETag it sends."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.handlers: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.hits: list[str] = []
        self.conditional_hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                site.hits.append(self.path)
                if self.path in site.handlers:
                    site.handlers[self.path](self)
                    return
                status, headers, body = site.routes.get(self.path, (404, {}, b"not found"))
                etag = headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    site.conditional_hits.append(self.path)
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
            status: int = 200, etag: str | None = None) -> str:
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {"Content-Type": content_type,
                   "Last-Modified": formatdate(usegmt=True)}
        if etag:
            headers["ETag"] = etag
        self.routes[path] = (status, headers, body)
        return self.url(path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
