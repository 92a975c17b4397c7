"""Survey write paths and their permission checks: invitations, reminders, responses.

Views, the ``ssehub survey`` command and the scheduler all call these functions, so the rules
hold everywhere: only editors invite, remind, see the dashboard or export; a respondent is
whoever holds a genuine personal token (``ssehub.surveys.tokens``) and may only read and change
that one response, until the survey's deadline. ``actor=None`` is the system (a shell command
run by the operator).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ssehub.core.models import Organisation
from ssehub.core.roles import is_editor, require
from ssehub.surveys import conf, tokens
from ssehub.surveys.models import Answer, Invitation, Response, Survey
from ssehub.surveys.submission import Cleaned, answer_rows, clean
from ssehub.surveys.writelock import write_transaction

logger = logging.getLogger(__name__)
SYSTEM = None

SILENT, PARTIAL, COMPLETE = "silent", "partial", "complete"


class SurveyClosed(Exception):
    """The deadline has passed: answers can no longer be changed."""


class EditConflict(Exception):
    """Someone saved this response since the respondent loaded it (compare-and-set lost)."""


class InvalidToken(Exception):
    """The link is not a genuine personal link of this hub."""


def require_editor(actor: Any) -> None:
    """Managing a survey (inviting, reminding, dashboard, exports, reports) is editors' work."""
    if actor is SYSTEM:
        return
    require(is_editor(actor), _("Only editors can manage surveys."))


def is_open(survey: Survey, now: dt.datetime | None = None) -> bool:
    return survey.deadline is None or (now or timezone.now()) <= survey.deadline


# --------------------------------------------------------------------------- invitations

def contact_emails(organisation: Organisation) -> list[str]:
    """An organisation's contacts: the e-mail addresses of its members' accounts."""
    emails = organisation.memberships.filter(user__is_active=True).exclude(user__email="")
    return sorted(set(emails.values_list("user__email", flat=True)))


def invite_organisations(survey: Survey, organisations: Iterable[Organisation], *,
                         actor: Any = SYSTEM) -> list[Invitation]:
    """One invitation per organisation (again for the same one changes nothing)."""
    require_editor(actor)
    created = []
    for organisation in organisations:
        invitation, made = Invitation.objects.get_or_create(
            survey=survey, organisation=organisation,
            defaults={"kind": Invitation.Kind.ORGANISATION, "key": tokens.new_key(),
                      "name": str(organisation)[:255],
                      "email": ", ".join(contact_emails(organisation))[:1000]})
        if made:
            created.append(invitation)
    return created


def invite_task_force(survey: Survey, *, actor: Any = SYSTEM) -> list[Invitation]:
    """Every Task Force member and observer."""
    roles = [Organisation.Role.MEMBER, Organisation.Role.OBSERVER]
    return invite_organisations(survey, Organisation.objects.filter(role__in=roles),
                                actor=actor)


def invite_contacts(survey: Survey, contacts: Iterable[tuple[str, str]], *,
                    actor: Any = SYSTEM) -> list[Invitation]:
    """(name, e-mail) pairs; an address already invited to this survey is skipped."""
    require_editor(actor)
    known = set(survey.invitations.filter(kind=Invitation.Kind.CONTACT)
                .values_list("email", flat=True))
    created = []
    for name, email in contacts:
        email = email.strip()
        if not email or email in known:
            continue
        known.add(email)
        created.append(Invitation.objects.create(
            survey=survey, kind=Invitation.Kind.CONTACT, key=tokens.new_key(),
            name=(name or email)[:255], email=email[:1000]))
    return created


def enable_open_link(survey: Survey, *, actor: Any = SYSTEM) -> str:
    """Let anyone answer through one public link (each visitor gets a personal link)."""
    require_editor(actor)
    if not survey.open_key:
        survey.open_key = tokens.new_key()
        survey.save(update_fields=["open_key", "updated"])
    return survey.open_key


def start_open_invitation(survey: Survey) -> Invitation:
    """A visitor of the open link starts answering: they get their own personal link."""
    return Invitation.objects.create(survey=survey, kind=Invitation.Kind.OPEN,
                                     key=tokens.new_key())


def link(invitation: Invitation) -> str:
    """The absolute personal link (for e-mails; pages build theirs from the request)."""
    path = reverse("surveys:respond", args=[tokens.token_for(invitation.key)])
    return f"{settings.SSEHUB_BASE_URL}{path}"


def invitation_for_token(token: str) -> Invitation:
    """The invitation of a genuine token; ``InvalidToken`` for anything else."""
    key = tokens.split(token)
    invitation = (Invitation.objects.select_related("survey", "organisation")
                  .filter(key=key).first() if key else None)
    if invitation is None:
        raise InvalidToken(token)
    return invitation


def status_of(invitation: Invitation) -> str:
    response = getattr(invitation, "response", None)
    if response is None:
        return SILENT
    return COMPLETE if response.status == Response.Status.COMPLETE else PARTIAL


HUB_LANGUAGES = ("en", "fr", "es")
_CODE_IN_NAME = re.compile(r"\((\w{2,3})\)\s*$")


