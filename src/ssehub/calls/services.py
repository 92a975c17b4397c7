"""Calls and submissions: create a call and its committee, submit, revise, declare conflicts.

Every write path of the calls app starts here (views, commands and tests call the same
functions), so deadlines, permissions and validation hold wherever the request came from.
``actor=None`` is the operator at the command line.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ssehub.calls import blind, notifications, permissions
from ssehub.calls.models import (
    Author,
    Call,
    CallRole,
    Conflict,
    Profile,
    Submission,
    SubmissionVersion,
)
from ssehub.core.roles import is_editor, require
from ssehub.library import storage


class WorkflowError(ValueError):
    """A request the call's rules refuse (a deadline passed, a bad ORCID...): the message is
    shown to the user as it is."""


MAX_ABSTRACT = 10_000
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def orcid_valid(value: str) -> bool:
    """ORCID iD with its ISO 7064 MOD 11-2 check digit."""
    value = value.strip().removeprefix("https://orcid.org/")
    if not ORCID_RE.match(value):
        return False
    digits = value.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def profile(user) -> Profile:
    prof, _created = Profile.objects.get_or_create(user=user)
    return prof


def user_timezone(user, call: Call | None = None) -> str:
    if user is not None and user.is_authenticated:
        prof = Profile.objects.filter(user=user).first()
        if prof and prof.timezone:
            return prof.timezone
    return call.timezone if call else "UTC"


def show_date(value, tz: str) -> str:
    """A moment in a named time zone, with the zone's name: deadlines are never ambiguous."""
    local = value.astimezone(zoneinfo.ZoneInfo(tz))
    return f"{formats.date_format(local, 'Y-m-d H:i')} ({tz}, UTC{local.strftime('%z')[:3]}:" \
           f"{local.strftime('%z')[3:]})"


# -- calls and committees --------------------------------------------------------------------

@transaction.atomic
def create_call(data: dict[str, Any], *, actor=None) -> Call:
    """A new call: site editors only (a call is the Task Force's, not a member's)."""
    if actor is not None:
        require(is_editor(actor), _("Only editors can create a call."))
    call = Call(**data, created_by=actor if actor is not None else None)
    call.full_clean()
    call.save()
    if actor is not None:
        CallRole.objects.get_or_create(call=call, user=actor, role=CallRole.Role.CHAIR)
    return call


@transaction.atomic
def update_call(call: Call, data: dict[str, Any], *, actor=None) -> Call:
    """Change a call's description, dates and review form: its chairs and site editors."""
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs can do this."))
    for key, value in data.items():
        if key != "slug":
            setattr(call, key, value)
    call.full_clean()
    call.save()
    return call


@transaction.atomic
def add_member(call: Call, user, role: str, *, actor=None, topics: list[str] | None = None
               ) -> CallRole:
    """Put a user on the call's organising committee (chair, committee member or reviewer)."""
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs can do this."))
    if role not in CallRole.Role.values:
        raise WorkflowError(_("Unknown role %(role)s.") % {"role": role})
    member, _created = CallRole.objects.get_or_create(call=call, user=user, role=role)
    if topics is not None:
        member.topics = topics
        member.save(update_fields=["topics"])
    return member


@transaction.atomic
def set_topics(call: Call, user, topics: list[str]) -> None:
    """A reviewer's own declaration of the topics they review."""
    updated = CallRole.objects.filter(call=call, user=user, role=CallRole.Role.REVIEWER).update(
        topics=[t.strip() for t in topics if t.strip()][:50])
    require(bool(updated), _("You are not a reviewer of this call."))


# -- submissions --------------------------------------------------------------------------------

@dataclass
class AuthorData:
    name: str
    email: str
    affiliation: str = ""
    orcid: str = ""


def suggest_sdgs(title: str, abstract: str, language: str | None = None) -> list[int]:
    """The SDG mapper's goals for a paper, to pre-fill the submission form."""
    from ssehub.sdg.mapper import classify

    result = classify(f"{title}\n\n{abstract}", lang=language or None)
    return sorted(g.goal for g in result.goals if g.status in ("confirmed", "suggested"))[:6]


def _check_open(call: Call, user, deadline_field: str, what: str) -> None:
    now = timezone.now()
    deadline = getattr(call, deadline_field)
    tz = user_timezone(user, call)
    if now < call.opens_at:
        raise WorkflowError(_("The call opens on %(date)s.") % {
            "date": show_date(call.opens_at, tz)})
    if now > deadline:
        raise WorkflowError(_("The %(what)s deadline has passed: it was %(date)s.") % {
            "what": what, "date": show_date(deadline, tz)})


def _validate(call: Call, data: dict[str, Any], authors: list[AuthorData]) -> None:
    errors = []
    if not data.get("title", "").strip() or not data.get("abstract", "").strip():
        errors.append(_("A title and an abstract are required."))
    if len(data.get("abstract", "")) > MAX_ABSTRACT:
        errors.append(_("The abstract is longer than %(n)s characters.") % {"n": MAX_ABSTRACT})
    try:
        goals = {int(g) for g in data.get("sdgs") or []}
    except (TypeError, ValueError):
        goals = {0}
    if not goals <= set(range(1, 18)):
        errors.append(_("SDGs are numbers from 1 to 17."))
    if call.languages and data.get("language") not in call.languages:
        errors.append(_("This call accepts papers in: %(langs)s.") % {
            "langs": ", ".join(call.languages)})
    if not authors:
        errors.append(_("A submission needs at least one author."))
    for author in authors:
        if not author.name.strip() or "@" not in author.email:
            errors.append(_("Each author needs a name and an e-mail address."))
        if author.orcid and not orcid_valid(author.orcid):
            errors.append(_("%(orcid)s is not a valid ORCID iD (its check digit is wrong or "
                            "its form is not 0000-0000-0000-000X).") % {"orcid": author.orcid})
    if errors:
        raise WorkflowError(" ".join(errors))


