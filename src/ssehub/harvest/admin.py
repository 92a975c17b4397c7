"""Back office for harvesting: sources are configured here, checked (their first records read,
nothing stored) and queued for a harvest now (the scheduler or cron runs it); runs and errors
are read-only."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ssehub.core.admin import EditorAccessMixin
from ssehub.harvest import clearing, notify, preview, services
from ssehub.harvest.models import RecordState, Run, RunError, Source
from ssehub.harvest.runner import HarvestBusy

# A check reads each source over the network while the editor waits.
MAX_CHECKED = 5
# Rows a delete confirmation lists one by one before it only counts them.
MAX_LISTED = 100


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ("name", "kind", "url", "options", "interval_hours", "enabled", "item_status",
                  "notify")

    def clean_notify(self) -> str:
        return "\n".join(notify.addresses(self.cleaned_data.get("notify", "")))

    def clean(self) -> dict:
        """The URL checked as ``ssehub harvest add`` checks it, less its freedom to name any
        local file (see ``services.check_location``); a source whose type and URL are left as
        they were keeps them."""
        data = super().clean()
        kind, url = data.get("kind"), data.get("url")
        if kind and url and {"kind", "url"} & set(self.changed_data):
            try:
                data["url"] = services.check_location(kind, url, any_file=False)
            except ValidationError as exc:
                self.add_error("url", exc)
        if self.instance.pk and self.restarts():
            try:
                services.require_not_running(self.instance)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data

    def restarts(self) -> bool:
        """Whether the change is to what the source reads (``services.RESTARTING``)."""
        return bool(set(services.RESTARTING) & set(self.changed_data))


@admin.register(Source)
class SourceAdmin(EditorAccessMixin, admin.ModelAdmin):
    form = SourceForm
    list_display = ("name", "kind", "url", "enabled", "interval_hours", "health", "last_run")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "url")
    readonly_fields = ("state", "created_at", "requested_at", "requested_full")
    actions = ("check_sources", "harvest_now", "harvest_again_from_the_start", "clear_sources")

    @admin.display(description=_("health"))
    def health(self, obj: Source) -> str:
        return services.health_label(obj)

    def save_model(self, request: HttpRequest, obj: Source, form: SourceForm,
                   change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and form.restarts():
            services.reconfigured(obj)
            self.message_user(request, gettext(
                "Reconfigured %(name)s: it reads something else now, so it will be harvested "
                "again from the start, %(when)s.") % {"name": obj.name, "when": _when()},
                messages.INFO)

    def has_harvest_permission(self, request: HttpRequest) -> bool:
        return services.may_request_runs(request.user)

    def has_clear_permission(self, request: HttpRequest) -> bool:
        return clearing.may_clear(request.user)

    @admin.action(permissions=["harvest"],
                  description=_("Check (read the first records, store nothing)"))
    def check_sources(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        services.require_may_request_runs(request.user)
        if queryset.count() > MAX_CHECKED:
            self.message_user(request, gettext(
                "Only the first %(count)d selected sources are checked at a time.")
                % {"count": MAX_CHECKED}, messages.WARNING)
        for source in queryset[:MAX_CHECKED]:
            out = preview.check(source)
            if not out.ok:
                self.message_user(request, gettext("Cannot read %(name)s: %(error)s") % {
                    "name": source.name, "error": out.error}, messages.ERROR)
                continue
            parts = [gettext("Checked %(name)s: %(records)d records read, %(valid)d valid, "
                             "%(failed)d would fail.") % {
                "name": source.name, "records": out.records, "valid": out.valid,
                "failed": out.failed}]
            parts += [f"{e['record'] or '-'}: {e['error']}" for e in out.errors[:3]]
            if out.sample:
                parts.append(gettext("First: %(title)s") % {
                    "title": out.sample[0]["title"] or out.sample[0]["document"]})
            self.message_user(request, " ".join(parts),
                              messages.WARNING if out.failed else messages.SUCCESS)

    @admin.action(permissions=["harvest"], description=_("Harvest now (new and changed records)"))
    def harvest_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        self._request(request, queryset, full=False)

    @admin.action(permissions=["harvest"],
                  description=_("Harvest again from the start (every record re-read)"))
    def harvest_again_from_the_start(self, request: HttpRequest,
                                     queryset: QuerySet[Source]) -> None:
        self._request(request, queryset, full=True)

    @admin.action(permissions=["clear"],
                  description=_("Withdraw the items harvested from these sources (and disable "
                                "them)"))
    def clear_sources(self, request: HttpRequest,
                      queryset: QuerySet[Source]) -> TemplateResponse | None:
        """Asks first, on a page that says how many items each source would lose (as
        Django's own delete action does); then clears each source (``harvest.clearing``)."""
        plans = [clearing.plan(source) for source in queryset]
        if request.POST.get("post") != "yes":
            context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                       "title": gettext("Withdraw the items of these harvest sources?"),
                       "plans": plans, "queryset": queryset,
                       "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME}
            return TemplateResponse(request, "harvest/admin/clear_confirmation.html", context)
        for planned in plans:
            try:
                done = clearing.clear(request.user, planned.source)
            except HarvestBusy as exc:
                self.message_user(request, gettext("Not cleared: %(reason)s") % {
                    "reason": exc}, messages.ERROR)
                continue
            self.message_user(request, ngettext(
                "Cleared %(name)s: %(count)d item withdrawn; the source is disabled.",
                "Cleared %(name)s: %(count)d items withdrawn; the source is disabled.",
                len(done.withdraw)) % {"name": done.source.name, "count": len(done.withdraw)},
                messages.SUCCESS)
        return None

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Django's list of what a deletion takes, and what it does to the library: the
        items the sources brought in are withdrawn (``harvest.clearing.remove``). A source
        being harvested cannot be deleted until its run ends."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request)
        if _entries(deleted) > MAX_LISTED:
            # A source's thousands of provenance rows, one link each, made a page of
            # megabytes: the sources are listed, and the summary above counts the rest.
            deleted = [entry for entry in deleted if not isinstance(entry, list)]
        plans = [clearing.plan(source) for source in objs]
        protected = [*protected, *(planned.busy for planned in plans if planned.busy)]
        withdrawn = sum(len(planned.withdraw) for planned in plans)
        if withdrawn:
            model_count[gettext("items harvested from it, withdrawn (not deleted)")] = withdrawn
            if not clearing.may_clear(request.user):
                perms_needed.add(gettext("withdrawing published items (editors only)"))
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Source) -> None:
        try:
            clearing.remove(request.user, obj)
        except HarvestBusy as exc:  # a run began after the confirmation page
            raise PermissionDenied(str(exc)) from exc

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            self.delete_model(request, source)

    def _request(self, request: HttpRequest, queryset: QuerySet[Source], *, full: bool) -> None:
        requested, disabled = services.request_runs(request.user, list(queryset), full=full)
        if requested:
            self.message_user(request, ngettext(
                "Harvest requested for %(names)s: it will run %(when)s.",
                "Harvest requested for %(names)s: they will run %(when)s.", len(requested),
            ) % {"names": ", ".join(s.name for s in requested), "when": _when()},
                messages.SUCCESS)
        if disabled:
            self.message_user(request, ngettext(
                "Not requested, because it is disabled: %(names)s.",
                "Not requested, because they are disabled: %(names)s.", len(disabled),
            ) % {"names": ", ".join(s.name for s in disabled)}, messages.WARNING)