def mail_languages(invitation: Invitation) -> list[str]:
    """The languages of an invitation's e-mail: the one the respondent answered in when the
    form was started (its form language, "French (fr)"), else all of the hub's, so that a
    silent member reads it whichever of them it works in."""
    response = getattr(invitation, "response", None)
    match = _CODE_IN_NAME.search(response.language) if response and response.language else None
    code = match.group(1).lower() if match else ""
    return [code] if code in HUB_LANGUAGES else list(HUB_LANGUAGES)


def _message(invitation: Invitation, reminder: bool) -> tuple[str, list[str]]:
    """Subject and lines of the e-mail, in the active language."""
    survey = invitation.survey
    subject = (_("Reminder: %(title)s") if reminder else _("Survey: %(title)s")) % {
        "title": survey.title or survey.name}
    lines = [_("Dear colleagues,"), "",
             _("You are invited to answer the survey \"%(title)s\" on behalf of "
               "%(name)s.") % {"title": survey.title or survey.name,
                              "name": invitation.name or _("your organisation")},
             _("Your personal link (you can save and come back to it later):"),
             link(invitation)]
    if survey.deadline:
        lines.append(_("Answers can be changed until %(deadline)s (UTC).") % {
            "deadline": survey.deadline.strftime("%Y-%m-%d %H:%M")})
    return subject, lines


def _mail(invitation: Invitation, reminder: bool) -> bool:
    recipients = invitation.emails()
    if not recipients:
        return False
    parts = []
    for language in mail_languages(invitation):
        with translation.override(language):
            parts.append(_message(invitation, reminder))
    subject = " / ".join(dict.fromkeys(part[0] for part in parts))
    body = "\n\n----\n\n".join("\n".join(lines) for _subject, lines in parts)
    send_mail(subject, body, None, recipients)
    return True


def send_invitations(survey: Survey, *, actor: Any = SYSTEM) -> int:
    """E-mail every invitation not sent yet; the number of invitations sent."""
    require_editor(actor)
    count = 0
    for invitation in survey.invitations.filter(sent__isnull=True).exclude(
            kind=Invitation.Kind.OPEN):
        if _mail(invitation, reminder=False):
            invitation.sent = timezone.now()
            invitation.save(update_fields=["sent"])
            count += 1
    return count


def remind(survey: Survey, *, actor: Any = SYSTEM, due_only: bool = False,
           now: dt.datetime | None = None) -> list[Invitation]:
    """E-mail those who have not started or not finished (never the complete ones).

    ``due_only``: only those whose last message (invitation or reminder) is older than
    ``SSEHUB_SURVEY_REMINDER_DAYS``, for the scheduler and ``--due``.
    """
    require_editor(actor)
    now = now or timezone.now()
    if not is_open(survey, now):
        return []
    gap = dt.timedelta(days=conf.get("SSEHUB_SURVEY_REMINDER_DAYS"))
    reminded = []
    queryset = (survey.invitations.exclude(kind=Invitation.Kind.OPEN)
                .exclude(response__status=Response.Status.COMPLETE)
                .select_related("survey"))
    for invitation in queryset:
        last = invitation.last_reminded or invitation.sent
        if due_only and last is not None and now - last < gap:
            continue
        if _mail(invitation, reminder=True):
            Invitation.objects.filter(pk=invitation.pk).update(
                last_reminded=now, reminders=F("reminders") + 1,
                sent=invitation.sent or now)
            reminded.append(invitation)
    return reminded


def remind_due(now: dt.datetime | None = None) -> int:
    """Every open survey's due reminders (the scheduler's job); the number sent."""
    now = now or timezone.now()
    total = 0
    for survey in Survey.objects.filter(deadline__gt=now):
        total += len(remind(survey, due_only=True, now=now))
    return total


def dashboard(survey: Survey, *, actor: Any) -> list[dict[str, Any]]:
    """Who is silent, partial or complete, with the date of their last reminder."""
    require_editor(actor)
    rows = []
    for invitation in (survey.invitations.exclude(kind=Invitation.Kind.OPEN, response=None)
                       .select_related("organisation", "response")):
        response = getattr(invitation, "response", None)
        rows.append({"invitation": invitation, "status": status_of(invitation),
                     "updated": response.updated if response else None,
                     "last_reminded": invitation.last_reminded,
                     "reminders": invitation.reminders})
    return rows


# --------------------------------------------------------------------------- responses

@dataclass
class SaveResult:
    response: Response | None
    cleaned: Cleaned
    saved: bool


def response_of(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation=invitation).select_related("version").first()


