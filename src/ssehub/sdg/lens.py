"""Presentation helpers for the SDG lens page: the wheel, highlighted text, coverage rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ssehub.sdg.mapper import MapResult

HIGHLIGHT_MAX_CHARS = 30_000


@dataclass
class Segment:
    goal: int
    colour: str
    path: str
    found: bool
    score: float
    label: str


def wheel(result: MapResult, goals) -> list[Segment]:
    """17 ring segments in the official colours; goals found are opaque, others faded."""
    found = {g.goal: g.score for g in result.goals}
    segments = []
    outer, inner, cx, cy = 100.0, 58.0, 110.0, 110.0
    gap = 0.012
    for index, goal in enumerate(goals):
        a0 = 2 * math.pi * index / 17 - math.pi / 2 + gap
        a1 = 2 * math.pi * (index + 1) / 17 - math.pi / 2 - gap
        points = [
            (cx + outer * math.cos(a0), cy + outer * math.sin(a0)),
            (cx + outer * math.cos(a1), cy + outer * math.sin(a1)),
            (cx + inner * math.cos(a1), cy + inner * math.sin(a1)),
            (cx + inner * math.cos(a0), cy + inner * math.sin(a0)),
        ]
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
        path = (f"M{x0:.2f},{y0:.2f} A{outer},{outer} 0 0 1 {x1:.2f},{y1:.2f} "
                f"L{x2:.2f},{y2:.2f} A{inner},{inner} 0 0 0 {x3:.2f},{y3:.2f} Z")
        segments.append(Segment(goal.number, goal.colour, path, goal.number in found,
                                found.get(goal.number, 0.0), goal.short_title))
    return segments


def highlighted(text: str, result: MapResult) -> SafeString:
    """The text, escaped, with every matched term in a <mark> naming its goal."""
    text = text[:HIGHLIGHT_MAX_CHARS]
    spans = sorted(
        {(t.start, t.end, g.goal) for g in result.goals for e in g.evidence for t in e.terms
         if t.end <= len(text)}
    )
    out, cursor = [], 0
    for start, end, goal in spans:
        if start < cursor:
            continue
        out.append(escape(text[cursor:start]))
        out.append(f'<mark class="sdg-mark sdg-mark-{goal}" title="SDG {goal}">'
                   f"{escape(text[start:end])}</mark>")
        cursor = end
    out.append(escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of input text is escaped above
