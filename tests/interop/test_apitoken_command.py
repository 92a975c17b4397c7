"""``ssehub apitoken``: print, reset and revoke a user's API token."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token


def run(*args: str) -> str:
    out = StringIO()
    call_command("apitoken", *args, stdout=out)
    return out.getvalue().strip()


def test_apitoken(editor):
    key = run("editor")
    assert key == run("editor") == Token.objects.get(user=editor).key
    assert run("editor", "--reset") != key
    assert "revoked" in run("editor", "--revoke")
    assert not Token.objects.filter(user=editor).exists()
    with pytest.raises(CommandError):
        run("nobody")
