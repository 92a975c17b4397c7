"""The outbox: one row per change to an item, written in the item's own transaction.

The index is a projection of the database. Writing "item 42 changed" in the same transaction
as the change means the two cannot disagree for long: if the transaction rolls back there is
no row (and nothing to index); if it commits, the row stays until the indexer has applied it,
so a crash between the commit and the indexing delays the update but never loses it. The row
says only *which* item changed: the indexer reads the item's current state, so replaying a row
twice, or applying rows out of order, still ends with the index equal to the database.
"""

from __future__ import annotations

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
