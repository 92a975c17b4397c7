"""E-mails of the calls (Django mail: tests read them from the locmem outbox).

Each message is rendered in its recipient's language (their calls profile, else the paper's
language when the hub speaks it, else English), so a French author reads a French decision.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ssehub.calls.models import Profile, Review, Submission


def _language(user, fallback: str = "en") -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    prof = Profile.objects.filter(user=user).first() if user is not None else None
    if prof and prof.language in codes:
        return prof.language
    return fallback if fallback in codes else "en"


def _send(template: str, context: dict, to: list[str], language: str) -> None:
    to = [address for address in to if address]
    if not to:
        return
    with translation.override(language):
        context = {**context, "base_url": settings.SSEHUB_BASE_URL}
        subject = render_to_string(f"calls/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"calls/email/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, to)


def _url(name: str, *args) -> str:
    return settings.SSEHUB_BASE_URL + reverse(name, args=args)


def receipt(submission: Submission) -> None:
    user = submission.submitter
    version = submission.latest_version
    _send("receipt", {"submission": submission, "call": submission.call, "version": version,
                      "url": _url("calls:my_submission", submission.pk)},
          [user.email], _language(user, submission.language))


def reminder(review_user, submission: Submission, deadline_text: str) -> None:
    _send("reminder", {"submission": submission, "call": submission.call,
                       "deadline": deadline_text,
                       "url": _url("calls:review", submission.pk)},
          [review_user.email], _language(review_user))


def all_reviews_in(submission: Submission, managers: list) -> None:
    for user in managers:
        _send("all_in", {"submission": submission, "call": submission.call,
                         "url": _url("calls:paper", submission.pk)},
              [user.email], _language(user))


def decision(submission: Submission) -> None:
    """The decision, with the reviews' text meant for authors and the meta-review; never a
    reviewer's name."""
    call = submission.call
    author_fields = [f for f in call.text_fields if f.get("audience") == "authors"]
    reviews = []
    for n, review in enumerate(Review.objects.filter(submission=submission,
                                                     submitted_at__isnull=False), start=1):
        texts = [(f["label"], review.texts.get(f["key"], "")) for f in author_fields
                 if review.texts.get(f["key"])]
        reviews.append({"number": n, "texts": texts})
    meta = getattr(submission, "meta_review", None)
    recipients = {submission.submitter.email} | {a.email for a in submission.authors.all()}
    _send("decision", {"submission": submission, "call": call, "reviews": reviews,
                       "meta": meta.text if meta else "",
                       "url": _url("calls:my_submission", submission.pk)},
          sorted(recipients), _language(submission.submitter, submission.language))
