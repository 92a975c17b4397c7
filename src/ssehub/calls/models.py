"""Calls for papers: the call, its committee and review form, submissions and their versions,
conflicts, bids, assignments, reviews, decisions and the conference programme.

A call owns its workflow; accepted papers leave it as library Items (``publication.py``).
Dates are stored in UTC and shown in the call's (or the reader's) time zone, which is explicit.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("%(tz)s is not a known time zone."), params={"tz": value}) from exc


RESERVED_SLUGS = frozenset({"new", "profile", "mine", "paper"})  # /calls/<these>/ are pages


def validate_slug(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("%(slug)s is reserved: choose another short name."),
                              params={"slug": value})


def default_criteria() -> list[dict]:
    return [
        {"key": "relevance", "label": "Relevance to the call", "min": 1, "max": 5, "weight": 1.0},
        {"key": "rigour", "label": "Rigour and evidence", "min": 1, "max": 5, "weight": 1.0},
        {"key": "clarity", "label": "Clarity", "min": 1, "max": 5, "weight": 0.5},
    ]


def default_text_fields() -> list[dict]:
    return [
        {"key": "comments", "label": "Comments for the authors", "audience": "authors"},
        {"key": "confidential", "label": "Confidential comments for the committee",
         "audience": "committee"},
    ]


def review_form_problems(criteria, text_fields) -> list[str]:
    """What is wrong with a review form typed as JSON in the back office (empty: nothing).
    A bad form would break every reviewer's page, so it is refused when saved."""
    problems: list[str] = []
    keys: set[str] = set()
    if not isinstance(criteria, list) or not isinstance(text_fields, list):
        return [str(_("The criteria and the text fields are lists."))]
    for c in criteria:
        if not isinstance(c, dict) or not str(c.get("key", "")).isidentifier() \
                or not c.get("label"):
            problems.append(str(_("Each criterion needs a key (letters, digits, _) and a "
                                  "label.")))
            continue
        try:
            low, high, weight = int(c["min"]), int(c["max"]), float(c.get("weight", 1))
        except (KeyError, TypeError, ValueError):
            problems.append(str(_("Criterion %(key)s needs whole numbers min and max.")
                                % {"key": c["key"]}))
            continue
        if low >= high or weight < 0:
            problems.append(str(_("Criterion %(key)s: min must be below max and the weight "
                                  "positive.") % {"key": c["key"]}))
        keys.add(c["key"])
    if len(keys) != len(criteria):
        problems.append(str(_("Two criteria have the same key.")))
    for f in text_fields:
        if not isinstance(f, dict) or not str(f.get("key", "")).isidentifier() \
                or not f.get("label") or f.get("audience") not in ("authors", "committee"):
            problems.append(str(_('Each text field needs a key, a label and an audience, '
                                  '"authors" or "committee".')))
    return problems