def save_response(invitation: Invitation, post: Any, files: Any = None, *, final: bool,
                  revision: int | None, language: str = "",
                  now: dt.datetime | None = None) -> SaveResult:
    """Validate and store the token holder's answers.

    ``revision`` is the response's revision the respondent's page was built from (0 for a
    new response): the update is a compare-and-set on it, so of two simultaneous saves one
    wins and the other raises ``EditConflict``. A final save with errors stores nothing; a
    partial save stores the valid answers (required questions may still be empty).
    """
    now = now or timezone.now()
    survey = invitation.survey
    if not is_open(survey, now):
        raise SurveyClosed(survey.name)
    existing = response_of(invitation)
    if (existing.revision if existing else 0) != (revision or 0):
        raise EditConflict(invitation.key)
    version = existing.version if existing else survey.latest
    if version is None:
        raise SurveyClosed(survey.name)
    cleaned = clean(version.form(), post, files, language=language, final=final,
                    previous=existing.data if existing else None, now=now)
    if final and not cleaned.valid:
        return SaveResult(existing, cleaned, False)
    with write_transaction():
        response = _store(invitation, existing, version, cleaned, final=final,
                          revision=revision, language=language, now=now)
    return SaveResult(response, cleaned, True)


def save_open_response(survey: Survey, post: Any, files: Any = None, *, final: bool,
                       language: str = "", now: dt.datetime | None = None
                       ) -> tuple[Invitation | None, SaveResult]:
    """A visitor of the open link saves for the first time: validated once, then their
    invitation and response are created in one transaction (nothing when a final
    submission has errors)."""
    now = now or timezone.now()
    version = survey.latest
    if not survey.open_key or version is None or not is_open(survey, now):
        raise SurveyClosed(survey.name)
    cleaned = clean(version.form(), post, files, language=language, final=final, now=now)
    if final and not cleaned.valid:
        return None, SaveResult(None, cleaned, False)
    with write_transaction():
        invitation = start_open_invitation(survey)
        response = _store(invitation, None, version, cleaned, final=final, revision=0,
                          language=language, now=now)
    return invitation, SaveResult(response, cleaned, True)


def _store(invitation: Invitation, existing: Response | None, version: Any, cleaned: Cleaned,
           *, final: bool, revision: int | None, language: str, now: dt.datetime) -> Response:
    """Write a validated response and its answer rows (inside the caller's transaction)."""
    survey = invitation.survey
    if cleaned.unknown:
        logger.info("survey %s: ignored unknown fields %s", survey.name, cleaned.unknown[:20])
    status = Response.Status.COMPLETE if final else Response.Status.PARTIAL
    from ssehub.library import storage

    for digest, data in cleaned.blobs:
        storage.store(data, digest)
    if existing is None:
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    survey=survey, version=version, invitation=invitation,
                    organisation=invitation.organisation, status=status,
                    language=language[:100], data=cleaned.data, revision=1,
                    submitted=now if final else None)
        except IntegrityError as exc:
            raise EditConflict(invitation.key) from exc
    else:
        changed = Response.objects.filter(pk=existing.pk, revision=revision).update(
            data=cleaned.data, status=status, language=language[:100], updated=now,
            revision=F("revision") + 1,
            submitted=now if final else existing.submitted)
        if not changed:
            raise EditConflict(invitation.key)
        response = Response.objects.get(pk=existing.pk)
    kept = _codes_of(response)
    Answer.objects.filter(response=response).delete()
    answers = Answer.objects.bulk_create(
        Answer(response=response, **row) for row in answer_rows(version.form(),
                                                                cleaned.data))
    _restore_codes(answers, kept)
    return response


def _answer_key(answer: Answer) -> tuple[str, str, str, str]:
    return answer.question, answer.repeat, answer.instance, answer.text


def _codes_of(response: Response) -> dict[tuple[str, str, str, str], list[int]]:
    """Editors' themes on a response's answers, so that an edit keeps those still true."""
    through = Answer.codes.through
    kept: dict[tuple[str, str, str, str], list[int]] = {}
    for link in through.objects.filter(answer__response=response).select_related("answer"):
        kept.setdefault(_answer_key(link.answer), []).append(link.code_id)
    return kept


def _restore_codes(answers: list[Answer],
                   kept: dict[tuple[str, str, str, str], list[int]]) -> None:
    if not kept:
        return
    through = Answer.codes.through
    through.objects.bulk_create(
        through(answer_id=answer.pk, code_id=code_id)
        for answer in answers for code_id in kept.get(_answer_key(answer), []))


def responses_for_editor(survey: Survey, *, actor: Any):
    """All responses of a survey (editors only)."""
    require_editor(actor)
    return survey.responses.all()


def uploaded_file(survey: Survey, sha256: str, *, actor: Any) -> dict[str, Any]:
    """An uploaded answer's metadata (filename, size, type), for editors only, and only if
    a response of this survey holds that file."""
    require_editor(actor)
    from ssehub.library import storage

    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise LookupError(sha256)
    for data in survey.responses.filter(data__icontains=sha256).values_list("data", flat=True):
        found = _find_file(data, sha256)
        if found is not None and storage.exists(sha256):
            return found
    raise LookupError(sha256)


def _find_file(value: Any, sha256: str) -> dict[str, Any] | None:
    if isinstance(value, dict):
        if value.get("sha256") == sha256 and "filename" in value:
            return value
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _find_file(item, sha256)
            if found is not None:
                return found
    return None
