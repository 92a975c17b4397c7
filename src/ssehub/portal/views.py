"""Pages of the public portal. Views stay thin: queries live in ``queries``, rules in
``ssehub.library.permissions``, writes in ``ssehub.library.services`` and the ingestion service.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ssehub.core.i18n import pick
from ssehub.core.models import Organisation
from ssehub.core.roles import is_editor, organisation_ids
from ssehub.library import permissions, services, storage
from ssehub.library.ingest.inputs import from_bytes
from ssehub.library.ingest.pipeline import CREATED, DUPLICATE, FAILED, Options, ingest_one
from ssehub.library.models import Item, ItemFile, Status
from ssehub.portal import queries
from ssehub.portal.citation import cite, doi_url
from ssehub.portal.forms import ItemFilterForm, UploadForm
from ssehub.sdg import services as sdg_services
from ssehub.sdg.models import Goal
from ssehub.search.related import more_like_this

PAGE_SIZE = 20


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {
        "latest": queries.latest_published(),
        "tiles": queries.sdg_tiles(request.user),
    })


@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    form = ItemFilterForm(request.GET or None)
    filters = form.filters() if request.GET else queries.ItemFilters()
    paginator = Paginator(queries.list_items(request.user, filters), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "portal/item_list.html", {
        "form": form, "filters": filters, "page": page, "paginator": paginator,
    })


def _viewable_item(request: HttpRequest, pk: int) -> Item:
    """The item, or 404 when it does not exist *or* the user may not see it (no leaking)."""
    try:
        item = queries.item_for_page(pk)
    except Item.DoesNotExist as exc:
        raise Http404 from exc
    if not permissions.can_view(request.user, item):
        raise Http404
    return item


@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _viewable_item(request, pk)
    language = (get_language() or "en").split("-")[0]
    links = sorted(sdg_services.effective_links(item),
                   key=lambda link: (link.goal_id, link.target_id or ""))
    goal_links = [link for link in links if link.target_id is None]
    editor = is_editor(request.user)
    return render(request, "portal/item_detail.html", {
        "item": item,
        "title_fallback": item.title_language not in ("", language),
        "abstract_fallback": bool(item.abstract) and item.abstract_language != language,
        "creators": list(item.creators.all()),
        "files": list(item.files.all()),
        "sdg_links": links,
        "goal_links": goal_links,
        "can_decide_sdgs": editor,
        "all_goals": Goal.objects.order_by("number") if editor else [],
        "doi_url": doi_url(item.display_doi),
        "other_identifiers": {k: v for k, v in item.identifiers.items() if k != "doi"},
        "citation": cite(item),
        "transitions": [(to, Status(to).label) for to in
                        permissions.allowed_transitions(request.user, item)],
        "show_status": item.status != Status.PUBLISHED,
        "related": more_like_this(item, request.user),
    })


@require_POST
def item_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an item along the workflow; the service decides, the page explains refusals."""
    item = _viewable_item(request, pk)
    to_status = request.POST.get("to", "")
    if to_status not in Status.values:
        messages.error(request, _("Unknown status."))
        return redirect(item)
    try:
        services.change_status(item, to_status, actor=request.user,
                               note=request.POST.get("note", "")[:500])
    except PermissionDenied:
        messages.error(request, _("You may not move this item from “%(from)s” to “%(to)s”.") % {
            "from": Status(item.status).label, "to": Status(to_status).label})
    else:
        messages.success(request, _("Status changed to “%(to)s”.") % {
            "to": Status(to_status).label})
    return redirect(item)


@require_POST
def item_sdg(request: HttpRequest, pk: int) -> HttpResponse:
    """An editor confirms, rejects or adds an SDG label; the service checks the role."""
    item = _viewable_item(request, pk)
    decision = request.POST.get("decision", "")
    try:
        goal = int(request.POST.get("goal", ""))
        target = request.POST.get("target") or None
        sdg_services.decide(item, goal, decision, actor=request.user, target=target)
    except PermissionDenied:
        messages.error(request, _("Only editors can confirm or reject SDG labels."))
    except (ValueError, IntegrityError):
        messages.error(request, _("That SDG decision is not valid."))
    else:
        messages.success(request, _("SDG labels updated."))
    return redirect(item)


@require_GET
def file_download(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    item = _viewable_item(request, pk)
    file = get_object_or_404(ItemFile, pk=file_id, item=item)
    try:
        handle = storage.open_blob(file.sha256)
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=file.filename,
                        content_type=file.mime_type)


@require_GET
def organisations(request: HttpRequest) -> HttpResponse:
    groups = queries.organisations_by_role()
    return render(request, "portal/organisations.html", {
        "members": groups[Organisation.Role.MEMBER],
        "observers": groups[Organisation.Role.OBSERVER],
        "others": groups[Organisation.Role.OTHER],
    })


@require_GET
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation.objects.select_related("country"), slug=slug)
    paginator = Paginator(queries.organisation_items(org), PAGE_SIZE)
    return render(request, "portal/organisation.html", {
        "organisation": org, "description": pick(org.description),
        "page": paginator.get_page(request.GET.get("page")), "paginator": paginator,
    })


def _may_upload(user) -> bool:
    return is_editor(user) or bool(organisation_ids(user))


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """Add a file as a draft through the same ingestion service as the CLI and harvesters."""
    if not _may_upload(request.user):
        return render(request, "portal/upload_forbidden.html", status=403)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        data = upload_file.read()
        result = ingest_one(
            from_bytes(data, upload_file.name, form.metadata()),
            Options(actor=request.user, status=Status.DRAFT, provenance="upload"),
        )
        if result.status == FAILED:
            form.add_error(None, _("The file could not be added: %(reason)s") % {
                "reason": result.reason})
        else:
            item = Item.objects.get(pk=result.id)
            if result.status == CREATED:
                messages.success(request, _("Your document was added as a draft."))
            elif result.status == DUPLICATE:
                messages.info(request, _(
                    "This document is already in the library: the file was added to it."))
            else:
                messages.info(request, _("This file is already in the library."))
            if permissions.can_view(request.user, item):
                return redirect(item)
            form.add_error(None, _(
                "This file is already in the library, in an item you cannot see yet."))
    return render(request, "portal/upload.html", {"form": form})
