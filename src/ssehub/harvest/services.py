"""Harvest services: what the command, the status page and the scheduler all call."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ssehub.core import net
from ssehub.core.roles import is_editor, require
from ssehub.harvest import notify
from ssehub.harvest.models import Kind, Run, Source
from ssehub.harvest.runner import (
    HarvestBusy,
    Progress,
    forget_progress,
    interrupted,
    run_source,
    running,
    summary,
)
from ssehub.harvest.sources import HarvestError
from ssehub.library.models import Item, Status

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def add_source(kind: str, name: str, url: str, *, options: dict[str, Any] | None = None,
               interval_hours: int = 24, item_status: str = Status.PUBLISHED,
               notify_to: list[str] | None = None) -> Source:
    """Create or reconfigure a source (the same name twice updates it: scripts can re-run).
    ``notify_to``: the addresses told of runs that go wrong (None keeps those it has)."""
    if kind not in Kind.values:
        raise ValidationError(f"unknown type {kind!r}: use one of {', '.join(Kind.values)}")
    if not NAME_RE.match(name):
        raise ValidationError(
            f"{name!r} is not a valid name: lower-case letters, digits, '-' and '_'")
    url = check_location(kind, url, any_file=True)
    if item_status not in Status.values:
        raise ValidationError(f"unknown status {item_status!r}")
    defaults = {"kind": kind, "url": url, "options": options or {},
                "interval_hours": interval_hours, "item_status": item_status}
    if notify_to is not None:
        defaults["notify"] = "\n".join(notify.addresses(" ".join(notify_to)))
    with transaction.atomic():
        before = Source.objects.select_for_update().filter(name=name).first()
        changed = before is not None and any(
            getattr(before, field) != defaults[field] for field in RESTARTING)
        if changed:
            require_not_running(before)
        source, _created = Source.objects.update_or_create(name=name, defaults=defaults)
        if changed:
            reconfigured(source)
    return source


# What a source reads: a change to any of these makes what its runs knew (the last OAI
# datestamp, a resumption token, the records' hashes under the old mapping) wrong.
RESTARTING = ("kind", "url", "options")


def require_not_running(source: Source) -> None:
    """ValidationError while a live process harvests ``source``: its configuration is not
    changed under a run."""
    if (run := running(source)) is not None:
        raise ValidationError(_("%(name)s is being harvested by process %(pid)s; change it "
                                "when the run ends.") % {"name": source.name, "pid": run.pid})


def reconfigured(source: Source) -> None:
    """After a change of what ``source`` reads (:data:`RESTARTING`): its incremental state and
    any interrupted run are dropped, and it is harvested again from the start at the next
    pass (``requested_full``), every record compared and mapped anew.

    Why: an incremental run after a change of OAI set asked the new set only for what had
    changed since the old set's last datestamp, and missed everything older; a new URL was
    sent the old endpoint's resumption token; a new column mapping left every unchanged
    row's item as the old mapping made it."""
    forget_progress(source, "stopped: the source was reconfigured")
    source.requested_at, source.requested_full = timezone.now(), True
    source.save(update_fields=["requested_at", "requested_full"])


def check_location(kind: str, url: str, *, any_file: bool) -> str:
    """The location to store for a source of type ``kind``, or :class:`ValidationError`
    saying what is wrong with ``url``.

    Why at configuration time, when every fetch checks again: the person who types the URL
    should learn that it points inside the network (refused unless in
    ``SSEHUB_URL_ALLOWLIST``), not whoever reads a failed run the next night. A host that does
    not resolve now is accepted: the network may be down; the run says so if it still is.

    A local file (CSV/JSON sources only) is stored as an absolute path, so cron finds it from
    any folder. ``any_file`` is for the command line, run by whoever runs the server; the
    admin passes False and takes only files inside ``SSEHUB_HARVEST_FILE_DIRS``, or whoever
    may configure sources on the web site could publish any file the server can read.
    """
    url = (url or "").strip()
    if not url:
        raise ValidationError(_("a source needs a URL (or a local path for CSV/JSON)"))
    if url.lower().startswith(("http://", "https://")):
        try:
            net.resolve_checked(url)
        except net.UnresolvedHost:
            pass
        except net.FetchError as exc:
            raise ValidationError(str(exc)) from exc
        return url
    if kind != Kind.TABULAR:
        raise ValidationError(_("%(url)r is not an http(s) URL") % {"url": url})
    path = Path(url).expanduser().resolve()
    if not any_file:
        folders = [Path(d).expanduser().resolve() for d in settings.SSEHUB_HARVEST_FILE_DIRS]
        if not any(path.is_relative_to(folder) for folder in folders):
            raise ValidationError(
                _("a local file can be harvested from here only inside SSEHUB_HARVEST_FILE_DIRS "
                  "(%(folders)s); give an http(s) URL, or add the source with 'ssehub harvest "
                  "add'") % {"folders": ", ".join(map(str, folders)) or _("none is set")})
    if not path.is_file():
        raise ValidationError(_("there is no file at %(path)s") % {"path": path})
    return str(path)


