"""Source types: each turns a remote collection into pages of records.

A harvester only reads (all network I/O happens while a page is being built); the runner
(``ssehub.harvest.runner``) stores each page in one transaction with its checkpoint. To add a
type, subclass :class:`~ssehub.harvest.sources.base.Harvester` and register it in ``KINDS``.
"""

from __future__ import annotations

from ssehub.harvest.sources.base import Harvester, HarvestError, Page, Record


def harvester_class(kind: str) -> type[Harvester]:
    from ssehub.harvest.sources.feeds import FeedHarvester
    from ssehub.harvest.sources.murmurations import MurmurationsHarvester
    from ssehub.harvest.sources.oai import OAIHarvester
    from ssehub.harvest.sources.tabular import TabularHarvester
    from ssehub.harvest.sources.web import WebHarvester

    kinds: dict[str, type[Harvester]] = {
        "oai": OAIHarvester,
        "feed": FeedHarvester,
        "web": WebHarvester,
        "tabular": TabularHarvester,
        "murmurations": MurmurationsHarvester,
    }
    try:
        return kinds[kind]
    except KeyError as exc:
        raise HarvestError(f"unknown source type {kind!r}") from exc


__all__ = ["HarvestError", "Harvester", "Page", "Record", "harvester_class"]
