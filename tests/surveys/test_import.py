"""XLSForm import: the shared real forms, the definition model, versions, and bad input."""

from __future__ import annotations

import contextlib
import functools
import io
import zipfile

import pytest
from defusedxml import ElementTree

from ssehub.library import storage
from ssehub.surveys.definition import FormDefinition
from ssehub.surveys.importer import Validation, import_form, validate
from ssehub.surveys.models import FormVersion, Survey
from ssehub.surveys.problems import FormInvalid

from .helpers import csv_form, shared_forms, simple, xlsx

SHARED_VALID = [
    "UCL_Biomass_Plot_Form.xlsx", "attribute_columns_test.xlsx",
    "cascading_select_test_equivalent.xls", "case_insensitivity.csv", "choice_filter_test.xlsx",
    "loop.csv", "repeat_date_test.xls", "table-list.xls", "tutorial.xls", "widgets.csv",
    "widgets.xls", "xlsform_spec_test.xlsx", "xml_escaping.xls",
]


@functools.cache
def shared(filename: str) -> Validation:
    """A shared form validated once per test run (several tests read the same forms).
    Callers only read the result."""
    return validate((shared_forms() / filename).read_bytes(), filename)


def invalid(data: bytes, filename: str = "form.xlsx") -> FormInvalid:
    with pytest.raises(FormInvalid) as info:
        validate(data, filename)
    return info.value


# ---------------------------------------------------------------- the shared forms

@pytest.mark.parametrize("filename", SHARED_VALID)
def test_shared_forms_import(filename):
    validation = shared(filename)
    assert validation.definition.questions()
    for problem in validation.problems:
        assert problem.level == "warning"
        assert "[row :" not in problem.message and "Learn more" not in problem.message


def test_unknown_question_type_is_rejected_naming_row_and_type():
    data = (shared_forms() / "unknown_question_type.xls").read_bytes()
    error = invalid(data, "unknown_question_type.xls")
    bad = {(p.row, p.column, p.header) for p in error.errors}
    assert (52, "A", "type") in bad
    messages = "\n".join(str(p) for p in error.errors)
    assert "survey sheet, row 52, column A (type): 'unknown' is not a question type" in messages
    assert "'set form title'" in messages  # rows 2 and 3 use a type from a foreign dialect


def _xform_paths(xml_name: str) -> set[str]:
    root = ElementTree.parse(shared_forms() / xml_name).getroot()
    paths = set()
    for element in root.iter():
        for attribute in ("nodeset", "ref"):
            value = element.get(attribute) or ""
            if value.startswith("/") and value.count("/") >= 2:
                path = value.split("/", 2)[2]
                if not path.startswith("meta"):
                    paths.add(path)
    return paths


def test_widgets_questions_match_pyxforms_expected_xform():
    definition = shared("widgets.xls").definition
    ours = {e.path for e in definition.walk()}
    assert _xform_paths("widgets.xml") == ours


def test_spec_test_questions_match_expected_xform_but_for_its_later_edits():
    ours = {e.path for e in shared("xlsform_spec_test.xlsx").definition.walk()}
    expected = _xform_paths("spec_test_expected_output.xml")
    # The expected output predates three questions the workbook has since renamed or removed.
    assert expected - ours == {"everything/some_text", "everything/num_repeat_times",
                               "everything/repeat_test/name/"
                               "reserved_name_for_field_list_labels_23"}
    assert len(expected & ours) >= 40


def test_definition_of_the_spec_form():
    definition = shared("xlsform_spec_test.xlsx").definition
    everything = definition.element("everything")
    assert everything.type == "group" and everything.relevant.startswith("not(selected(")
    repeat = definition.element("repeat_test")
    assert repeat.type == "repeat" and repeat.repeat_count == "${repeat_test_count}"
    required = definition.element("required_text")
    assert required.required == "true()"
    assert required.required_message == {"default": "Custom required message."}
    multi = definition.element("select_multiple_test")
    assert multi.type == "select_multiple" and multi.appearance == ["minimal"]
    assert set(multi.constraint_message) == {"english", "chinese"}
    assert definition.element("group_test").appearance == ["field-list"]
    assert definition.element("a_integer").type == "integer"
    assert definition.element("datetime_test").type == "dateTime"
    assert definition.element("image_test").type == "image"
    assert definition.element("start").type == "start"
    barcode = definition.element("barcode_test")
    assert barcode.supported is False and barcode.row == 35
    assert {lang.name for lang in definition.languages} == {"english", "chinese"}
    # The JSON round trip (what FormVersion stores) gives the same model back.
    assert FormDefinition.from_dict(definition.to_dict()) == definition