def due_sources(now=None) -> list[Source]:
    now = now or timezone.now()
    return [s for s in Source.objects.filter(enabled=True) if s.is_due(now)]


def may_request_runs(user) -> bool:
    """Editors (and whoever may change sources) may have a source harvested now: it changes
    no configuration, and waiting a day for the next interval after fixing a source's
    options is what they would otherwise do."""
    return is_editor(user) or bool(user and user.has_perm("harvest.change_source"))


def require_may_request_runs(user) -> None:
    """PermissionDenied unless ``user`` may run and check sources (:func:`may_request_runs`)."""
    require(may_request_runs(user), _("Only editors may start a harvest."))


def request_runs(user, sources: list[Source], *, full: bool = False
                 ) -> tuple[list[Source], list[Source]]:
    """Have ``sources`` harvested at the scheduler's next pass (``ssehub run``) or by cron's
    ``ssehub harvest run --due``, from the start when ``full``: (requested, disabled and so
    left alone).

    Queued rather than run in the request: a harvest can take hours, and the scheduler and
    cron already run one source at a time with checkpoints. A request for an incremental run
    never cancels a pending full one."""
    require_may_request_runs(user)
    requested = [source for source in sources if source.enabled]
    disabled = [source for source in sources if not source.enabled]
    now = timezone.now()
    # A full request is kept by an incremental one: requested_full is only ever set here.
    Source.objects.filter(pk__in=[source.pk for source in requested]).update(
        requested_at=now, **({"requested_full": True} if full else {}))
    for source in requested:
        source.requested_at = now
        source.requested_full = source.requested_full or full
    return requested, disabled


def run_many(sources: list[Source], *, full: bool = False,
             progress: Progress | None = None) -> Iterator[Run]:
    """Run sources one after another; one source failing does not stop the others, nor one
    that another process is harvesting (cron's ``--due`` next to ``ssehub run``'s scheduler):
    that one is logged, and left to the process that has it."""
    for source in sources:
        try:
            run = run_source(source, full=full, progress=progress)
        except (HarvestBusy, HarvestError) as exc:
            logger.warning("harvest of %s not run: %s", source.name, exc)
            continue
        yield run


def run_dict(run: Run | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        **summary(run),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "resumes": run.resumes,
        "message": run.message,
    }


def status(source: Source) -> dict[str, Any]:
    """What ``ssehub harvest status NAME --json`` prints and the status page shows."""
    counts = Item.objects.filter(harvest_records__source=source).aggregate(
        items=Count("id", filter=~Q(status=Status.WITHDRAWN), distinct=True),
        withdrawn=Count("id", filter=Q(status=Status.WITHDRAWN), distinct=True),
    )
    return {
        "source": source.name,
        "type": source.kind,
        "url": source.url,
        "enabled": source.enabled,
        "due": source.is_due(),
        "requested": (None if source.requested_at is None
                      else "full" if source.requested_full else "incremental"),
        "items": counts["items"],
        "withdrawn": counts["withdrawn"],
        "health": health_of(last := source.last_run),
        "last_run": run_dict(last),
    }


HEALTH_LABELS = {
    "ok": gettext_lazy("ok"), "warning": gettext_lazy("ok, with failed records"),
    "failing": gettext_lazy("failing"), "running": gettext_lazy("running"),
    "interrupted": gettext_lazy("interrupted: resumes at the next run"),
    "never": gettext_lazy("never run"),
}


def health_label(source: Source, known: str | None = None) -> str:
    """:func:`health` (or ``known``, already read) in the reader's language, and whether the
    source is disabled or a run is requested."""
    label = str(HEALTH_LABELS[known or health(source)])
    if not source.enabled:  # a cleared source, or one switched off: not harvested any more
        disabled = _("disabled")
        label = f"{label} · {disabled}"
    if source.requested_at is not None:
        queued = (_("full re-harvest requested") if source.requested_full
                  else _("harvest requested"))
        label = f"{label} · {queued}"
    return label


def health(source: Source) -> str:
    """ok / warning / failing / running / interrupted / never, from the last run: what the
    status page colours (a CSS class, so not translated: :func:`health_label` is what people
    read)."""
    return health_of(source.last_run)


def health_of(run: Run | None) -> str:
    """:func:`health` from a source's last run, already read."""
    if run is None:
        return "never"
    if run.outcome == Run.Outcome.COMPLETE:
        return "warning" if run.failed else "ok"
    if run.outcome == Run.Outcome.RUNNING:
        # A killed run is not shown running for ever (data.gov#504, #997: jobs "stuck in
        # Running state"); cron's --due and the scheduler resume it.
        return "interrupted" if interrupted(run) else "running"
    return "failing"
