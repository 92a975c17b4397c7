"""The SDG framework: 17 goals, 169 targets and their indicators, titled in EN/FR/ES."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ssehub.core.i18n import pick


class Goal(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), primary_key=True)
    short = models.JSONField(_("short title"), default=dict)
    title = models.JSONField(_("title"), default=dict)
    colour = models.CharField(_("official colour"), max_length=7)

    class Meta:
        ordering = ["number"]
        verbose_name = _("SDG")
        verbose_name_plural = _("SDGs")

    def __str__(self) -> str:
        return gettext("SDG %(number)s: %(title)s") % {
            "number": self.number, "title": pick(self.short)}

    def get_absolute_url(self) -> str:
        return reverse("portal:item_list") + f"?sdg={self.number}"

    @property
    def short_title(self) -> str:
        return pick(self.short)

    @property
    def full_title(self) -> str:
        return pick(self.title)


class Target(models.Model):
    code = models.CharField(_("code"), max_length=6, primary_key=True)
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="targets")
    title = models.JSONField(_("title"), default=dict)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["goal", "position"]
        verbose_name = _("SDG target")
        verbose_name_plural = _("SDG targets")

    def __str__(self) -> str:
        return f"{self.code} {pick(self.title)[:80]}"


class Indicator(models.Model):
    code = models.CharField(_("code"), max_length=12, primary_key=True)
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="indicators")
    title = models.JSONField(_("title"), default=dict)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["target", "position"]
        verbose_name = _("SDG indicator")
        verbose_name_plural = _("SDG indicators")

    def __str__(self) -> str:
        return f"{self.code} {pick(self.title)[:80]}"
