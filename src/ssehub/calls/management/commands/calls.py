"""``ssehub calls``: assign reviewers, remind late reviewers, list calls."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ssehub.calls import assignment, reviewing
from ssehub.calls.models import Call
from ssehub.calls.solver import Infeasible


class Command(BaseCommand):
    help = "Calls for papers: assign CALL (solve and print the summary), remind, list."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        assign = sub.add_parser("assign", help="propose an assignment and print its summary")
        assign.add_argument("call", help="the call's slug")
        assign.add_argument("--confirm", action="store_true",
                            help="confirm the proposal (reviewers can start)")
        sub.add_parser("remind", help="e-mail reviewers whose review is due or late")
        sub.add_parser("list", help="list the calls")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "list":
            for call in Call.objects.all():
                self.stdout.write(f"{call.slug}\t{call.title}\t{call.submissions.count()} "
                                  "submissions")
        elif action == "remind":
            self.stdout.write(f"{reviewing.remind()} reminder(s) sent")
        elif action == "assign":
            call = Call.objects.filter(slug=options["call"]).first()
            if call is None:
                raise CommandError(f"no call {options['call']!r} (ssehub calls list)")
            try:
                result = assignment.propose(call)
            except Infeasible as exc:
                raise CommandError("no complete assignment exists:\n  - "
                                   + "\n  - ".join(exc.problems)) from exc
            for line in result.lines():
                self.stdout.write(line)
            if options["confirm"]:
                self.stdout.write(f"{assignment.confirm(call)} assignment(s) confirmed")
