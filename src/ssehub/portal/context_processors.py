"""Context shared by every portal page: what the navigation needs to know about the user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ssehub.core.roles import is_editor, organisation_ids


def portal(request: HttpRequest) -> dict[str, Any]:
    """Whether to show "Add a document" and "Back office" links (the views check again)."""
    user = getattr(request, "user", None)
    editor = is_editor(user)
    return {
        "portal_can_upload": editor or bool(organisation_ids(user)),
        "portal_is_editor": editor,
        "portal_show_admin": bool(user and user.is_authenticated and user.is_staff),
    }