class Call(models.Model):
    """One call for papers and its conference (the Task Force repeats one every three years)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True, validators=[validate_slug])
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    sdgs = models.JSONField(_("SDGs"), default=list, blank=True)
    languages = models.JSONField(_("languages accepted"), default=list, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                validators=[validate_timezone])
    opens_at = models.DateTimeField(_("opens"))
    abstract_deadline = models.DateTimeField(_("abstract deadline"))
    paper_deadline = models.DateTimeField(_("full-paper deadline"))
    review_deadline = models.DateTimeField(_("review deadline"))
    notification_date = models.DateTimeField(_("notification"))
    conference_start = models.DateTimeField(_("conference starts"))
    conference_end = models.DateTimeField(_("conference ends"))
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    reviews_per_paper = models.PositiveSmallIntegerField(_("reviews per paper"), default=3)
    min_load = models.PositiveSmallIntegerField(_("minimum papers per reviewer"), default=0)
    max_load = models.PositiveSmallIntegerField(_("maximum papers per reviewer"), default=6)
    max_file_bytes = models.PositiveIntegerField(_("largest PDF (bytes)"), default=20 * 1024 * 1024)
    criteria = models.JSONField(_("scored criteria"), default=default_criteria,
                                help_text=_("[{key, label, min, max, weight}]"))
    text_fields = models.JSONField(_("free-text fields"), default=default_text_fields, blank=True,
                                   help_text=_('[{key, label, audience: "authors" or '
                                               '"committee"}]'))
    series = models.CharField(_("working paper series"), max_length=200,
                              default="UNTFSSE Working Papers")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("call for papers")
        verbose_name_plural = _("calls for papers")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("calls:detail", args=[self.slug])

    @property
    def file_limit(self) -> int:
        """The call's own PDF limit, never above the hub's (SSEHUB_MAX_FILE_BYTES)."""
        return min(self.max_file_bytes, settings.SSEHUB_MAX_FILE_BYTES)

    def assignments_confirmed(self) -> bool:
        """Bidding is over once any assignment of the call is confirmed."""
        return Assignment.objects.filter(submission__call=self, confirmed=True).exists()

    def local(self, value):
        """A date of the call in the call's own time zone."""
        return value.astimezone(zoneinfo.ZoneInfo(self.timezone))

    def clean(self) -> None:
        order = [self.opens_at, self.abstract_deadline, self.paper_deadline,
                 self.review_deadline, self.notification_date, self.conference_start,
                 self.conference_end]
        if all(order) and any(a > b for a, b in zip(order, order[1:], strict=False)):
            raise ValidationError(_("The dates must follow one another: open, abstract deadline, "
                                    "full-paper deadline, review deadline, notification, "
                                    "conference."))
        if self.min_load > self.max_load:
            raise ValidationError(_("The minimum load is larger than the maximum load."))
        problems = review_form_problems(self.criteria, self.text_fields)
        if problems:
            raise ValidationError({"criteria": problems})


class CallRole(models.Model):
    """A user's role in one call. Chairs manage the call (and see authors); committee members
    follow reviews and comment without seeing who wrote a paper; reviewers review."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair (manages the call)")
        COMMITTEE = "committee", _("Committee member")
        REVIEWER = "reviewer", _("Reviewer")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="call_roles")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    min_load = models.PositiveSmallIntegerField(null=True, blank=True)
    max_load = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "user", "role"],
                                               name="unique_call_role")]
        verbose_name = _("call role")
        verbose_name_plural = _("call roles")

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} ({self.call})"


class Profile(models.Model):
    """What the calls need to know of a user: time zone and language for deadlines and e-mails,
    affiliation and ORCID for conflicts."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="calls_profile")
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                validators=[validate_timezone])
    language = models.CharField(_("language"), max_length=8, default="en")
    affiliation = models.CharField(_("affiliation"), max_length=300, blank=True)
    orcid = models.CharField(_("ORCID"), max_length=19, blank=True)

    def __str__(self) -> str:
        return str(self.user)


