"""OpenAPI post-processing: declare the error answers every operation can give.

drf-spectacular documents the success responses it can infer; clients (and schemathesis's
status-code check) also need to know that any call may be refused (401/403), throttled (429),
or rejected as invalid (400) or unknown (404), and that search-backed lists may answer 503
when the index is unavailable.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "DRF error body: {\"detail\": ...} or field → messages "
                   "({\"errors\": {...}} for metadata the library refused).",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input",
    "401": "Authentication credentials were not provided or are invalid",
    "403": "Not allowed for this user's role",
    "404": "Not found (or not visible to this user)",
    "429": "Too many requests (throttled)",
}
METHODS = {"get", "post", "put", "patch", "delete"}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any,
                        public: bool) -> dict[str, Any]:
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(code, {
                    "description": text,
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                })
            if path == "/api/items/" and method == "get":
                responses.setdefault("503", {
                    "description": "Search index unavailable",
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                })
    return result
