"""``ssehub apitoken USERNAME [--reset] [--revoke]``: the REST API token of a user.

The token acts with the user's own role (contributor, editor...): the API checks permissions
in the library services like the portal does, so a token grants nothing the user could not
do in the browser.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print (creating it if needed) the REST API token of a user; --reset or --revoke it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--reset", action="store_true", help="replace the token")
        group.add_argument("--revoke", action="store_true", help="delete the token")

    def handle(self, *args, username: str, reset: bool, revoke: bool, **options) -> None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        if reset or revoke:
            Token.objects.filter(user=user).delete()
        if revoke:
            self.stdout.write(f"Token of {username} revoked.")
            return
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