def test_translations_and_default_language():
    sheets = simple(
        rows=[["text", "org", "Organisation", "Organisation", "Organización"]],
        header=["type", "name", "label::English (en)", "label::French (fr)",
                "label::Spanish (es)"])
    sheets["choices"] = [["list_name", "name", "label::English (en)"], ["yn", "yes", "Yes"]]
    sheets["settings"] = [["form_title", "form_id", "default_language", "version"],
                          ["Members", "members", "English (en)", "2026-1"]]
    definition = validate(xlsx(sheets), "m.xlsx").definition
    assert definition.default_language == "English (en)"
    assert {(lang.name, lang.code) for lang in definition.languages} == {
        ("English (en)", "en"), ("French (fr)", "fr"), ("Spanish (es)", "es")}
    assert definition.element("org").label["Spanish (es)"] == "Organización"
    assert definition.version == "2026-1" and definition.form_id == "members"


def test_supported_features_of_the_issue():
    rows = [
        ["integer", "staff", "Staff", "", ". >= 0", "yes", "", "", "", "", ""],
        ["decimal", "budget", "Budget", "", "", "", "", "", "", "", ""],
        ["range", "score", "Score", "", "", "", "", "", "", "", "start=0 end=10 step=1"],
        ["select_multiple areas or_other", "areas", "Areas", "", "", "", "", "minimal", "",
         "", ""],
        ["rank areas", "ranked", "Rank", "", "", "", "", "", "", "", ""],
        ["select_one areas", "main", "Main area", "", "", "", "", "", "", "selected(${areas}, name)"
         , ""],
        ["begin_repeat", "people", "People", "", "", "", "", "", "${staff}", "", ""],
        ["text", "person", "Name", "", "", "", "", "multiline", "", "", ""],
        ["end_repeat", "", "", "", "", "", "", "", "", "", ""],
        ["begin_group", "g", "Group", "${staff} > 0", "", "", "", "field-list", "", "", ""],
        ["date", "founded", "Founded", "", ". <= today()", "", "", "", "", "", ""],
        ["time", "t", "Time", "", "", "", "", "", "", "", ""],
        ["dateTime", "dt", "When", "", "", "", "", "", "", "", ""],
        ["geopoint", "where", "Where", "", "", "", "", "", "", "", ""],
        ["file", "doc", "Document", "", "", "", "", "", "", "", ""],
        ["acknowledge", "ok", "OK?", "", "", "", "", "", "", "", ""],
        ["note", "n", "A note", "", "", "", "", "", "", "", ""],
        ["end_group", "", "", "", "", "", "", "", "", "", ""],
        ["calculate", "per_head", "", "", "", "", "${budget} div ${staff}", "", "", "", ""],
        ["hidden", "h", "", "", "", "", "", "", "", "", ""],
        ["start", "start", "", "", "", "", "", "", "", "", ""],
        ["end", "end", "", "", "", "", "", "", "", "", ""],
        ["today", "today", "", "", "", "", "", "", "", "", ""],
        ["text", "ro", "Read only", "", "", "", "", "", "", "", ""],
    ]
    header = ["type", "name", "label", "relevant", "constraint", "required", "calculation",
              "appearance", "repeat_count", "choice_filter", "parameters"]
    sheets = simple(rows=rows, header=header,
                    choices=[["areas", "a", "A"], ["areas", "b", "B"]])
    validation = validate(xlsx(sheets), "all.xlsx")
    assert validation.warnings == []
    definition = validation.definition
    types = {e.name: e.type for e in definition.walk()}
    assert types["people"] == "repeat" and types["g"] == "group"
    assert {types[n] for n in ("staff", "budget", "score", "areas", "ranked", "main", "founded",
                               "t", "dt", "where", "doc", "ok", "n", "per_head", "h", "start",
                               "end", "today")} == {
        "integer", "decimal", "range", "select_multiple", "rank", "select_one", "date", "time",
        "dateTime", "geopoint", "file", "acknowledge", "note", "calculate", "hidden", "start",
        "end", "today"}
    areas = definition.element("areas")
    assert areas.or_other and areas.row == 5
    assert definition.element("areas_other") is not None  # pyxform's "specify other"
    assert definition.element("people").repeat_count == "${staff}"
    assert definition.element("main").choice_filter == "selected(${areas}, name)"
    assert definition.element("score").parameters == {"start": "0", "end": "10", "step": "1"}
    assert definition.element("person").path == "people/person"
    assert definition.element("staff").required == "true()"
    assert all(e.supported for e in definition.walk())


