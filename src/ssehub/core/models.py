"""Reference data shared by every module: countries, regions, organisations and roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ssehub.core.i18n import pick


class Region(models.Model):
    """A UN M49 geographic region or sub-region (e.g. 002 Africa, 014 Eastern Africa)."""

    m49 = models.CharField(_("M49 code"), max_length=3, primary_key=True)
    name = models.JSONField(_("name"), default=dict, help_text=_("Per language."))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["m49"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return pick(self.name)


class Country(models.Model):
    """An ISO 3166-1 country or area, with its M49 code and region."""

    iso2 = models.CharField(_("ISO alpha-2"), max_length=2, primary_key=True)
    iso3 = models.CharField(_("ISO alpha-3"), max_length=3, unique=True)
    m49 = models.CharField(_("M49 code"), max_length=3, blank=True)
    name = models.JSONField(_("name"), default=dict)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="countries"
    )

    class Meta:
        ordering = ["iso2"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return pick(self.name)


class Organisation(models.Model):
    """An organisation: a Task Force member or observer, a publisher, a contributor."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Task Force member")
        OBSERVER = "observer", _("Task Force observer")
        OTHER = "other", _("Other organisation")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    acronym = models.CharField(_("acronym"), max_length=60, blank=True)
    name = models.JSONField(_("name"), default=dict, help_text=_("Per language."))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OTHER)
    since = models.CharField(_("in the Task Force since"), max_length=10, blank=True)
    website = models.URLField(_("website"), blank=True)
    country = models.ForeignKey(Country, null=True, blank=True, on_delete=models.SET_NULL)
    description = models.JSONField(_("description"), default=dict, blank=True)

    class Meta:
        ordering = ["acronym", "slug"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        name = pick(self.name)
        if self.acronym and self.acronym != name:
            return f"{self.acronym} – {name}"
        return name or self.slug

    def get_absolute_url(self) -> str:
        return reverse("portal:organisation", args=[self.slug])


class Membership(models.Model):
    """A user's right to act for an organisation (submit items, see its drafts)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class SiteFlag(models.Model):
    """A named fact about this installation (e.g. that the demo was loaded once)."""

    name = models.CharField(max_length=60, primary_key=True)
    value = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