def _set_authors(submission: Submission, authors: list[AuthorData]) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    submission.authors.all().delete()
    for i, a in enumerate(authors):
        account = users.filter(email__iexact=a.email.strip()).first() if a.email else None
        Author.objects.create(submission=submission, position=i, user=account,
                              name=a.name.strip()[:300], email=a.email.strip()[:254],
                              affiliation=a.affiliation.strip()[:300],
                              orcid=a.orcid.strip().removeprefix("https://orcid.org/"))


def store_pdf(submission: Submission, data: bytes, filename: str,
              kind: str = SubmissionVersion.Kind.SUBMISSION) -> SubmissionVersion:
    """Keep a new version (never overwrite one), with its blind copy and the name check."""
    pages = blind.check_pdf(data, submission.call.file_limit)
    digest = storage.store(data)
    blind_data = blind.blind_copy(data)
    blind_digest = storage.store(blind_data)
    last = submission.versions.filter(kind=kind).order_by("-number").first()
    version = SubmissionVersion.objects.create(
        submission=submission, kind=kind, number=(last.number + 1) if last else 1,
        sha256=digest, blind_sha256=blind_digest, size=len(data),
        filename=(filename or "paper.pdf")[-255:], text="\n\n".join(pages)[:1_000_000])
    names = [a.name for a in submission.authors.all()]
    found = blind.names_on_first_page(pages[0] if pages else "", names)
    submission.blind_warnings = found
    submission.save(update_fields=["blind_warnings", "updated_at"])
    return version


@transaction.atomic
def submit(call: Call, actor, data: dict[str, Any], authors: list[AuthorData],
           pdf: tuple[str, bytes] | None = None) -> Submission:
    """A new submission, before the abstract deadline; the receipt goes to the submitter."""
    require(actor is not None and actor.is_authenticated,
            _("Log in to submit: each author has an account."))
    _check_open(call, actor, "abstract_deadline", _("abstract"))
    _validate(call, data, authors)
    submission = Submission.objects.create(
        call=call, submitter=actor, title=data["title"].strip()[:500],
        abstract=data["abstract"].strip(), keywords=_keywords(data.get("keywords")),
        sdgs=sorted({int(g) for g in data.get("sdgs") or []}), language=data["language"])
    _set_authors(submission, authors)
    if pdf is not None:
        try:
            store_pdf(submission, pdf[1], pdf[0])
        except blind.FileRejected as exc:
            raise WorkflowError(str(exc)) from exc
    transaction.on_commit(lambda: notifications.receipt(submission))
    return submission


def _keywords(value) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[;,\n]+", value)
    return list(dict.fromkeys(k.strip() for k in value or [] if k and k.strip()))[:20]


@transaction.atomic
def revise(submission: Submission, actor, data: dict[str, Any] | None = None,
           authors: list[AuthorData] | None = None, pdf: tuple[str, bytes] | None = None
           ) -> Submission:
    """Authors change their submission until the full-paper deadline; each PDF is a version."""
    require(permissions.is_author(actor, submission), _("Only its authors can revise a paper."))
    if submission.withdrawn:
        raise WorkflowError(_("This paper is withdrawn."))
    _check_open(submission.call, actor, "paper_deadline", _("full-paper"))
    if data is not None:
        _validate(submission.call, data, authors if authors is not None else [
            AuthorData(a.name, a.email) for a in submission.authors.all()])
        submission.title = data["title"].strip()[:500]
        submission.abstract = data["abstract"].strip()
        submission.keywords = _keywords(data.get("keywords"))
        submission.sdgs = sorted({int(g) for g in data.get("sdgs") or []})
        submission.language = data["language"]
        submission.save()
    if authors is not None:
        _set_authors(submission, authors)
    if pdf is not None:
        try:
            store_pdf(submission, pdf[1], pdf[0])
        except blind.FileRejected as exc:
            raise WorkflowError(str(exc)) from exc
    return submission


@transaction.atomic
def withdraw(submission: Submission, actor) -> Submission:
    """Authors withdraw a paper before its decision: it leaves assignment and reviewing, and
    is kept (with its versions) for the record."""
    require(permissions.is_author(actor, submission), _("Only its authors can withdraw a paper."))
    if submission.decision:
        raise WorkflowError(_("A paper with a decision cannot be withdrawn."))
    submission.withdrawn = True
    submission.save(update_fields=["withdrawn", "updated_at"])
    submission.assignments.filter(confirmed=False).delete()
    return submission


@transaction.atomic
def declare_conflict(submission: Submission, user, *, actor, reason: str = "") -> Conflict:
    """Authors name committee members they conflict with; a reviewer declares their own."""
    if permissions.is_author(actor, submission):
        source = Conflict.Source.AUTHOR
    elif actor == user:
        source = Conflict.Source.REVIEWER
    elif permissions.is_manager(actor, submission.call):
        source = Conflict.Source.CHAIR
    else:
        raise PermissionDenied(_("You may not declare this conflict."))
    conflict, _created = Conflict.objects.get_or_create(
        submission=submission, user=user, source=source, defaults={"reason": reason[:300]})
    submission.assignments.filter(reviewer=user).delete()
    return conflict


def get_submission_for(user, submission_id: int) -> Submission:
    """The submission, if the user may open it at all (403 otherwise: a conflicted member
    typing a paper's URL gets nothing)."""
    submission = Submission.objects.select_related("call").get(pk=submission_id)
    require(permissions.can_view_paper(user, submission), _("You may not open this paper."))
    return submission