def test_csv_forms_report_the_csv_line_and_column():
    sheets = simple(rows=[["text", "a", "A"], ["integer", "b", "B", "${a} = = 1"]])
    error = invalid(csv_form(sheets), "form.csv")
    [problem] = error.errors
    assert problem.row == 4  # "survey" line, header line, row a, row b
    assert problem.column == "E"  # column A holds the sheet names in a CSV XLSForm


# ---------------------------------------------------------------- unsupported: said, not dropped

def test_unsupported_type_and_appearance_are_warnings_with_rows():
    sheets = simple(rows=[["text", "org", "Organisation"],
                          ["barcode", "code", "Code"],
                          ["select_one yn", "m", "Member", "", "", "", "quick"]],
                    header=[*simple()["survey"][0], "appearance"])
    validation = validate(xlsx(sheets), "f.xlsx")
    texts = [str(p) for p in validation.warnings]
    assert any("row 3, column A (type)" in t and "'barcode'" in t for t in texts)
    assert any("row 4, column G (appearance)" in t and "'quick'" in t for t in texts)
    code = validation.definition.element("code")
    assert code is not None and code.supported is False  # kept, flagged


def test_unsupported_function_is_a_warning_with_its_position():
    sheets = simple(rows=[["text", "a", "A"],
                          ["calculate", "b", "", "", "", "", "pulldata('x', 'y', 'z', ${a})"]],
                    header=[*simple()["survey"][0], "calculation"])
    [warning] = validate(xlsx(sheets), "f.xlsx").warnings
    assert warning.row == 3 and warning.header == "calculation"
    assert "pulldata()" in warning.message and "character 1" in warning.message


# ---------------------------------------------------------------- bad input

def test_not_a_spreadsheet():
    for data, name in ((b"%PDF-1.7\n\x00\x01binary", "form.xlsx"),
                       (bytes(range(256)) * 4, "form.xls"),
                       (b"PK\x03\x04 broken zip", "form.xlsx")):
        error = invalid(data, name)
        assert len(error.errors) == 1
    assert "not a spreadsheet" in str(invalid(b"\x89PNG\r\n\x1a\n\x00\x00", "a.png"))
    assert "not an XLSForm" in str(invalid(b"just some words\n", "notes.csv"))
    assert "empty" in str(invalid(b"", "f.xlsx"))


def test_a_word_document_is_not_a_form():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert "not a spreadsheet" in str(invalid(out.getvalue(), "form.xlsx"))


def test_empty_workbook():
    error = invalid(xlsx({"survey": []}), "f.xlsx")
    assert "empty" in str(error)
    error = invalid(xlsx({"choices": [["list_name", "name", "label"], ["yn", "y", "Y"]]}))
    assert "no 'survey' sheet" in str(error)
    error = invalid(xlsx({"survey": [["type", "name", "label"]]}))
    assert "no questions" in str(error)


def test_survey_without_type_or_name_column():
    error = invalid(xlsx({"survey": [["kind", "label"], ["text", "Name"]]}))
    messages = [str(p) for p in error.errors]
    assert any("survey sheet, row 1" in m and "no 'type' column" in m for m in messages)
    assert any("no 'name' column" in m for m in messages)


def test_duplicate_names_in_the_same_group():
    sheets = simple(rows=[["text", "org", "A"], ["integer", "staff", "B"],
                          ["text", "ORG", "C"]])
    [problem] = invalid(xlsx(sheets)).errors
    assert (problem.row, problem.column, problem.header) == (4, "B", "name")
    assert "already used on row 2" in problem.message


def test_duplicate_column_headers():
    error = invalid(xlsx({"survey": [["type", "name", "label", "Label"], ["text", "a", "A"]]}))
    assert "columns C and D" in str(error)


def test_select_with_a_missing_choice_list():
    sheets = simple(rows=[["select_one colours", "colour", "Colour"]])
    [problem] = invalid(xlsx(sheets)).errors
    assert (problem.sheet, problem.row, problem.column) == ("survey", 2, "A")
    assert "'colours'" in problem.message and "not on the choices sheet" in problem.message


def test_malformed_relevant_reports_row_column_and_position():
    sheets = simple(rows=[["text", "org", "A"],
                          ["integer", "staff", "B", "${org} != '' and (1 +"]])
    [problem] = invalid(xlsx(sheets)).errors
    assert (problem.row, problem.column, problem.header) == (3, "D", "relevant")
    assert "at character 22" in problem.message
    assert str(problem).startswith("survey sheet, row 3, column D (relevant): ")


def test_reference_to_a_missing_question():
    sheets = simple(rows=[["text", "org", "A"], ["integer", "staff", "B", "${orgs} = 'x'"]])
    [problem] = invalid(xlsx(sheets)).errors
    assert "${orgs}" in problem.message and problem.row == 3


