"""A survey and the versions of its form definition.

A ``Survey`` is the thing people are invited to (named, stable); each import of a changed
XLSForm adds a ``FormVersion`` and older ones are kept, because every response will record the
version it answered: revising a form must never break or silently reinterpret older answers.
The original file is kept in the content-addressed store (by SHA-256) so that any version can
be downloaded and re-validated exactly as it was imported.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ssehub.surveys.definition import FormDefinition
from ssehub.surveys.problems import Problem


class Survey(models.Model):
    name = models.SlugField(_("name"), max_length=100, unique=True, allow_unicode=True,
                            help_text=_("Used on the command line: ssehub survey import FORM "
                                        "--name NAME."))
    title = models.CharField(_("title"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name

    @property
    def latest(self) -> FormVersion | None:
        return self.versions.order_by("-number").first()


class FormVersion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions",
                               verbose_name=_("survey"))
    number = models.PositiveIntegerField(_("number"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    filename = models.CharField(_("file name"), max_length=255)
    file_type = models.CharField(_("file type"), max_length=8)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    form_id = models.CharField(_("form id"), max_length=255, blank=True)
    form_version = models.CharField(_("form version (settings sheet)"), max_length=255,
                                    blank=True)
    definition = models.JSONField(_("definition"))
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    created = models.DateTimeField(_("imported"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("imported by"))

    class Meta:
        ordering = ["survey", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"],
                                    name="surveys_formversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.name} v{self.number}"

    def form(self) -> FormDefinition:
        """The typed definition (``ssehub.surveys.definition``)."""
        return FormDefinition.from_dict(self.definition)

    def problems(self) -> list[Problem]:
        return [Problem.from_dict(p) for p in self.warnings]
