"""Template filters of the portal: HTML sanitising, readable names for codes, SDG colours."""

from __future__ import annotations

import nh3
import pycountry
from django import template
from django.conf.locale import LANG_INFO
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_noop

from ssehub.core.i18n import pick
from ssehub.library.models import Status

register = template.Library()

ALLOWED_TAGS = {"p", "br", "em", "strong", "i", "b", "ul", "ol", "li", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# UI languages that write language names in lower case inside a sentence.
LOWERCASE_LANGUAGE_NAMES = {"fr", "es"}


@register.filter
def sanitize_html(value: object) -> SafeString:
    """Clean HTML that came from outside (harvested abstracts) before it is shown.

    Only a few inline and block tags survive; links get rel="noopener nofollow" so a record
    cannot borrow the hub's reputation or reach back into the page. Never use ``|safe`` on
    raw input: this filter is the one door.
    """
    if value in (None, ""):
        return mark_safe("")  # noqa: S308 - the empty string is safe
    cleaned = nh3.clean(
        str(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - output of nh3 with an allow-list


@register.filter
def language_name(code: str) -> str:
    """A language code as a name in the reader's language when Django knows it."""
    code = (code or "").lower()
    if code in ("", "und"):
        return gettext("undetermined language")
    info = LANG_INFO.get(code)
    if info and "name" in info:
        name = gettext(info["name"])
    else:
        found = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
        name = found.name if found else code
    if (get_language() or "en").split("-")[0] in LOWERCASE_LANGUAGE_NAMES:
        # "affiché en anglais", "se muestra en inglés": no capital inside a sentence.
        name = name[:1].lower() + name[1:]
    return name


PROVENANCE_LABELS = {
    "upload": gettext_noop("uploaded through the portal"),
    "cli": gettext_noop("added from the command line"),
    "harvest": gettext_noop("harvested from a source"),
    "demo": gettext_noop("demo content"),
    "api": gettext_noop("added through the API"),
}


@register.filter
def provenance_label(kind: str) -> str:
    """How an item arrived, in words, translated."""
    label = PROVENANCE_LABELS.get(kind)
    return gettext(label) if label else kind


@register.filter
def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


def _luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@register.filter
def text_on(colour: str) -> str:
    """White or near-black text, whichever contrasts more with ``colour`` (WCAG formula).

    The official SDG colours are kept as backgrounds; the text colour adapts so that every
    tile stays readable (several goals fail AA contrast with white text).
    """
    try:
        lum = _luminance(colour)
    except (ValueError, IndexError):
        return "#111111"
    white = 1.05 / (lum + 0.05)
    dark = (lum + 0.05) / (_luminance("#111111") + 0.05)
    return "#ffffff" if white >= dark else "#111111"


@register.filter
def linebreaks_if_plain(value: SafeString) -> SafeString:
    """Give plain-text abstracts their paragraphs; leave HTML ones (already sanitised) alone.

    Only use after ``sanitize_html``: the input is trusted to be clean and only ``<p>`` and
    ``<br>`` are added.
    """
    text = str(value)
    if any(tag in text for tag in ("<p", "<ul", "<ol", "<blockquote", "<br")):
        return mark_safe(text)  # noqa: S308 - sanitised upstream
    return mark_safe(linebreaks(text, autoescape=False))  # noqa: S308 - sanitised upstream


@register.filter
def localized(values: dict | None) -> str:
    """A per-language value (``{"en": ..., "fr": ...}``) in the reader's language."""
    return pick(values) if isinstance(values, dict) else (values or "")
