"""Surveys (issue 6): XLSForm definitions, versions, and the expression evaluator.

- ``reader``: reads .xlsx (openpyxl), .xls (xlrd) and CSV XLSForms with limits (file size,
  unpacked size, rows, columns), keeping each value's sheet, row and column.
- ``importer``: our checks (types, names, choice lists, expressions, circular calculations,
  unsupported features), then pyxform's validation, all reported as ``problems.Problem``
  in plain words; ``import_form`` stores a new ``FormVersion`` when the file changed.
- ``definition``: the typed form model stored as JSON on each version.
- ``expressions``: tokenizer, parser and evaluator for the XPath subset of XLSForms.
"""
