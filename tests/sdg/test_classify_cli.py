"""``ssehub sdg classify`` and ``ssehub sdg export-labels``."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

WATER = ("Access to safe drinking water and sanitation remains a challenge in rural areas, "
         "where community water cooperatives build wells and run the pipes.")


def test_classify_a_file(tmp_path):
    path = tmp_path / "water.txt"
    path.write_text(WATER, encoding="utf-8")
    out = StringIO()
    call_command("sdg", "classify", str(path), stdout=out)
    data = json.loads(out.getvalue())
    assert data["id"] is None and data["goals"][0]["goal"] == 6
    assert {"goal", "score", "status", "targets", "evidence"} <= set(data["goals"][0])


def test_classify_jsonl_reports_bad_lines_and_goes_on(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "a", "text": WATER}),
        "{broken",
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "text": "Renewable energy cooperatives install solar panels "
                                       "and increase the share of renewable energy."}),
    ]), encoding="utf-8")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="2 malformed"):
        call_command("sdg", "classify", str(path), "--jsonl", "--threshold", "0.3",
                     stdout=out, stderr=err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["id"] for line in lines] == ["a", "c"]
    assert lines[0]["goals"][0]["goal"] == 6 and lines[1]["goals"][0]["goal"] == 7
    assert all(g["score"] >= 0.3 for line in lines for g in line["goals"])
    assert "line 2:" in err.getvalue() and "line 3:" in err.getvalue()


def test_classify_reads_standard_input(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ssehub.cli", "sdg", "classify", "--reader-language", "fr"],
        input=WATER, capture_output=True, text=True,
        env={"SSEHUB_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    goal = json.loads(result.stdout)["goals"][0]
    assert goal["goal"] == 6 and "eau" in goal["targets"][0]["title"]


@pytest.mark.django_db
def test_export_labels_writes_editor_decisions(tmp_path, editor):
    from ssehub.library.services import create_item
    from ssehub.sdg.services import decide

    item = create_item({"title": {"en": "Water cooperatives"}, "abstract": {"en": WATER}})
    decide(item, 6, "confirm", actor=editor)
    target = tmp_path / "labels.jsonl"
    call_command("sdg", "export-labels", "--output", str(target), stderr=StringIO())
    record = json.loads(target.read_text())
    assert record["id"] == item.pk and record["labels"] == "6"
