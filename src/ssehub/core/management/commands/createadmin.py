"""``ssehub createadmin``: make sure an administrator account exists."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


def ensure_admin(username: str = "admin", email: str = "", password: str | None = None):
    """Create a superuser if none exists; return (user, generated_password or None)."""
    users = get_user_model().objects
    existing = users.filter(is_superuser=True).first()
    if existing is not None:
        return existing, None
    password = password or os.environ.get("SSEHUB_ADMIN_PASSWORD")
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    user = users.create_superuser(username=username, email=email, password=password)
    return user, generated


class Command(BaseCommand):
    help = (
        "Create an administrator account if none exists. The password comes from "
        "SSEHUB_ADMIN_PASSWORD, or is generated and printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")

    def handle(self, *args, **options):
        user, generated = ensure_admin(options["username"], options["email"])
        if generated:
            self.stdout.write(self.style.SUCCESS(
                f"Created administrator {user.username!r} with password: {generated}\n"
                "Keep it now: it is not shown again (change it in the admin)."
            ))
        elif user.username == options["username"] and user.date_joined and not user.last_login:
            self.stdout.write(f"Administrator {user.username!r} exists.")
        else:
            self.stdout.write(f"An administrator exists already ({user.username!r}).")
