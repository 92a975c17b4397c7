"""Which of a form's languages a respondent reads, and a text in that language.

Form texts are keyed by the column's language name as the author wrote it ("French (fr)"),
or ``default`` for a column without a language; respondents choose by code (``?lang=fr``) or
get the hub's current language when the form has it, else the form's ``default_language``.
"""

from __future__ import annotations

from ssehub.surveys.definition import DEFAULT, FormDefinition


def choose(form: FormDefinition, *wanted: str | None) -> str:
    """The language name (a key of the form's texts) for the first ``wanted`` the form has."""
    for value in wanted:
        if not value:
            continue
        for language in form.languages:
            if value == language.name or (language.code and value.lower() == language.code):
                return language.name
    names = {language.name for language in form.languages}
    if form.default_language in names or not names:
        return form.default_language
    return sorted(names)[0]


def pick(texts: dict[str, str], language: str, form: FormDefinition | None = None) -> str:
    """``texts`` in ``language``, else the form's default language, else any."""
    keys = [language, form.default_language if form else None, DEFAULT]
    for key in keys:
        if key and texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")


def options(form: FormDefinition) -> list[tuple[str, str]]:
    """(code or name, display name) for a language menu."""
    return [(language.code or language.name, language.name) for language in form.languages]
