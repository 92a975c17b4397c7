"""Server-rendered inline SVG charts: bars for choices, histograms for numbers, a map.

Why SVG from the server: the report is a page in the library that must read the same without
script, in a feed reader or printed, and there is no charting dependency to ship. Every text
is escaped (labels come from form authors); each chart has ``role="img"`` and a title, and
the numbers are also in a table next to it for screen readers.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 560
BAR = 22
GAP = 6
LABEL = 200


def _pct(value: float) -> str:
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


def bars(title: str, items: list[tuple[str, int, float]]) -> SafeString:
    """Horizontal bars: (label, count, percent)."""
    height = max(1, len(items)) * (BAR + GAP) + GAP
    scale = (WIDTH - LABEL - 70) / max([p for _l, _c, p in items] + [1.0])
    rows = []
    for i, (label, count, percent) in enumerate(items):
        y = GAP + i * (BAR + GAP)
        width = max(0.0, percent * scale)
        short = label if len(label) <= 30 else label[:29] + "…"
        rows.append(format_html(
            '<g><title>{}: {} ({})</title>'
            '<text x="{}" y="{}" text-anchor="end" class="sv-chart-label">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" class="sv-bar"></rect>'
            '<text x="{}" y="{}" class="sv-chart-value">{} ({})</text></g>',
            label, count, _pct(percent), LABEL - 6, _f(y + BAR * 0.7), short, LABEL, y, _f(width),
            BAR, _f(LABEL + width + 4), _f(y + BAR * 0.7), count, _pct(percent)))
    return format_html(
        '<svg class="sv-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        WIDTH, height, title, mark_safe("".join(rows)))  # noqa: S308 - format_html parts


def histogram(title: str, bins: list[tuple[float, float, int]]) -> SafeString:
    """Vertical bars over value ranges: (low, high, count)."""
    height, bottom, left = 220, 40, 40
    top = max([c for _lo, _hi, c in bins] + [1])
    width = (WIDTH - left - 10) / max(1, len(bins))
    rows = []
    for i, (low, high, count) in enumerate(bins):
        h = (height - bottom - 10) * count / top
        x = left + i * width
        rows.append(format_html(
            '<g><title>{} – {}: {}</title><rect x="{}" y="{}" width="{}" '
            'height="{}" class="sv-bar"></rect>'
            '<text x="{}" y="{}" text-anchor="middle" class="sv-chart-label">{}</text></g>',
            _num(low), _num(high), count, _f(x + 1), _f(height - bottom - h), _f(width - 2),
            _f(h), _f(x + width / 2), height - bottom + 14, _num(low)))
    axis = format_html('<text x="{}" y="{}" class="sv-chart-label">{}</text>', 4, 14, top)
    return format_html(
        '<svg class="sv-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        WIDTH, height, title, axis, mark_safe("".join(rows)))  # noqa: S308


def scatter_map(title: str, points: list[tuple[float, float]]) -> SafeString:
    """Points on an equirectangular frame (longitude -> x, latitude -> y), with graticules."""
    height = WIDTH / 2
    lines = format_html_join("", '<line x1="{}" y1="0" x2="{}" y2="{}" '
                             'class="sv-grid"></line>',
                             ((_f(WIDTH * (lon + 180) / 360),) * 2 + (_f(height),)
                              for lon in range(-180, 181, 60)))
    lines += format_html_join("", '<line x1="0" y1="{}" x2="{}" y2="{}" '
                              'class="sv-grid"></line>',
                              ((_f(height * (90 - lat) / 180), WIDTH,
                                _f(height * (90 - lat) / 180)) for lat in range(-60, 61, 30)))
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="3" class="sv-dot">'
                            "</circle>",
                            ((_f(WIDTH * (lon + 180) / 360), _f(height * (90 - lat) / 180))
                             for lat, lon in points))
    return format_html(
        '<svg class="sv-chart sv-map" role="img" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<rect x="0" y="0" width="{}" height="{}" class="sv-sea"></rect>{}{}</svg>',
        WIDTH, _f(height, 0), title, WIDTH, _f(height, 0), lines, dots)


def _num(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _f(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}"
