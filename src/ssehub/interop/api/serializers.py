"""API shapes. Reading: the canonical item dictionary (``interop.records``), declared field by
field so the OpenAPI schema is exact. Writing: strictly typed input that DRF checks first (so
odd JSON never reaches the metadata layer as the wrong type), then
``library.metadata.from_dict`` validates the meaning inside the service call.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ssehub.core.i18n import pick
from ssehub.core.models import Organisation
from ssehub.library.models import Status


class CreatorSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=["person", "organisation"], default="person")


class SDGLinkSerializer(serializers.Serializer):
    goal = serializers.IntegerField()
    target = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)


class ProvenanceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    source = serializers.CharField(allow_blank=True)
    record = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField(allow_null=True)


class FileSerializer(serializers.Serializer):
    filename = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    mime_type = serializers.CharField()


def _lang_map() -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(allow_blank=True),
                                 help_text='Per language: {"en": "...", "fr": "..."}')


class ItemSerializer(serializers.Serializer):
    """An item as readers see it (the dictionary of ``ssehub export``, effective SDG links)."""

    id = serializers.IntegerField()
    uid = serializers.UUIDField()
    url = serializers.URLField(help_text="The item's page on the hub.")
    title = _lang_map()
    abstract = _lang_map()
    original_language = serializers.CharField(allow_blank=True)
    type = serializers.CharField()
    creators = CreatorSerializer(many=True)
    publisher = serializers.CharField(allow_blank=True)
    date = serializers.CharField(allow_blank=True, help_text="YYYY, YYYY-MM or YYYY-MM-DD")
    languages = serializers.ListField(child=serializers.CharField())
    countries = serializers.ListField(child=serializers.CharField())
    regions = serializers.ListField(child=serializers.CharField())
    sdgs = SDGLinkSerializer(many=True)
    keywords = serializers.ListField(child=serializers.CharField())
    licence = serializers.CharField(allow_blank=True)
    identifiers = serializers.DictField(child=serializers.CharField())
    organisation = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    provenance = ProvenanceSerializer()
    files = FileSerializer(many=True)

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        # ``instance`` is already the public dictionary (built per page in one pass).
        return instance


@extend_schema_field({"oneOf": [
    {"type": "string"},
    {"type": "object", "additionalProperties": {"type": "string"}},
]})
class LangTextField(serializers.Field):
    """A text in one language (detected) or an object of language code → text."""

    default_error_messages = {"invalid": "Expected a string or an object of language → text."}

    def to_internal_value(self, data: Any) -> str | dict[str, str]:
        if isinstance(data, str) and len(data) <= 100_000:
            return data
        if (isinstance(data, dict) and len(data) <= 20
                and all(isinstance(k, str) and isinstance(v, str) and len(v) <= 100_000
                        for k, v in data.items())):
            return dict(data)
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class ItemWriteSerializer(serializers.Serializer):
    """Metadata to create an item or, with PATCH, the fields to change."""

    title = LangTextField(required=False)
    abstract = LangTextField(required=False)
    type = serializers.CharField(max_length=40, required=False)
    creators = CreatorSerializer(many=True, required=False)
    publisher = serializers.CharField(max_length=300, allow_blank=True, required=False)
    date = serializers.CharField(max_length=10, allow_blank=True, required=False,
                                 help_text="YYYY, YYYY-MM or YYYY-MM-DD")
    languages = serializers.ListField(child=serializers.CharField(max_length=8),
                                      max_length=20, required=False)
    countries = serializers.ListField(child=serializers.CharField(max_length=60),
                                      max_length=300, required=False,
                                      help_text="ISO codes or names")
    regions = serializers.ListField(child=serializers.CharField(max_length=3),
                                    max_length=50, required=False, help_text="UN M49 codes")
    sdgs = serializers.ListField(child=serializers.CharField(max_length=8), max_length=200,
                                 required=False, help_text='Goals or targets: ["8", "8.3"]')
    keywords = serializers.ListField(child=serializers.CharField(max_length=200),
                                     max_length=100, required=False)
    licence = serializers.CharField(max_length=100, allow_blank=True, required=False)
    identifiers = serializers.DictField(child=serializers.CharField(max_length=500),
                                        required=False,
                                        help_text="doi, isbn, issn, handle, url")
    organisation = serializers.CharField(max_length=80, allow_blank=True, required=False,
                                         help_text="Organisation slug")
    status = serializers.ChoiceField(choices=Status.choices, required=False,
                                     help_text="Workflow status (allowed moves depend on role)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Refuse text that is not valid Unicode (lone surrogates from JSON ``\\ud800``
        escapes): PostgreSQL cannot store it and would fail inside the transaction."""

        def walk(value: Any) -> None:
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise serializers.ValidationError("Text must be valid Unicode.") from None
            elif isinstance(value, dict):
                for key, inner in value.items():
                    walk(key)
                    walk(inner)
            elif isinstance(value, list):
                for inner in value:
                    walk(inner)

        walk(attrs)
        return attrs

    def metadata(self) -> dict[str, Any]:
        """The validated fields as the metadata dictionary the library services accept."""
        data = {k: v for k, v in self.validated_data.items() if k != "status"}
        if "creators" in data:
            data["creators"] = [dict(c) for c in data["creators"]]
        return data


class OrganisationSerializer(serializers.ModelSerializer):
    display_name = serializers.SerializerMethodField()
    country = serializers.CharField(source="country_id", allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = ["slug", "acronym", "display_name", "name", "description", "role", "since",
                  "website", "country", "url"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_display_name(self, org: Organisation) -> str:
        return pick(org.name) or org.slug

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, org: Organisation) -> str:
        request = self.context.get("request")
        path = org.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.DictField(child=serializers.CharField())


class TargetSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.DictField(child=serializers.CharField())
    indicators = IndicatorSerializer(many=True)


class GoalSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    short = serializers.DictField(child=serializers.CharField())
    title = serializers.DictField(child=serializers.CharField())
    colour = serializers.CharField()
    targets = TargetSerializer(many=True)


class HarvestRunSerializer(serializers.Serializer):
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    seen = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    deleted = serializers.IntegerField()
    failed = serializers.IntegerField()


class HarvestSourceSerializer(serializers.Serializer):
    """A harvest source without its options and state (they may hold credentials); a source
    read from a local file shows no URL (a server path is nobody's business)."""

    name = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.SerializerMethodField()
    interval_hours = serializers.IntegerField()
    enabled = serializers.BooleanField()
    health = serializers.SerializerMethodField()
    last_run = HarvestRunSerializer(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(
        choices=["ok", "warning", "failing", "running", "interrupted", "never"]))
    def get_health(self, source: Any) -> str:
        """What the status page says of the source: a platform watching its own material
        here can tell a failing harvest from one that never ran, or one that was killed."""
        from ssehub.harvest import services

        return services.health(source)

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, source: Any) -> str:
        url = str(source.url or "")
        return url if url.lower().startswith(("http://", "https://")) else ""