def _entries(nested: list) -> int:
    """How many rows Django's nested list of what a deletion takes names."""
    return sum(_entries(entry) if isinstance(entry, list) else 1 for entry in nested)


def _when() -> str:
    """When a requested harvest will happen: at the scheduler's next pass where ``ssehub run``
    serves the hub, and at cron's next ``--due`` where a production server does."""
    if not settings.SSEHUB_SCHEDULER:
        return gettext("at the next 'ssehub harvest run --due' (the scheduler is off)")
    minutes = max(1, round(settings.SSEHUB_SCHEDULER_INTERVAL / 60))
    return ngettext(
        "at the next 'ssehub harvest run --due', or within %(minutes)d minute where "
        "'ssehub run' serves the hub with its scheduler",
        "at the next 'ssehub harvest run --due', or within %(minutes)d minutes where "
        "'ssehub run' serves the hub with its scheduler",
        minutes) % {"minutes": minutes}


class RunErrorInline(admin.TabularInline):
    model = RunError
    fields = ("record", "error", "at")
    readonly_fields = fields
    extra = 0
    max_num = 0


@admin.register(Run)
class RunAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ("source", "started_at", "finished_at", "outcome", *Run.COUNTS)
    list_filter = ("outcome", "source")
    readonly_fields = [f.name for f in Run._meta.fields]
    inlines = [RunErrorInline]

    def has_add_permission(self, request, *args) -> bool:
        return False


@admin.register(RecordState)
class RecordStateAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ("identifier", "source", "item", "datestamp", "deleted", "last_seen")
    list_filter = ("source", "deleted")
    search_fields = ("identifier",)
    raw_id_fields = ("item",)
    readonly_fields = [f.name for f in RecordState._meta.fields]

    def has_add_permission(self, request, *args) -> bool:
        return False
