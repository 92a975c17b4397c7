"""The Item: one metadata model for everything the hub knows.

A document, a dataset, a paper, a survey report or an initiative page is an :class:`Item`, so
that one search, one SDG mapping, one API and one OAI-PMH endpoint serve all of them. Titles and
abstracts are stored per language; files are stored once by content hash; every metadata change
leaves an :class:`ItemVersion` that can be restored.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ssehub.core.i18n import pick, pick_language
from ssehub.core.models import Country, Organisation, Region
from ssehub.sdg.models import Goal, Target


class ItemType(models.Model):
    slug = models.SlugField(primary_key=True, max_length=40)
    label = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("item type")
        verbose_name_plural = _("item types")

    def __str__(self) -> str:
        return pick(self.label) or self.slug


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DatePrecision(models.TextChoices):
    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    DAY = "day", _("Day")


class Item(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.JSONField(_("title"), default=dict, help_text=_('Per language: {"en": "..."}'))
    abstract = models.JSONField(_("abstract"), default=dict, blank=True)
    original_language = models.CharField(_("original language"), max_length=8, blank=True)
    item_type = models.ForeignKey(
        ItemType, on_delete=models.PROTECT, default="other", verbose_name=_("type")
    )
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    pub_year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, db_index=True)
    pub_month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    pub_day = models.PositiveSmallIntegerField(_("day"), null=True, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    countries = models.ManyToManyField(Country, blank=True, verbose_name=_("countries"))
    regions = models.ManyToManyField(Region, blank=True, verbose_name=_("regions"))
    keywords = models.JSONField(_("themes and keywords"), default=list, blank=True)
    licence = models.CharField(_("licence"), max_length=100, blank=True)
    identifiers = models.JSONField(
        _("identifiers"), default=dict, blank=True, help_text=_("doi, isbn, handle, url")
    )
    # The DOI in lower case, for lookups (DOIs are case-insensitive); ``display_doi`` is the
    # DOI as given.
    doi = models.CharField(max_length=200, blank=True, db_index=True)
    # The identifiers' URL, as an indexed column: harvests look records up by it.
    url = models.CharField(max_length=1000, blank=True, db_index=True)
    full_text = models.TextField(_("extracted full text"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        verbose_name=_("contributing organisation"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provenance = models.CharField(
        _("provenance"),
        max_length=20,
        default="upload",
        help_text=_("upload, cli, harvest, demo, api"),
        db_index=True,
    )
    source_name = models.CharField(_("source"), max_length=200, blank=True)
    source_record = models.CharField(_("source record"), max_length=500, blank=True)
    source_url = models.URLField(_("source URL"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    goals = models.ManyToManyField(Goal, through="ItemGoal", blank=True, related_name="items")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="item_status_created"),
            # OAI-PMH pages by (datestamp, id) cursors: interop/oai.
            models.Index(fields=["updated_at", "id"], name="item_oai_cursor"),
            # A harvested record is found again by (source, its identifier there).
            models.Index(fields=["source_name", "source_record"], name="item_source_record"),
        ]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse("portal:item", args=[self.pk])

    @property
    def display_title(self) -> str:
        return pick(self.title) or _("(untitled)")

    @property
    def title_language(self) -> str:
        return pick_language(self.title)

    @property
    def display_abstract(self) -> str:
        return pick(self.abstract)

    @property
    def abstract_language(self) -> str:
        return pick_language(self.abstract)

    @property
    def display_doi(self) -> str:
        """The DOI as its source wrote it (``doi`` holds it in lower case, for lookups)."""
        return self.identifiers.get("doi") or self.doi

    @property
    def date_display(self) -> str:
        if not self.pub_year:
            return ""
        if self.pub_month and self.pub_day:
            return f"{self.pub_year:04d}-{self.pub_month:02d}-{self.pub_day:02d}"
        if self.pub_month:
            return f"{self.pub_year:04d}-{self.pub_month:02d}"
        return f"{self.pub_year:04d}"

    @property
    def date_precision(self) -> str:
        if self.pub_day:
            return DatePrecision.DAY
        if self.pub_month:
            return DatePrecision.MONTH
        return DatePrecision.YEAR if self.pub_year else ""


class Creator(models.Model):
    """An author or corporate author of an item, in the order given by the source."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="creators")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=300)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["item", "position"]
        verbose_name = _("creator")
        verbose_name_plural = _("creators")

    def __str__(self) -> str:
        return self.name


class ItemGoal(models.Model):
    """An SDG goal (and optionally target) that an item addresses, with who said so and why."""

    class Source(models.TextChoices):
        EDITOR = "editor", _("Editor")
        MACHINE = "machine", _("Machine")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="sdg_links")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT)
    target = models.ForeignKey(Target, null=True, blank=True, on_delete=models.PROTECT)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.EDITOR)
    confidence = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, blank=True, help_text=_("machine links: confirmed or suggested")
    )
    # An editor's "not this goal": hides the machine's link and is never overwritten by it.
    rejected = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["goal", "target"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "goal", "target", "source"], name="unique_item_goal_target_source"
            )
        ]
        verbose_name = _("SDG link")
        verbose_name_plural = _("SDG links")

    def __str__(self) -> str:
        return f"{self.item_id} → {self.target_id or self.goal_id} ({self.source})"


class ItemFile(models.Model):
    """A file of an item, stored once under its SHA-256 in the data folder."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="files")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=120)
    filename = models.CharField(max_length=255)
    text = models.TextField(blank=True)
    minhash = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "id"]
        verbose_name = _("file")
        verbose_name_plural = _("files")
        constraints = [
            # The same bytes belong to one item only: two concurrent ingests of a new file
            # cannot both create an item.
            models.UniqueConstraint(fields=["sha256"], name="unique_file_sha256")
        ]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("portal:file", args=[self.item_id, self.pk])


class TextBand(models.Model):
    """One LSH band of a file's MinHash: files sharing a band are near-duplicate candidates."""

    file = models.ForeignKey(ItemFile, on_delete=models.CASCADE, related_name="bands")
    band = models.PositiveSmallIntegerField()
    hash = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["hash", "band"], name="textband_hash")]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.band}"


class ItemVersion(models.Model):
    """A snapshot of an item's metadata after a change: who changed what, when; restorable."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    changed_fields = models.JSONField(default=list)
    comment = models.CharField(max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="unique_item_version")
        ]
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.item_id} v{self.number}"


class StatusChange(models.Model):
    """The workflow trail: draft → in review → published → withdrawn, with who and when."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["item", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_status or '-'} → {self.to_status}"
