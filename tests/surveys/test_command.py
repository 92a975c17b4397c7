"""``ssehub survey import|list``: what an administrator sees on the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ssehub.surveys.models import FormVersion, Survey

from .helpers import shared_forms, simple, xlsx


def run(*args: str) -> str:
    out = StringIO()
    call_command("survey", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_import_then_same_file_then_changed_file(tmp_path):
    form = tmp_path / "members.xlsx"
    form.write_bytes(xlsx(simple()))
    out = run("import", str(form))
    assert "as survey 'members', version 1" in out and "3 questions" in out

    out = run("import", str(form))
    assert "Unchanged" in out and "version 1" in out
    assert FormVersion.objects.count() == 1

    form.write_bytes(xlsx(simple(rows=[["text", "org", "Organisation"]])))
    out = run("import", str(form), "--name", "members")
    assert "version 2" in out
    assert Survey.objects.get().versions.count() == 2

    listing = run("list")
    assert "members  v2" in listing


@pytest.mark.django_db
def test_import_prints_warnings_with_rows(tmp_path):
    form = tmp_path / "w.xlsx"
    form.write_bytes(xlsx(simple(rows=[["barcode", "code", "Code"]])))
    out = run("import", str(form), "--name", "codes")
    assert "warning: survey sheet, row 2, column A (type)" in out


@pytest.mark.django_db
def test_invalid_form_fails_with_every_error(tmp_path):
    form = tmp_path / "bad.xlsx"
    form.write_bytes(xlsx(simple(rows=[["select_one nope", "x", "X"],
                                       ["text", "y", "Y", "${x} = = 1"]])))
    out = StringIO()
    with pytest.raises(CommandError, match="errors"):
        call_command("survey", "import", str(form), stdout=out)
    text = out.getvalue()
    assert "2 error(s)" in text
    assert "row 2, column A (type)" in text and "row 3, column D (relevant)" in text
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_unknown_question_type_form_is_rejected():
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("survey", "import", str(shared_forms() / "unknown_question_type.xls"),
                     stdout=out)
    assert "row 52, column A (type): 'unknown' is not a question type" in out.getvalue()


@pytest.mark.django_db
def test_missing_file_and_empty_list(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("import", str(tmp_path / "nope.xlsx"))
    assert "No surveys yet" in run("list")


@pytest.mark.django_db
def test_show_prints_the_question_tree_and_warnings(tmp_path):
    form = tmp_path / "members.xlsx"
    form.write_bytes(xlsx(simple(rows=[["text", "org", "Organisation"],
                                       ["barcode", "code", "Code"]])))
    run("import", str(form))
    out = run("show", "members")
    assert "  org  [text] row 2" in out
    assert "  code  [barcode] row 3 not supported" in out
    assert "warning: survey sheet, row 3" in out
    assert '"form_id"' in run("show", "members", "--json")
    with pytest.raises(CommandError, match="no survey"):
        run("show", "nobody")
    with pytest.raises(CommandError, match="no such version"):
        run("show", "members", "--version", "9")
