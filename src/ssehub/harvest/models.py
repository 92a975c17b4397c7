"""Harvest sources, their runs and what each run left behind.

A :class:`Source` is a remote collection (an OAI-PMH endpoint, a feed, web pages, a CSV/JSON
file, Murmurations profiles). Each :class:`Run` counts what it did and keeps its
:class:`RunError` rows (record identifier + cause), so failures are visible instead of lost in a
log. The :class:`Checkpoint` is written in the same transaction as each page of records, which
is what makes a ``kill -9`` at any moment resumable with nothing lost and nothing twice.
:class:`RecordState` is the provenance of each harvested record: its identifier at the source,
its datestamp, a hash and a copy of the original metadata, and the item it became.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ssehub.library.models import Item, Status


class Kind(models.TextChoices):
    OAI = "oai", _("OAI-PMH")
    FEED = "feed", _("RSS/Atom feed")
    WEB = "web", _("Web pages or sitemap")
    TABULAR = "tabular", _("CSV/JSON file")
    MURMURATIONS = "murmurations", _("Murmurations profiles")


def clearing_note(name: str) -> str:
    """The status-trail note of items withdrawn because their source ``name`` was cleared
    (``harvest.clearing.clear``)."""
    return f"harvest source {name} cleared"


def removal_note(name: str) -> str:
    """The note of items withdrawn because their source ``name`` was removed (cleared, then
    deleted: ``harvest.clearing.remove``). A source added again under that name brings back
    the items one of these two notes ends the trail of, not items an editor withdrew
    (``runner.Harvest``)."""
    return f"harvest source {name} removed"


class Source(models.Model):
    name = models.SlugField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    url = models.CharField(
        _("URL"), max_length=1000,
        help_text=_("Endpoint, feed, sitemap or file URL (or a local path for CSV/JSON)"),
    )
    options = models.JSONField(
        _("options"), default=dict, blank=True,
        help_text=_('Per type: {"metadata_prefix": "oai_dc", "set": "...", "from": "...", '
                    '"mapping": {"title": "Name"}, "urls": [...], "delay": 1, "type": "report"}'),
    )
    interval_hours = models.PositiveIntegerField(
        _("interval (hours)"), default=24, help_text=_("'harvest run --due' runs it this often")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    item_status = models.CharField(
        _("status of new items"), max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    notify = models.TextField(
        _("e-mail on problems"), blank=True,
        help_text=_("Addresses told when a run does not complete or records fail (one per "
                    "line, or separated by commas)"),
    )
    # What an incremental run starts from: the last OAI datestamp, a feed's ETag...
    state = models.JSONField(default=dict, blank=True, editable=False)
    # "Harvest now" from the back office: the scheduler's next pass (or cron's --due) runs
    # the source, from the start when requested_full; the run clears the request.
    requested_at = models.DateTimeField(_("harvest requested at"), null=True, blank=True,
                                        editable=False)
    requested_full = models.BooleanField(_("full re-harvest requested"), default=False,
                                         editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("harvest source")
        verbose_name_plural = _("harvest sources")

    def __str__(self) -> str:
        return self.name

    @property
    def last_run(self) -> Run | None:
        return self.runs.order_by("-started_at", "-id").first()

    def is_due(self, now=None) -> bool:
        """Due when enabled and the last finished run started an interval ago (or never ran);
        an interrupted run is always due, so cron finishes it, and so is a requested run."""
        if not self.enabled:
            return False
        if self.requested_at is not None:
            return True
        last = self.last_run
        if last is None or last.outcome in (Run.Outcome.RUNNING, Run.Outcome.PARTIAL):
            return True
        now = now or timezone.now()
        return last.started_at + timedelta(hours=self.interval_hours) <= now


class Run(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running or interrupted")
        COMPLETE = "complete", _("Complete")
        PARTIAL = "partial", _("Partial")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    full = models.BooleanField(default=False)
    # Times this run was picked up again after an interruption.
    resumes = models.PositiveIntegerField(default=0)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text=_("why the run stopped early"))
    # Who holds the run, so a second process does not resume a run that is still alive.
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("harvest run")
        verbose_name_plural = _("harvest runs")

    def __str__(self) -> str:
        return f"{self.source.name} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    COUNTS = ("seen", "created", "updated", "unchanged", "deleted", "failed")


class RunError(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="errors")
    record = models.CharField(max_length=500, blank=True)
    error = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("harvest error")
        verbose_name_plural = _("harvest errors")

    def __str__(self) -> str:
        return f"{self.record}: {self.error[:80]}"


class Checkpoint(models.Model):
    """Where an unfinished run stands (resumption token, position): one per source."""

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="checkpoint")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    cursor = models.JSONField(default=dict)
    pages = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.source.name} page {self.pages}"


class RecordState(models.Model):
    """Provenance of one harvested record, keyed by the source and its own identifier."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="records")
    identifier = models.CharField(max_length=500)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="harvest_records")
    datestamp = models.CharField(max_length=40, blank=True)
    deleted = models.BooleanField(default=False)
    # SHA-256 of the original metadata: an unchanged record costs one lookup, no ingest.
    content_hash = models.CharField(max_length=64, blank=True)
    raw = models.TextField(blank=True, help_text=_("the original metadata, as received"))
    # HTTP validators of a page (ETag, Last-Modified) for conditional requests.
    validators = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "identifier"],
                                    name="unique_harvest_record")
        ]
        verbose_name = _("harvested record")
        verbose_name_plural = _("harvested records")

    def __str__(self) -> str:
        return f"{self.source.name}:{self.identifier}"
