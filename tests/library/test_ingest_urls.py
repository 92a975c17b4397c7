"""URLs: fetched from real HTTP servers on 127.0.0.1 (allow-listed), and refused before any
connection when they point inside the network and are not allow-listed."""

from __future__ import annotations

import gzip
import time

import pytest

from ssehub.library.ingest import inputs
from ssehub.library.ingest.pipeline import Options, ingest, ingest_one
from ssehub.library.models import Item

from . import factories as f

pytestmark = pytest.mark.django_db

NOTHING = {"items": 0, "files": 0, "bands": 0, "versions": 0, "blobs": 0}


@pytest.fixture
def loopback_allowed(settings):
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
    settings.SSEHUB_FETCH_TIMEOUT = 2


def fetch_one(url: str):
    return ingest_one(inputs.from_url(url), Options())


def test_a_pdf_from_an_allow_listed_loopback_server(site, loopback_allowed, stored):
    server = site()
    url = server.add("/reports/wp7.pdf?download=1", f.report_pdf(f.REPORT_A), "application/pdf")
    [result] = ingest(inputs.expand([url]))
    assert result.status == "created", result.reason
    assert result.input == url
    item = Item.objects.get(pk=result.id)
    assert item.source_url == url
    assert "Social and solidarity economy enterprises" in item.display_title
    assert item.files.get().filename == "wp7.pdf"
    assert server.hits == ["/reports/wp7.pdf?download=1"]
    assert stored()["blobs"] == 1
    again = fetch_one(url)
    assert again.status == "unchanged" and again.id == result.id


def test_an_html_page_through_redirects(site, loopback_allowed):
    server = site()
    server.add("/article", f.html_page(f.REPORT_B), "text/html; charset=utf-8")
    server.redirect("/old", "/moved", 301)
    server.redirect("/moved", server.url("/article"), 302)
    result = fetch_one(server.url("/old"))
    assert result.status == "created", result.reason
    assert Item.objects.get(pk=result.id).display_title == f.REPORT_B[0]
    assert server.hits == ["/old", "/moved", "/article"]


def test_a_url_row_in_a_manifest(site, loopback_allowed, tmp_path):
    server = site()
    url = server.add("/a.docx", f.docx(f.REPORT_B), "application/octet-stream")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(f'{{"url": "{url}", "title_fr": "Revue des politiques"}}\n')
    [result] = ingest(inputs.expand([str(manifest)]))
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.title["fr"] == "Revue des politiques" and item.source_url == url


def test_a_server_that_never_answers_times_out(silent_server, settings, stored, site):
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
    settings.SSEHUB_FETCH_TIMEOUT = 0.5
    good = site()
    good_url = good.add("/ok.html", f.html_page(f.REPORT_A), "text/html")
    started = time.monotonic()
    results = list(ingest([inputs.from_url(silent_server.url()), inputs.from_url(good_url)]))
    elapsed = time.monotonic() - started
    assert silent_server.accepted.is_set()  # it really connected, then waited
    assert results[0].status == "failed"
    assert results[0].reason == f"timed out after 0.5 s fetching {silent_server.url()}"
    assert results[1].status == "created", results[1].reason
    assert elapsed < 5
    assert stored()["items"] == 1


def test_a_server_dripping_bytes_hits_the_download_deadline(site, settings):
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
    settings.SSEHUB_FETCH_TIMEOUT = 0.15  # each byte arrives in time; the whole never does

    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"a")
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    url = site().add_handler("/slow.txt", drip)
    started = time.monotonic()
    result = fetch_one(url)
    assert result.status == "failed"
    assert "took longer than 1.5 s" in result.reason
    assert time.monotonic() - started < 4


def test_http_errors_are_reported(site, loopback_allowed):
    server = site()
    result = fetch_one(server.url("/nothing-here.pdf"))
    assert result.status == "failed"
    assert result.reason == f"HTTP 404 from {server.url('/nothing-here.pdf')}"


