"""Who may do what. Services call these; views only mirror them to hide buttons.

The roles: anonymous public (reads published items); contributor (a member of an
organisation: submits items for it, sees and edits its drafts); editor (member of the
``Editors`` group: reviews, publishes and edits any item); admin (superuser).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied

EDITORS_GROUP = "Editors"



def is_editor(user) -> bool:
    """Editors and admins review, publish and edit any item."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=EDITORS_GROUP).exists()


def organisation_ids(user) -> set[int]:
    """The organisations a user may act for."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return set(user.memberships.values_list("organisation_id", flat=True))


def is_contributor(user) -> bool:
    return bool(organisation_ids(user))


def editors_group() -> Group:
    group, _created = Group.objects.get_or_create(name=EDITORS_GROUP)
    return group


def require(condition: bool, message: str) -> None:
    """Raise PermissionDenied with a message a user can act on."""
    if not condition:
        raise PermissionDenied(message)


__all__ = ["AnonymousUser", "PermissionDenied", "is_editor", "organisation_ids", "require"]