def test_pyxform_errors_come_in_plain_words_with_the_row():
    # Our checks pass; pyxform finds the unclosed group and the duplicate choice.
    sheets = simple(rows=[["begin_group", "g", "G"], ["text", "a", "A"]])
    [problem] = invalid(xlsx(sheets)).errors
    assert str(problem) == ("survey sheet, row 2: Unmatched 'begin_group'. No matching "
                            "'end_group' was found for the name 'g'.")
    sheets = simple(choices=[["yn", "yes", "Yes"], ["yn", "yes", "Again"]])
    [problem] = invalid(xlsx(sheets)).errors
    assert (problem.sheet, problem.row, problem.column, problem.header) == (
        "choices", 3, "B", "name")
    assert "Learn more" not in problem.message


def test_pyxform_row_numbers_are_mapped_to_csv_lines():
    sheets = simple(choices=[["yn", "yes", "Yes"], ["yn", "yes", "Again"]])
    [problem] = invalid(csv_form(sheets), "f.csv").errors
    # survey (1) + header + 3 rows = 5 lines, then "choices" (6), header (7), yes (8), yes (9)
    assert (problem.sheet, problem.row, problem.column) == ("choices", 9, "C")


def test_cyclic_calculations_are_rejected():
    header = ["type", "name", "label", "calculation"]
    rows = [["calculate", "a", "", "${c} + 1"], ["calculate", "b", "", "${a} * 2"],
            ["calculate", "c", "", "${b} - 1"], ["calculate", "d", "", "${a} + ${b}"],
            ["calculate", "e", "", "${e}"]]
    errors = invalid(xlsx(simple(rows=rows, header=header))).errors
    messages = sorted(p.message for p in errors)
    assert len(errors) == 2
    assert any("${a} → ${c} → ${b} → ${a}" in m for m in messages)
    assert any("${e} → ${e}" in m for m in messages)
    assert {p.row for p in errors} == {2, 6}  # the rows of a and e
    assert {p.header for p in errors} == {"calculation"}


def test_a_long_chain_of_calculations_is_fine():
    header = ["type", "name", "label", "calculation"]
    rows = [["calculate", "c0", "", "1"]] + [
        ["calculate", f"c{i}", "", f"${{c{i - 1}}} + 1"] for i in range(1, 3000)]
    assert validate(xlsx(simple(rows=rows, header=header))).definition.element("c2999")


def test_zip_bomb_xlsx_is_refused(settings):
    settings.SSEHUB_MAX_UNZIPPED_BYTES = 200_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 5_000_000)
    data = out.getvalue()
    assert len(data) < 50_000  # small on disk, 5 MB unpacked
    error = invalid(data, "bomb.xlsx")
    assert "zip bomb" in str(error)


def test_huge_sheet_is_refused_at_the_row_limit(settings):
    settings.SSEHUB_SURVEY_MAX_ROWS = 100
    rows = [["text", f"q{i}", f"Q{i}"] for i in range(150)]
    error = invalid(xlsx(simple(rows=rows)))
    [problem] = error.errors
    assert "more than 100 rows" in problem.message and problem.sheet == "survey"
    # The same limit holds for CSV forms.
    assert "more than 100 rows" in str(invalid(csv_form(simple(rows=rows)), "f.csv"))


def test_oversized_file_is_refused(settings):
    settings.SSEHUB_SURVEY_MAX_FILE_BYTES = 1000
    assert "over the limit" in str(invalid(b"survey,type\n" * 200, "f.csv"))


def test_trailing_formatted_rows_do_not_count():
    rows = [["text", "a", "A"], *[[None, None, None]] * 200, ["text", "late", "Too late"]]
    definition = validate(xlsx(simple(rows=rows))).definition
    assert definition.element("late") is None  # like pyxform: a long empty run ends a sheet


# ---------------------------------------------------------------- versions

@pytest.mark.django_db
def test_import_stores_versions_and_the_original_file():
    first = xlsx(simple())
    result = import_form(first, "members.xlsx")
    assert result.created and result.survey.name == "members"
    version = result.version
    assert version.number == 1 and version.sha256 == storage.sha256_bytes(first)
    with storage.open_blob(version.sha256) as handle:
        assert handle.read() == first
    assert version.form().element("staff").relevant == "${member} = 'yes'"

    again = import_form(first, "members.xlsx")
    assert not again.created and again.version.pk == version.pk
    assert FormVersion.objects.count() == 1

    changed = xlsx(simple(rows=[["text", "org", "Organisation name"]]))
    second = import_form(changed, "members-v2.xlsx", name="members")
    assert second.created and second.version.number == 2
    assert list(Survey.objects.get(name="members").versions.values_list("number", flat=True)) \
        == [2, 1]
    assert Survey.objects.get(name="members").latest.filename == "members-v2.xlsx"

    # Going back to the first file is a change too: a third version, the first is kept.
    third = import_form(first, "members.xlsx")
    assert third.created and third.version.number == 3


