"""Clearing a source (withdrawing what it brought in) and removing it.

Why: on the platforms this hub is compared with, deleting a harvest source drops the link to
its records and leaves what it harvested published and orphaned ("delete would kick off clear;
datasets are left orphaned", data.gov#4000, #5700; the clean-up there is a script). Here:

- **clearing** withdraws the items the source brought in. Withdrawn, not deleted: their
  history stays, the OAI-PMH provider reports them deleted so the platforms harvesting the hub
  drop them too, and an editor can publish them again. The source is disabled (the scheduler
  would otherwise bring everything back within the hour) and forgets where its incremental
  runs start, so enabling it again harvests it afresh and brings its items back;
- **removing** a source clears it first, in the same transaction, then deletes it. Its items
  keep its name; a source added again under that name brings back those that clearing or
  removing it withdrew.

An item is the source's to withdraw when a harvest made it and no other source still delivers
it: an upload that one of its records matched (the same DOI) stays published, and so does an
item that another platform's source delivers too (whichever of the two made it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from ssehub.core.roles import is_editor, require
from ssehub.harvest.models import (
    RecordState,
    Source,
    clearing_note,
    removal_note,
)
from ssehub.harvest.runner import PROVENANCE, HarvestBusy, forget_progress, running
from ssehub.library import services as library
from ssehub.library.models import Item, Status

SYSTEM = library.SYSTEM  # the operator at the command line


@dataclass
class Plan:
    """What clearing ``source`` would do now."""

    source: Source
    withdraw: list[int] = field(default_factory=list)  # live, harvested, no other source has them
    kept: int = 0  # live items it delivers that stay: uploads, or another source delivers them
    busy: str = ""  # why it cannot be cleared now ("" when it can)


def may_clear(user) -> bool:
    """Editors: withdrawing published items is theirs to decide."""
    return is_editor(user)


def plan(source: Source) -> Plan:
    """The live items ``source`` delivers, split into those clearing withdraws and those kept."""
    live = (Item.objects.filter(harvest_records__source=source, harvest_records__deleted=False)
            .exclude(status=Status.WITHDRAWN).distinct())
    elsewhere = RecordState.objects.filter(item=OuterRef("pk"), deleted=False).exclude(
        source=source)
    mine = live.filter(provenance=PROVENANCE).exclude(Exists(elsewhere))
    withdraw = sorted(mine.values_list("pk", flat=True))
    busy = ""
    if (run := running(source)) is not None:
        busy = _("%(name)s is being harvested by process %(pid)s; try again when the run "
                 "ends.") % {"name": source.name, "pid": run.pid}
    return Plan(source, withdraw, live.count() - len(withdraw), busy)


def clear(user, source: Source, *, note: str = "") -> Plan:
    """Withdraw the items ``source`` brought in, disable it and forget its incremental state
    (see the module's docstring); what was done. ``user`` None: the operator (no check).

    Raises PermissionDenied for anyone but an editor, HarvestBusy while a run is going on."""
    if user is not SYSTEM:
        require(may_clear(user), _("Only editors may withdraw the items of a harvest source."))
    return _clear(user, source, note or clearing_note(source.name))


def may_remove(user, source: Source) -> bool:
    """Who may delete sources (Django's permission), if an editor too when the source still
    has items to withdraw."""
    if user is SYSTEM:
        return True
    return user.has_perm("harvest.delete_source") and (may_clear(user)
                                                       or not plan(source).withdraw)


def remove(user, source: Source) -> Plan:
    """Clear ``source`` and delete it (its runs, errors and provenance rows go with it; the
    withdrawn items stay, still naming it as their source); what the clearing did.

    Raises PermissionDenied unless :func:`may_remove`, HarvestBusy while a run is going on."""
    with transaction.atomic():
        if user is not SYSTEM:
            require(user.has_perm("harvest.delete_source"),
                    _("You may not delete harvest sources."))
            require(may_remove(user, source), _(
                "Only editors may remove a harvest source whose items are still published."))
        done = _clear(user, source, removal_note(source.name))
        Source.objects.filter(pk=source.pk).delete()
    return done


def _clear(user, source: Source, note: str) -> Plan:
    with transaction.atomic():
        source = Source.objects.select_for_update().get(pk=source.pk)
        done = plan(source)
        if done.busy:
            raise HarvestBusy(done.busy)
        library.change_status_many(done.withdraw, Status.WITHDRAWN, on_behalf_of=user,
                                   note=note)
        # Marked as gone from the source: a record that comes back brings its item back
        # (``runner.Harvest._store``), and none counts as unchanged.
        RecordState.objects.filter(source=source).update(deleted=True, content_hash="")
        forget_progress(source, "stopped: the source was cleared")
        source.enabled, source.requested_at, source.requested_full = False, None, False
        source.save(update_fields=["enabled", "requested_at", "requested_full"])
    return done
