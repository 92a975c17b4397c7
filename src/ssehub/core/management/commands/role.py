"""``ssehub role USERNAME``: give a user the editor role or attach them to organisations."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ssehub.core.models import Membership, Organisation
from ssehub.core.roles import editors_group


class Command(BaseCommand):
    help = (
        "Make a user an editor (--editor: Editors group and back-office access) or a contributor "
        "of organisations (--organisation SLUG_OR_ACRONYM, repeatable); --remove takes them away."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--editor", action="store_true")
        parser.add_argument("--organisation", action="append", default=[])
        parser.add_argument("--remove", action="store_true")

    def handle(self, *args, **options):
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user {options['username']!r}") from exc
        organisations = []
        for value in options["organisation"]:
            org = (Organisation.objects.filter(slug=value).first()
                   or Organisation.objects.filter(acronym__iexact=value).first())
            if org is None:
                raise CommandError(f"unknown organisation {value!r}")
            organisations.append(org)
        if not options["editor"] and not organisations:
            raise CommandError("say --editor and/or --organisation SLUG")
        if options["editor"]:
            if options["remove"]:
                user.groups.remove(editors_group())
                user.is_staff = user.is_superuser
            else:
                user.groups.add(editors_group())
                user.is_staff = True  # editors work in the back office
            user.save(update_fields=["is_staff"])
        for org in organisations:
            if options["remove"]:
                Membership.objects.filter(user=user, organisation=org).delete()
            else:
                Membership.objects.get_or_create(user=user, organisation=org)
        roles = ["editor"] if user.groups.filter(pk=editors_group().pk).exists() else []
        roles += [m.organisation.slug for m in user.memberships.select_related("organisation")]
        self.stdout.write(f"{user.username}: {', '.join(roles) or 'no role'}")