@pytest.mark.django_db
def test_invalid_form_stores_nothing():
    with pytest.raises(FormInvalid):
        import_form(xlsx(simple(rows=[["select_one nope", "x", "X"]])), "bad.xlsx")
    assert not Survey.objects.exists() and not FormVersion.objects.exists()


@pytest.mark.django_db
def test_warnings_are_kept_on_the_version():
    sheets = simple(rows=[["barcode", "code", "Code"]])
    version = import_form(xlsx(sheets), "w.xlsx").version
    [problem] = version.problems()
    assert problem.row == 2 and "barcode" in problem.message


def test_csv_that_is_not_utf8_is_refused_with_its_line():
    data = "survey,type,name,label\n,text,a,Caf\u00e9\n".encode("latin-1")
    assert "not UTF-8 (line 2)" in str(invalid(data, "f.csv"))


def test_dynamic_default_references_are_checked():
    header = ["type", "name", "label", "default"]
    rows = [["text", "a", "A", "x y"], ["text", "b", "B", "${nope}"]]
    [problem] = invalid(xlsx(simple(rows=rows, header=header))).errors
    assert (problem.row, problem.header) == (3, "default") and "${nope}" in problem.message


@pytest.mark.django_db
def test_survey_names_are_checked():
    with pytest.raises(FormInvalid, match="cannot be a survey name"):
        import_form(xlsx(simple()), "f.xlsx", name="my survey; drop")
    assert import_form(xlsx(simple()), "Member survey 2026.xlsx").survey.name \
        == "Member-survey-2026"


@pytest.mark.parametrize("filename", SHARED_VALID)
def test_every_expression_of_the_shared_forms_evaluates_or_says_why(filename):
    from ssehub.surveys.expressions import Context, EvaluationError, evaluate

    definition = shared(filename).definition
    for element in definition.walk():
        for text in (element.relevant, element.constraint, element.calculation,
                     element.required, element.read_only, element.choice_filter):
            if not text:
                continue
            # An unsupported function (reported at import) is an EvaluationError, not a crash.
            with contextlib.suppress(EvaluationError):
                evaluate(text, Context(current=element.name, choice={}))


def test_loops_are_kept_and_flagged():
    validation = shared("loop.csv")
    loop = validation.definition.element("loop_toilet_types")
    assert loop.supported is False and loop.row == 4
    assert [c.path for c in loop.children] == ["loop_toilet_types/number"]
    assert any(p.row == 4 and "loop" in p.message for p in validation.warnings)
    other = validation.definition.element("available_toilet_types")
    assert other.or_other and "other" in [c.name for c in validation.definition.choices[
        other.list_name]]


def test_calculation_order_puts_dependencies_first():
    header = ["type", "name", "label", "calculation"]
    rows = [["calculate", "total", "", "${a} + ${b}"], ["calculate", "b", "", "${a} * 2"],
            ["calculate", "a", "", "1"], ["calculate", "other", "", "2"]]
    definition = validate(xlsx(simple(rows=rows, header=header))).definition
    # Each after what it reads; among those ready, the earliest in the form first.
    assert [e.name for e in definition.calculation_order()] == ["a", "b", "total", "other"]


def test_calculation_order_of_a_long_chain_is_fast():
    header = ["type", "name", "label", "calculation"]
    rows = [["calculate", f"c{i}", "", f"${{c{i + 1}}} + 1"] for i in range(1000)]
    rows.append(["calculate", "c1000", "", "1"])
    definition = validate(xlsx(simple(rows=rows, header=header))).definition
    order = [e.name for e in definition.calculation_order()]
    assert order[0] == "c1000" and order[-1] == "c0"


def test_xml_entities_in_an_xlsx_are_refused():
    """openpyxl reads through defusedxml: a 'billion laughs' sheet is an error, not a hang."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(simple())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<worksheet", b'<!DOCTYPE l [<!ENTITY a "aaaa">'
                                    b'<!ENTITY b "&a;&a;&a;&a;">]><worksheet', 1)
            archive.writestr(info, body)
    [problem] = invalid(out.getvalue(), "laughs.xlsx").errors
    assert problem.message.startswith("This .xlsx file cannot be read")
    assert "\n" not in problem.message
