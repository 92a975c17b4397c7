"""Permission rules for items, checked by the services (and mirrored by views and templates).

Kept apart from the services so that a template can ask "may this user edit?" with the very
same rule the service will enforce.
"""

from __future__ import annotations

from ssehub.core.roles import is_editor, organisation_ids
from ssehub.library.models import Item, Status


def can_view(user, item: Item) -> bool:
    if item.status == Status.PUBLISHED:
        return True
    if is_editor(user):
        return True
    if user is None or not user.is_authenticated:
        return False
    return item.organisation_id in organisation_ids(user) or item.created_by_id == user.pk


def can_submit(user, organisation_id: int | None) -> bool:
    """Contributors submit for their own organisations; editors for any."""
    if is_editor(user):
        return True
    return organisation_id is not None and organisation_id in organisation_ids(user)


def can_edit(user, item: Item) -> bool:
    """Editors edit anything; contributors edit their organisation's drafts and items in review."""
    if is_editor(user):
        return True
    if item.status not in (Status.DRAFT, Status.IN_REVIEW):
        return False
    return item.organisation_id is not None and item.organisation_id in organisation_ids(user)


# Which transitions each role may make. Contributors send drafts to review (and take them
# back); editors run the whole workflow.
CONTRIBUTOR_TRANSITIONS = {
    (Status.DRAFT, Status.IN_REVIEW),
    (Status.IN_REVIEW, Status.DRAFT),
}
EDITOR_TRANSITIONS = CONTRIBUTOR_TRANSITIONS | {
    (Status.DRAFT, Status.PUBLISHED),
    (Status.IN_REVIEW, Status.PUBLISHED),
    (Status.PUBLISHED, Status.WITHDRAWN),
    (Status.WITHDRAWN, Status.PUBLISHED),
    (Status.WITHDRAWN, Status.DRAFT),
}


def allowed_transitions(user, item: Item) -> list[str]:
    rules = EDITOR_TRANSITIONS if is_editor(user) else (
        CONTRIBUTOR_TRANSITIONS if can_edit(user, item) else set()
    )
    return [to for (frm, to) in rules if frm == item.status]


def visible_items(user, queryset=None):
    """Items a user may see in lists: published ones, plus their organisation's others."""
    from django.db.models import Q

    queryset = Item.objects.all() if queryset is None else queryset
    if is_editor(user):
        return queryset
    query = Q(status=Status.PUBLISHED)
    if user is not None and user.is_authenticated:
        query |= Q(organisation_id__in=organisation_ids(user)) | Q(created_by_id=user.pk)
    return queryset.filter(query)
