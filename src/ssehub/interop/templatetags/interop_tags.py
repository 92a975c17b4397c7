"""``{% item_head_metadata item %}``: JSON-LD and citation meta tags for an item page's head.

The only logic here is collecting the request and the SDG links; building is in ``jsonld``.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ssehub.interop.jsonld import highwire_tags, item_jsonld, script_json
from ssehub.library.models import Item
from ssehub.sdg.services import effective_links

register = template.Library()


@register.simple_tag(takes_context=True)
def item_head_metadata(context: template.Context, item: Item) -> SafeString:
    request = context.get("request")

    def absolute(path: str) -> str:
        return request.build_absolute_uri(path) if request is not None else path

    links = context.get("sdg_links")
    if links is None:
        links = effective_links(item)
    data = item_jsonld(item, absolute, list(links))
    script = mark_safe(  # noqa: S308 - script_json escapes <, > and & inside the JSON
        f'<script type="application/ld+json">{script_json(data)}</script>\n')
    meta = format_html_join("\n", '<meta name="{}" content="{}">',
                            highwire_tags(item, absolute))
    return format_html("{}{}\n", script, meta)
