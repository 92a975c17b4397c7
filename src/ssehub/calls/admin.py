"""Back office for calls: editors manage calls (review form as JSON), committees, sessions;
submissions and reviews are listed for the record (the workflow runs through the pages)."""

from __future__ import annotations

from django.contrib import admin

from ssehub.calls.models import (
    Assignment,
    Author,
    Call,
    CallRole,
    Conflict,
    Review,
    Session,
    Submission,
    SubmissionVersion,
)
from ssehub.core.admin import EditorAccessMixin

EDIT = frozenset({"view", "add", "change", "delete"})


class CallRoleInline(admin.TabularInline):
    model = CallRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Call)
class CallAdmin(EditorAccessMixin, admin.ModelAdmin):
    editor_permissions = EDIT
    list_display = ["title", "slug", "opens_at", "abstract_deadline", "conference_start"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CallRoleInline]


class AuthorInline(admin.TabularInline):
    model = Author
    extra = 0


class VersionInline(admin.TabularInline):
    model = SubmissionVersion
    extra = 0
    readonly_fields = ["kind", "number", "sha256", "blind_sha256", "size", "filename",
                       "created_at"]
    exclude = ["text"]


@admin.register(Submission)
class SubmissionAdmin(EditorAccessMixin, admin.ModelAdmin):
    editor_permissions = frozenset({"view", "change"})
    list_display = ["id", "title", "call", "decision", "notified_at", "item"]
    list_filter = ["call", "decision"]
    search_fields = ["title"]
    inlines = [AuthorInline, VersionInline]
    raw_id_fields = ["submitter", "item"]


@admin.register(Session)
class SessionAdmin(EditorAccessMixin, admin.ModelAdmin):
    editor_permissions = EDIT
    list_display = ["title", "call", "starts_at", "room"]
    list_filter = ["call"]
    filter_horizontal = ["papers", "chairs"]


@admin.register(Assignment)
class AssignmentAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ["submission", "reviewer", "confirmed", "affinity"]
    list_filter = ["submission__call", "confirmed"]


@admin.register(Review)
class ReviewAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ["submission", "reviewer", "submitted_at", "edits"]
    list_filter = ["submission__call"]


@admin.register(Conflict)
class ConflictAdmin(EditorAccessMixin, admin.ModelAdmin):
    editor_permissions = EDIT
    list_display = ["submission", "user", "source", "reason"]
