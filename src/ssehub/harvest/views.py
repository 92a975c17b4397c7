"""The harvest status page: every source with its last run, health and errors.

Public and read-only: which platforms the hub gathers from, and whether that works, is part
of its provenance story (partner platforms can see how their material fares). The error
details are for editors and staff only: a cause such as "resolves to the non-public address
10.1.2.3" says something about the network that the public need not know. Configuration
stays in the back office.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ssehub.core.roles import is_editor
from ssehub.harvest import services
from ssehub.harvest.models import Source


def status_page(request: HttpRequest) -> HttpResponse:
    show_errors = request.user.is_staff or is_editor(request.user)
    rows = []
    for source in Source.objects.all():
        data = services.status(source)
        last = source.last_run
        rows.append({
            "source": source, "status": data, "health": data["health"],
            "health_label": services.health_label(source, data["health"]),
            "run": last, "errors": list(last.errors.all()[:10]) if last and show_errors else [],
        })
    return render(request, "harvest/status.html", {"rows": rows, "show_errors": show_errors})
