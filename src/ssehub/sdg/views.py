"""The SDG lens page and the classification API: thin views over :mod:`ssehub.sdg.mapper`."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ssehub.library.ingest.detect import detect
from ssehub.library.ingest.errors import IngestError
from ssehub.library.ingest.extract import extract
from ssehub.sdg import lens
from ssehub.sdg.mapper import classify
from ssehub.sdg.models import Goal

MAX_TEXT = 5_000_000


def _reader_language() -> str:
    return (get_language() or "en").split("-")[0]


def text_from_upload(upload) -> str:
    """Extract the text of an uploaded file with the ingestion extractors (nothing stored)."""
    if upload.size > settings.SSEHUB_MAX_FILE_BYTES:
        raise IngestError(_("The file is larger than the limit of %(limit)s bytes.")
                          % {"limit": settings.SSEHUB_MAX_FILE_BYTES})
    data = upload.read()
    detected = detect(data, upload.name)
    return extract(detected.kind, data).text


@require_http_methods(["GET", "POST"])
def lens_page(request: HttpRequest) -> HttpResponse:
    """Paste text or upload a file; see its SDGs, the evidence in the text and the targets."""
    context: dict = {"text": "", "error": "", "result": None}
    if request.method == "POST":
        text = request.POST.get("text", "")
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                text = text_from_upload(upload)
            if not text.strip():
                raise IngestError(_("Paste a text or choose a file."))
            if len(text) > MAX_TEXT:
                raise IngestError(_("The text is longer than 5 million characters."))
        except IngestError as exc:
            context["error"] = str(exc)
        else:
            result = classify(text, reader_language=_reader_language())
            context.update(text=text, result=result,
                           highlighted=lens.highlighted(text, result),
                           truncated=len(text) > lens.HIGHLIGHT_MAX_CHARS)
    goals = list(Goal.objects.order_by("number"))
    context["wheel"] = lens.wheel(context["result"] or _empty(), goals)
    by_number = {goal.number: goal for goal in goals}
    if context["result"] is not None:
        context["rows"] = [(g, by_number[g.goal]) for g in context["result"].goals]
    return render(request, "sdg/lens.html", context)


def _empty():
    from ssehub.sdg.mapper import MapResult

    return MapResult([], "", 0)


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # a read-only computation: no session state changes, no cookies needed
@require_POST
def api_classify(request: HttpRequest) -> JsonResponse:
    """POST JSON {"text", "id"?, "lang"?, "threshold"?} (or a multipart "file") → the goals."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_TEXT * 2:
        return _error("the request is too large (5 million characters at most)", 413)
    threshold, lang, ident = 0.0, None, None
    try:
        if request.content_type == "application/json":
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                return _error('send a JSON object such as {"text": "..."}')
            text, lang, ident = body.get("text"), body.get("lang"), body.get("id")
            threshold = float(body.get("threshold") or 0)
        else:
            upload = request.FILES.get("file")
            text = text_from_upload(upload) if upload else request.POST.get("text")
            lang = request.POST.get("lang") or None
            threshold = float(request.POST.get("threshold") or 0)
    except json.JSONDecodeError as exc:
        return _error(f"the body is not valid JSON: {exc.msg} at position {exc.pos}")
    except (TypeError, ValueError):
        return _error("threshold must be a number between 0 and 1")
    except IngestError as exc:
        return _error(str(exc))
    if not isinstance(text, str):
        return _error('"text" is required and must be a string')
    if len(text) > MAX_TEXT:
        return _error("the text is longer than 5 million characters", 413)
    result = classify(text, lang=lang if isinstance(lang, str) else None,
                      reader_language=_reader_language())
    return JsonResponse({"id": ident, **result.as_dict(threshold)},
                        json_dumps_params={"ensure_ascii": False})
