"""The Atom feed of a saved search: ``/search/saved/<token>/feed.atom``.

Feed readers cannot log in, so the unguessable token stands in for the owner: the feed holds
what the owner may see, no more. A deleted search or an inactive owner answers 404.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from ssehub.search import saved as saved_searches
from ssehub.search.models import SavedSearch


class SavedSearchFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, token: str) -> SavedSearch:
        try:
            saved = SavedSearch.objects.select_related("user").get(token=token)
        except SavedSearch.DoesNotExist:
            raise Http404("no such feed") from None
        if not saved.user.is_active:
            raise Http404("no such feed")
        return saved

    def title(self, obj: SavedSearch) -> str:
        return _("SSE Hub: %(name)s") % {"name": obj.name}

    def subtitle(self, obj: SavedSearch) -> str:
        return _("Newest results of a saved search in the SSE Hub library.")

    def link(self, obj: SavedSearch) -> str:
        return obj.get_absolute_url()

    def items(self, obj: SavedSearch):
        return saved_searches.feed_results(obj)

    def item_title(self, hit) -> str:
        return hit.title

    def item_description(self, hit) -> str:
        return hit.snippet

    def item_link(self, hit) -> str:
        return hit.item.get_absolute_url()

    def item_guid(self, hit) -> str:
        return f"ssehub-item-{hit.id}"

    def item_pubdate(self, hit):
        return hit.item.created_at

    def item_updateddate(self, hit):
        return hit.item.updated_at

    def item_author_name(self, hit) -> str:
        return str(hit.item.organisation) if hit.item.organisation_id else ""