def test_redirect_loop(site, loopback_allowed):
    server = site()
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    result = fetch_one(server.url("/a"))
    assert result.status == "failed" and "more than 5 redirects" in result.reason


def test_too_large_by_content_length_is_refused_before_the_body(site, loopback_allowed, settings):
    body = f.report_pdf(f.REPORT_A)
    settings.SSEHUB_MAX_FILE_BYTES = len(body) - 1
    server = site()
    url = server.add("/big.pdf", body, "application/pdf")
    result = fetch_one(url)
    assert result.status == "failed"
    assert result.reason == f"{url} is {len(body)} bytes, over the limit of {len(body) - 1}"


def test_too_large_without_content_length(site, loopback_allowed, settings, stored):
    settings.SSEHUB_MAX_FILE_BYTES = 10_000

    def unsized(handler):
        handler.send_response(200)
        handler.end_headers()  # HTTP/1.0, no length: the body ends when the server closes
        handler.wfile.write(b"x" * 50_000)

    result = fetch_one(site().add_handler("/stream.txt", unsized))
    assert result.status == "failed" and "over the size limit of 10000" in result.reason
    assert stored() == NOTHING


def test_gzip_bomb_is_cut_at_the_size_limit(site, loopback_allowed, settings):
    settings.SSEHUB_MAX_FILE_BYTES = 1_000_000
    body = gzip.compress(b"\0" * 100_000_000, compresslevel=9)
    assert len(body) < 200_000
    url = site().add("/bomb.txt", body, "text/plain", headers={"Content-Encoding": "gzip"})
    started = time.monotonic()
    result = fetch_one(url)
    assert result.status == "failed" and "over the size limit" in result.reason
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/report.pdf",
        "http://localhost:{port}/report.pdf",
        "http://[::1]:{port}/report.pdf",
        "http://10.0.0.1/report.pdf",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/admin",
        "http://100.64.0.1/",
        "http://0.0.0.0:{port}/",
        "http://2130706433:{port}/",  # 127.0.0.1 as one number
        "http://[::ffff:127.0.0.1]:{port}/",
        "file:///etc/passwd",
        "ftp://127.0.0.1/report.pdf",
    ],
)
def test_internal_urls_are_refused_before_any_connection(url, site, no_connections, stored,
                                                          settings):
    settings.SSEHUB_URL_ALLOWLIST = []
    server = site()
    server.add("/report.pdf", f.pdf(f.REPORT_A), "application/pdf")
    url = url.format(port=server.port)
    result = ingest_one(inputs.Input(label=url, filename="report.pdf",
                                     reader=lambda: inputs.read_url(url), source_url=url),
                        Options())
    assert result.status == "failed"
    assert result.reason.startswith(("refused:", "only http and https")), result.reason
    assert no_connections == []
    assert server.hits == []
    assert stored() == NOTHING


def test_refused_message_names_the_address_and_the_setting(settings):
    settings.SSEHUB_URL_ALLOWLIST = []
    result = fetch_one("http://169.254.169.254/latest/meta-data/iam/")
    assert result.reason == (
        "refused: 169.254.169.254 resolves to the non-public address 169.254.169.254 "
        "(allow it with SSEHUB_URL_ALLOWLIST if it is meant to be reached)"
    )


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/internal.pdf",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x",
        "http://[fd00::1]/x",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_a_forbidden_address_is_refused(target, site, loopback_allowed,
                                                      no_connections, stored):
    server = site()
    start = server.redirect("/go", target)
    result = fetch_one(start)
    assert result.status == "failed"
    assert result.reason.startswith(("refused:", "only http and https")), result.reason
    assert server.hits == ["/go"]
    # The only connection made was to the allow-listed server.
    assert {address for address in no_connections} == {("127.0.0.1", server.port)}
    assert stored() == NOTHING


def test_allow_listing_one_address_does_not_open_the_others(site, settings, no_connections):
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
    result = fetch_one("http://127.0.0.2:9/x")  # loopback, but not the allow-listed address
    assert result.status == "failed" and result.reason.startswith("refused:")
    assert no_connections == []
