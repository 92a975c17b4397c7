"""A survey, the versions of its form, who is invited, and what they answered.

Storage design for responses (issue 6, point 5):

- ``Response.data`` is the clean JSON document of one respondent, exactly as the server
  validated it against ``Response.version`` (question name -> typed value; a repeat group is a
  list of such dictionaries). It is what the web form resumes from and what the JSON export
  writes, and it survives any later revision of the form because the version is kept.
- ``Answer`` rows are the same answers again, one row per question per repeat instance (and per
  chosen choice of a multiple choice), with typed columns (number, date, choice, latitude and
  longitude). They are rebuilt from the document in the same transaction on every save, and
  exist so that analysis, cross-tabs and exports are database queries, not JSON parsing.
- ``Response.revision`` is a version counter: a save says which revision it started from and
  is applied with a compare-and-set, so two simultaneous submissions of one token cannot both
  win (the loser is told to reload).

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
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True,
                                    help_text=_("Answers can be changed until then."))
    open_key = models.CharField(_("open link key"), max_length=64, blank=True, db_index=True,
                                help_text=_("Anyone with the open link may answer; empty: "
                                            "only invited respondents."))
    page_per_group = models.BooleanField(_("one page per group"), default=False)
    public_questions = models.JSONField(
        _("public questions"), default=list, blank=True,
        help_text=_("Names of questions whose individual answers may be published."))

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


class Invitation(models.Model):
    """One respondent's personal link: an organisation, an e-mail contact, or a visitor of the
    open link. The token is never stored: it is an HMAC of ``key`` under the secret key
    (``ssehub.surveys.tokens``), so reminders can rebuild the same link and a forged token
    fails a constant-time comparison."""

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("organisation")
        CONTACT = "contact", _("e-mail contact")
        OPEN = "open", _("open link")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations",
                               verbose_name=_("survey"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=32, unique=True)
    organisation = models.ForeignKey("core.Organisation", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    email = models.CharField(_("e-mail addresses"), max_length=1000, blank=True,
                             help_text=_("Separated by commas."))
    name = models.CharField(_("name"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    sent = models.DateTimeField(_("invitation sent"), null=True, blank=True)
    last_reminded = models.DateTimeField(_("last reminder"), null=True, blank=True)
    reminders = models.PositiveIntegerField(_("reminders sent"), default=0)

    class Meta:
        ordering = ["survey", "name", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["survey", "organisation"],
                                    condition=models.Q(organisation__isnull=False),
                                    name="surveys_invitation_one_per_organisation"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.key

    def emails(self) -> list[str]:
        return [e.strip() for e in self.email.split(",") if e.strip()]


class Response(models.Model):
    class Status(models.TextChoices):
        PARTIAL = "partial", _("partial")
        COMPLETE = "complete", _("complete")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses",
                               verbose_name=_("survey"))
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="responses",
                                verbose_name=_("form version"))
    invitation = models.OneToOneField(Invitation, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="response",
                                      verbose_name=_("invitation"))
    organisation = models.ForeignKey("core.Organisation", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("organisation"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PARTIAL)
    language = models.CharField(_("language"), max_length=100, blank=True)
    data = models.JSONField(_("answers"), default=dict)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    started = models.DateTimeField(_("started"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    submitted = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(fields=["survey", "organisation"],
                                    condition=models.Q(organisation__isnull=False),
                                    name="surveys_response_one_per_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.name} #{self.pk}"


class Answer(models.Model):
    """One answer (one chosen choice for a multiple choice) in typed columns."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=255)
    repeat = models.CharField(max_length=255, blank=True,
                              help_text="The enclosing repeat group's name, '' at the top.")
    instance = models.CharField(max_length=64, blank=True,
                                help_text="1-based position in each enclosing repeat: '2' "
                                          "or '2.1'; '' at the top.")
    text = models.TextField(blank=True)
    number = models.FloatField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    choice = models.CharField(max_length=255, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["question", "choice"],
                                name="surveys_answer_question")]

    def __str__(self) -> str:
        return f"{self.question}: {self.text[:60]}"


class Code(models.Model):
    """An editor's theme for open answers of one question (e.g. "access to finance")."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="codes")
    question = models.CharField(_("question"), max_length=255)
    label = models.CharField(_("theme"), max_length=200)
    answers = models.ManyToManyField(Answer, blank=True, related_name="codes")

    class Meta:
        ordering = ["question", "label"]
        constraints = [models.UniqueConstraint(fields=["survey", "question", "label"],
                                               name="surveys_code_unique")]

    def __str__(self) -> str:
        return self.label


class Report(models.Model):
    """A published analysis: the HTML page as it was rendered, and its library item."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="reports")
    title = models.CharField(_("title"), max_length=255)
    questions = models.JSONField(_("questions shown"), default=list)
    crosstab = models.CharField(_("cross-tabulated against"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=100, blank=True)
    html = models.TextField()
    item = models.ForeignKey("library.Item", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.title
