"""E-mail about a harvest that went wrong, to the addresses its source lists.

Why: a run's errors on the status page are seen only by whoever looks, and a source that has
failed every night for a month is the complaint of harvesting platforms' users ("errors that
nobody sees", data.gov#3532). Whoever looks after a source (an editor, the partner platform's
webmaster) puts an address in it and hears of a run that did not complete, or that skipped
records, with the causes. A run that went well sends nothing.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ssehub.harvest.models import Run, Source

logger = logging.getLogger(__name__)

ERRORS_IN_MAIL = 20
_SEPARATORS = re.compile(r"[\s,;]+")


def addresses(text: str) -> list[str]:
    """The addresses of a source's ``notify`` field, checked: :class:`ValidationError` naming
    each one that is not an e-mail address."""
    found = _split(text)
    bad = [address for address in found if not _valid(address)]
    if bad:
        raise ValidationError(_("not an e-mail address: %(addresses)s")
                              % {"addresses": ", ".join(bad)})
    return found


def run_finished(run: Run) -> bool:
    """Tell the source's addresses about ``run`` if it did not complete or records failed;
    whether a message was sent. A mail server that refuses is logged: the run is stored and
    on the status page either way, and a harvest must not fail because of its report."""
    source: Source = run.source
    to = [address for address in _split(source.notify) if _valid(address)]
    if not to or (run.outcome == Run.Outcome.COMPLETE and not run.failed):
        return False
    context = {
        "source": source, "run": run,
        # The reason a run stopped is said once, above the list.
        "errors": list(run.errors.exclude(record="", error=run.message)[:ERRORS_IN_MAIL]),
        "status_url": settings.SSEHUB_BASE_URL + reverse("harvest:status"),
        "run_url": settings.SSEHUB_BASE_URL + reverse("admin:harvest_run_change",
                                                      args=[run.pk]),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("harvest/email/problem_subject.txt", context)
        body = render_to_string("harvest/email/problem.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, to)
    except Exception:
        logger.exception("harvest of %s: the report to %s could not be sent", source.name,
                         ", ".join(to))
        return False
    return True


def _split(text: str) -> list[str]:
    return list(dict.fromkeys(part for part in _SEPARATORS.split(text or "") if part))


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True
