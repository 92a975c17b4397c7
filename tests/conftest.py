"""Shared fixtures: a user for every role, organisations, and an isolated data folder."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from ssehub.core.models import Membership, Organisation
from ssehub.core.roles import editors_group


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Every test stores its files in its own folder."""
    settings.FILES_DIR = tmp_path / "files"
    settings.SSEHUB_INDEX_DIR = tmp_path / "index"
    return tmp_path


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language. A request with Accept-Language leaves its
    language active in the thread (the locale middleware activates it and nothing resets
    it), so a later test's command errors came out in Spanish, depending on the order."""
    yield
    translation.deactivate()


@pytest.fixture
def org(db) -> Organisation:
    return Organisation.objects.get(slug="ilo")


@pytest.fixture
def other_org(db) -> Organisation:
    return Organisation.objects.get(slug="ripess")


def _user(username: str, **extra):
    return get_user_model().objects.create_user(
        username=username, password="correct-horse-battery-staple", **extra
    )


@pytest.fixture
def contributor(db, org):
    user = _user("contrib")
    Membership.objects.create(user=user, organisation=org)
    return user


@pytest.fixture
def other_contributor(db, other_org):
    user = _user("othercontrib")
    Membership.objects.create(user=user, organisation=other_org)
    return user


@pytest.fixture
def editor(db):
    user = _user("editor")
    user.groups.add(editors_group())
    return user


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser(
        username="admin", password="correct-horse-battery-staple", email="a@example.org"
    )


@pytest.fixture
def plain_user(db):
    """Logged in, but a member of no organisation and no editor."""
    return _user("plain")


@pytest.fixture
def anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