class Submission(models.Model):
    class Decision(models.TextChoices):
        NONE = "", _("No decision yet")
        ACCEPT = "accept", _("Accept")
        REVISIONS = "revisions", _("Accept with revisions")
        REJECT = "reject", _("Reject")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="submissions")
    submitter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="call_submissions")
    title = models.CharField(_("title"), max_length=500)
    abstract = models.TextField(_("abstract"))
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    sdgs = models.JSONField(_("SDGs"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices,
                                blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    reviews_complete_at = models.DateTimeField(null=True, blank=True)
    blind_warnings = models.JSONField(default=list, blank=True,
                                      help_text=_("Author names found in the PDF's first page."))
    number = models.PositiveIntegerField(_("working paper number"), null=True, blank=True)
    item = models.ForeignKey("library.Item", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="call_submissions")
    withdrawn = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["call", "id"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def latest_version(self) -> SubmissionVersion | None:
        return self.versions.filter(kind=SubmissionVersion.Kind.SUBMISSION).order_by(
            "-number").first()

    @property
    def camera_ready(self) -> SubmissionVersion | None:
        return self.versions.filter(kind=SubmissionVersion.Kind.CAMERA_READY).order_by(
            "-number").first()

    @property
    def accepted(self) -> bool:
        return self.decision in (self.Decision.ACCEPT, self.Decision.REVISIONS)


class Author(models.Model):
    """An author of a submission, in the order the submitter gave. Co-authors need no account,
    but an account (matched by e-mail) lets them follow the submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="authors")
    position = models.PositiveSmallIntegerField(default=0)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="call_authorships")
    name = models.CharField(_("name"), max_length=300)
    email = models.EmailField(_("e-mail"))
    affiliation = models.CharField(_("affiliation"), max_length=300, blank=True)
    orcid = models.CharField(_("ORCID"), max_length=19, blank=True)

    class Meta:
        ordering = ["submission", "position"]

    def __str__(self) -> str:
        return self.name


class SubmissionVersion(models.Model):
    """Every uploaded PDF is kept: the original (authors, chairs) and its blind copy
    (reviewers), both in the content-addressed store."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("Submission")
        CAMERA_READY = "camera", _("Camera-ready")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SUBMISSION)
    number = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    blind_sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField()
    filename = models.CharField(max_length=255)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "kind", "number"]
        constraints = [models.UniqueConstraint(fields=["submission", "kind", "number"],
                                               name="unique_submission_version")]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.kind} v{self.number}"


class Conflict(models.Model):
    """A declared conflict of interest between a committee member or reviewer and a submission
    (computed conflicts are derived on the fly, see ``conflicts.py``)."""

    class Source(models.TextChoices):
        AUTHOR = "author", _("Declared by the authors")
        REVIEWER = "reviewer", _("Declared by the reviewer")
        CHAIR = "chair", _("Recorded by a chair")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="conflicts")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="call_conflicts")
    source = models.CharField(max_length=10, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "user", "source"],
                                               name="unique_conflict")]

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.submission_id} ({self.source})"


class Bid(models.Model):
    class Level(models.TextChoices):
        EAGER = "eager", _("Eager")
        WILLING = "willing", _("Willing")
        UNWILLING = "unwilling", _("Not willing")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="bids")
    reviewer = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="call_bids")
    level = models.CharField(max_length=10, choices=Level.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "reviewer"],
                                               name="unique_bid")]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.level} {self.submission_id}"


class Assignment(models.Model):
    """A reviewer on a paper: proposed by the solver or a chair, then confirmed."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE,
                                   related_name="assignments")
    reviewer = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="call_assignments")
    confirmed = models.BooleanField(default=False)
    affinity = models.FloatField(default=0)
    manual = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "id"]
        constraints = [models.UniqueConstraint(fields=["submission", "reviewer"],
                                               name="unique_assignment")]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.submission_id}"


class Review(models.Model):
    """One review per (paper, reviewer): submitting again edits it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="call_reviews")
    scores = models.JSONField(default=dict, blank=True)
    texts = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    edits = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["submission", "id"]
        constraints = [models.UniqueConstraint(fields=["submission", "reviewer"],
                                               name="unique_review")]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.submission_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Comment(models.Model):
    """A committee comment on a paper (never shown to authors)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.submission_id}"


class MetaReview(models.Model):
    """The chair's summary of a paper's reviews, sent to the authors with the decision."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE,
                                      related_name="meta_review")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"meta-review of {self.submission_id}"


class Session(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=300)
    room = models.CharField(_("room"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    chairs = models.ManyToManyField(USER, blank=True, related_name="+", verbose_name=_("chairs"))
    chair_names = models.CharField(_("chairs (names)"), max_length=300, blank=True)
    papers = models.ManyToManyField(Submission, blank=True, related_name="sessions",
                                    verbose_name=_("papers"))

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(_("A session ends after it starts."))
