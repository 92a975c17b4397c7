"""``ssehub survey import FORM [--name NAME]``, ``list``, ``show NAME``, ``invite NAME``,
``remind NAME|--due``, ``export NAME``.

A thin shell over ``ssehub.surveys.importer``: the same checks run for an upload in the web
interface, so the command only reads the file and prints the outcome (errors, then warnings,
each with its sheet, row and column).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ssehub.surveys import conf
from ssehub.surveys.importer import import_form
from ssehub.surveys.models import Survey
from ssehub.surveys.problems import FormInvalid, Problem


class Command(BaseCommand):
    help = _("Surveys: import an XLSForm (.xlsx, .xls, .csv) as a new form version; list; "
             "show a version's questions.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("validate an XLSForm and store it as the next "
                                              "version of a survey"))
        imp.add_argument("form", metavar="FORM", help=_("an .xlsx, .xls or .csv XLSForm"))
        imp.add_argument("--name", help=_("the survey's name (default: the file name)"))
        sub.add_parser("list", help=_("surveys with their latest version"))
        show = sub.add_parser("show", help=_("the questions and warnings of a form version"))
        show.add_argument("name", metavar="NAME")
        show.add_argument("--version", type=int, help=_("version number (default: latest)"))
        show.add_argument("--json", action="store_true", help=_("the stored definition"))
        invite = sub.add_parser("invite", help=_("invite organisations or e-mail contacts and "
                                                 "e-mail their personal links"))
        invite.add_argument("name", metavar="NAME")
        invite.add_argument("--task-force", action="store_true",
                            help=_("every Task Force member and observer"))
        invite.add_argument("--organisation", action="append", default=[],
                            help=_("an organisation's slug or acronym (repeatable)"))
        invite.add_argument("--contact", action="append", default=[],
                            help=_("an e-mail contact, NAME,ADDRESS or ADDRESS (repeatable)"))
        invite.add_argument("--deadline", help=_("answers accepted until (YYYY-MM-DD, UTC)"))
        invite.add_argument("--open-link", action="store_true",
                            help=_("also let anyone answer through an open link"))
        invite.add_argument("--no-mail", action="store_true",
                            help=_("create the invitations without e-mailing them"))
        remind = sub.add_parser("remind", help=_("e-mail those who have not started or not "
                                                 "finished"))
        remind.add_argument("name", metavar="NAME", nargs="?")
        remind.add_argument("--due", action="store_true",
                            help=_("only reminders due (every open survey when NAME is not "
                                   "given), for cron"))
        export = sub.add_parser("export", help=_("the responses as CSV, XLSX or JSON"))
        export.add_argument("name", metavar="NAME")
        export.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        export.add_argument("--labels", action="store_true",
                            help=_("labels instead of codes"))
        export.add_argument("--lang", default="", help=_("language of the labels"))
        export.add_argument("--repeat", default="", help=_("CSV: the table of a repeat group"))
        export.add_argument("-o", "--output", required=True, help=_("the file to write"))

    def handle(self, *args, **options):
        return getattr(self, f"do_{options['action']}")(options)

    def _print(self, problems: list[Problem]) -> None:
        for problem in problems:
            label = _("error") if problem.level == "error" else _("warning")
            style = self.style.ERROR if problem.level == "error" else self.style.WARNING
            self.stdout.write(style(f"  {label}: {problem}"))

    def do_import(self, options) -> None:
        path = Path(options["form"])
        if not path.is_file():
            raise CommandError(_("no such file: %(path)s") % {"path": path})
        limit = conf.get("SSEHUB_SURVEY_MAX_FILE_BYTES")
        if path.stat().st_size > limit:
            raise CommandError(_("%(path)s is over the limit of %(limit)s bytes")
                               % {"path": path, "limit": f"{limit:,}"})
        try:
            result = import_form(path.read_bytes(), path.name, options.get("name"))
        except FormInvalid as exc:
            errors = exc.errors
            self.stdout.write(self.style.ERROR(
                _("%(path)s was not imported: %(count)d error(s).")
                % {"path": path, "count": len(errors)}))
            self._print(exc.problems)
            raise CommandError(_("the form has errors (listed above)")) from exc
        version = result.version
        if result.created:
            self.stdout.write(self.style.SUCCESS(
                _("Imported %(path)s as survey '%(name)s', version %(number)d "
                  "(%(questions)d questions, %(warnings)d warning(s)).")
                % {"path": path, "name": result.survey.name, "number": version.number,
                   "questions": len(version.form().questions()),
                   "warnings": len(version.warnings)}))
        else:
            self.stdout.write(_("Unchanged: %(path)s is the same file as version %(number)d of "
                                "'%(name)s'; nothing was imported.")
                              % {"path": path, "number": version.number,
                                 "name": result.survey.name})
        self._print([p for p in result.problems if p.level == "warning"])

    def do_show(self, options) -> None:
        survey = Survey.objects.filter(name=options["name"]).first()
        if survey is None:
            raise CommandError(_("no survey named %(name)s (see 'ssehub survey list')")
                               % {"name": options["name"]})
        versions = survey.versions.all()
        if options.get("version"):
            versions = versions.filter(number=options["version"])
        version = versions.order_by("-number").first()
        if version is None:
            raise CommandError(_("%(name)s has no such version") % {"name": survey.name})
        if options["json"]:
            self.stdout.write(json.dumps(version.definition, ensure_ascii=False, indent=1))
            return
        form = version.form()
        self.stdout.write(_("%(name)s v%(number)d: %(title)s (form id %(id)s, languages: "
                            "%(languages)s)")
                          % {"name": survey.name, "number": version.number, "title": form.title,
                             "id": form.form_id,
                             "languages": ", ".join(lang.name for lang in form.languages)
                             or "-"})

        def show(elements, depth: int) -> None:
            for element in elements:
                flags = [flag for flag, on in (
                    ("required", element.required), ("relevant", element.relevant),
                    ("constraint", element.constraint), ("calculation", element.calculation),
                    (_("not supported"), not element.supported)) if on]
                row = f"row {element.row}" if element.row else ""
                extra = f" {element.list_name}" if element.list_name else ""
                self.stdout.write(f"{'  ' * (depth + 1)}{element.name}  "
                                  f"[{element.type}{extra}] {row} {' '.join(flags)}".rstrip())
                show(element.children, depth + 1)

        show(form.children, 0)
        self._print(version.problems())

    def do_list(self, options) -> None:
        surveys = list(Survey.objects.all())
        if not surveys:
            self.stdout.write(_("No surveys yet: ssehub survey import FORM.xlsx"))
            return
        for survey in surveys:
            latest = survey.latest
            if latest is None:
                self.stdout.write(f"{survey.name}  {survey.title}")
                continue
            self.stdout.write(_("%(name)s  v%(number)d  %(title)s  (%(file)s, %(warnings)d "
                                "warning(s), %(when)s)")
                              % {"name": survey.name, "number": latest.number,
                                 "title": survey.title, "file": latest.filename,
                                 "warnings": len(latest.warnings),
                                 "when": latest.created.strftime("%Y-%m-%d %H:%M")})

    def _survey(self, name: str) -> Survey:
        survey = Survey.objects.filter(name=name).first()
        if survey is None:
            raise CommandError(_("no survey named %(name)s (see 'ssehub survey list')")
                               % {"name": name})
        return survey

    def do_invite(self, options) -> None:
        import datetime as dt

        from django.db.models import Q

        from ssehub.core.models import Organisation
        from ssehub.surveys import services

        survey = self._survey(options["name"])
        if options.get("deadline"):
            try:
                day = dt.date.fromisoformat(options["deadline"])
            except ValueError as exc:
                raise CommandError(_("the deadline must be a date: YYYY-MM-DD")) from exc
            survey.deadline = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
            survey.save(update_fields=["deadline", "updated"])
        made = []
        if options["task_force"]:
            made += services.invite_task_force(survey)
        for ref in options["organisation"]:
            org = Organisation.objects.filter(Q(slug=ref) | Q(acronym__iexact=ref)).first()
            if org is None:
                raise CommandError(_("no organisation %(ref)s") % {"ref": ref})
            made += services.invite_organisations(survey, [org])
        contacts = []
        for contact in options["contact"]:
            name, _sep, email = contact.rpartition(",")
            contacts.append((name.strip(), email.strip()))
        made += services.invite_contacts(survey, contacts)
        self.stdout.write(_("%(count)d new invitation(s).") % {"count": len(made)})
        if options["open_link"]:
            from django.conf import settings
            from django.urls import reverse

            key = services.enable_open_link(survey)
            self.stdout.write(_("Open link: %(url)s") % {
                "url": settings.SSEHUB_BASE_URL + reverse("surveys:open", args=[key])})
        if not options["no_mail"]:
            sent = services.send_invitations(survey)
            self.stdout.write(_("%(count)d invitation(s) e-mailed.") % {"count": sent})

    def do_remind(self, options) -> None:
        from ssehub.surveys import services

        if options["name"]:
            survey = self._survey(options["name"])
            reminded = services.remind(survey, due_only=options["due"])
            for invitation in reminded:
                self.stdout.write(f"  {invitation}")
            count = len(reminded)
        elif options["due"]:
            count = services.remind_due()
        else:
            raise CommandError(_("give a survey NAME, or --due for every open survey"))
        self.stdout.write(_("%(count)d reminder(s) sent.") % {"count": count})

    def do_export(self, options) -> None:
        from ssehub.surveys import exports, languages

        survey = self._survey(options["name"])
        language = ""
        if survey.latest is not None:
            language = languages.choose(survey.latest.form(), options["lang"])
        fmt, out = options["format"], Path(options["output"])
        extra = {"labels": options["labels"], "language": language}
        if fmt == "xlsx":
            with out.open("wb") as handle:
                exports.write_xlsx(survey, handle, **extra)
        else:
            chunks = (exports.json_chunks(survey) if fmt == "json"
                      else exports.csv_chunks(survey, options["repeat"], **extra))
            with out.open("w", encoding="utf-8", newline="") as handle:
                for chunk in chunks:
                    handle.write(chunk)
        self.stdout.write(_("Wrote %(path)s.") % {"path": out})
