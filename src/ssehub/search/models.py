"""The outbox: one row per change to an item, written in the item's own transaction.

The index is a projection of the database. Writing "item 42 changed" in the same transaction
as the change means the two cannot disagree for long: if the transaction rolls back there is
no row (and nothing to index); if it commits, the row stays until the indexer has applied it,
so a crash between the commit and the indexing delays the update but never loses it. The row
says only *which* item changed: the indexer reads the item's current state, so replaying a row
twice, or applying rows out of order, still ends with the index equal to the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outbox(models.Model):
    class Op(models.TextChoices):
        UPSERT = "upsert", _("add or update")
        DELETE = "delete", _("delete")

    # Not a foreign key: a deletion must leave its row behind the deleted item.
    item_id = models.BigIntegerField(db_index=True)
    op = models.CharField(max_length=6, choices=Op.choices, default=Op.UPSERT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("index outbox entry")
        verbose_name_plural = _("index outbox")

    def __str__(self) -> str:
        return f"{self.op} {self.item_id}"


def new_token() -> str:
    """An unguessable feed token (256 bits): feed readers cannot log in, so the token is the
    credential, and it is never derived from anything a stranger could know."""
    import secrets

    return secrets.token_urlsafe(32)


class SavedSearch(models.Model):
    """A reader's search (query and filters, as the search page's query string), kept under a
    name, with an Atom feed and an optional e-mail digest of new results."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_searches", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=200)
    # The page's parameters without the page number: q, facet filters, years, sort, mode.
    querystring = models.CharField(_("query string"), max_length=4000, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    alert = models.BooleanField(_("e-mail digest"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Items that became visible after this moment are "new" for the next digest.
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        url = reverse("search:page")
        return f"{url}?{self.querystring}" if self.querystring else url


class SentAlert(models.Model):
    """One item sent in a digest for a saved search: never sent for that search again."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE,
                                     related_name="sent")
    # Not a foreign key: a deleted item must not make its record (and a resend) vanish.
    item_id = models.BigIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["saved_search", "item_id"],
                                               name="unique_sent_alert")]
        verbose_name = _("sent alert")
        verbose_name_plural = _("sent alerts")

    def __str__(self) -> str:
        return f"{self.saved_search_id}: {self.item_id}"
