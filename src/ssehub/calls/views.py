"""Pages of the calls: thin views over the services; permissions are the services' (a
refused request is a 403 whatever page or URL it came through)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ssehub.calls import (
    assignment,
    decisions,
    exports,
    permissions,
    programme,
    publication,
    reviewing,
    services,
)
from ssehub.calls.forms import (
    BID_CHOICES,
    CallForm,
    FileForm,
    MemberForm,
    ProfileForm,
    ReviewForm,
    SessionForm,
    SubmissionForm,
)
from ssehub.calls.models import (
    Assignment,
    Bid,
    Call,
    CallRole,
    Session,
    Submission,
    SubmissionVersion,
)
from ssehub.calls.solver import Infeasible
from ssehub.core.roles import is_editor
from ssehub.library import storage


def _submission(pk: int) -> Submission:
    try:
        return Submission.objects.select_related("call").get(pk=pk)
    except Submission.DoesNotExist as exc:
        raise Http404 from exc


def _int(data, key: str) -> int:
    """A posted id, or 404: a forged form gets "not found", never a server error."""
    value = data.get(key, "")
    if not value.isdigit():
        raise Http404
    return int(value)


def manager_only(view):
    @wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        call = get_object_or_404(Call, slug=slug)
        if not permissions.is_manager(request.user, call):
            raise PermissionDenied(_("Only the call's chairs can open this page."))
        return view(request, call, *args, **kwargs)

    return login_required(wrapper)


def _dates(call: Call, user) -> list[tuple[str, str]]:
    tz = services.user_timezone(user, call) if user.is_authenticated else call.timezone
    labels = [(_("Opens"), call.opens_at), (_("Abstract deadline"), call.abstract_deadline),
              (_("Full-paper deadline"), call.paper_deadline),
              (_("Review deadline"), call.review_deadline),
              (_("Notification"), call.notification_date),
              (_("Conference"), call.conference_start)]
    return [(label, services.show_date(value, call.timezone)
             + ("" if tz == call.timezone else f" · {services.show_date(value, tz)}"))
            for label, value in labels]


# -- public -------------------------------------------------------------------------------------

def call_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    calls = list(Call.objects.all())
    return render(request, "calls/call_list.html", {
        "open_calls": [c for c in calls if c.opens_at <= now <= c.abstract_deadline],
        "upcoming": [c for c in calls if now < c.opens_at],
        "running": [c for c in calls if c.abstract_deadline < now <= c.conference_end],
        "past": [c for c in calls if c.conference_end < now],
        "can_create": is_editor(request.user),
    })


def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    now = timezone.now()
    user = request.user
    return render(request, "calls/call_detail.html", {
        "call": call, "dates": _dates(call, user),
        "is_open": call.opens_at <= now <= call.abstract_deadline,
        "accepted": programme.accepted_papers(call) if call.submissions.exclude(
            notified_at=None).exists() else [],
        "has_programme": call.sessions.exists(),
        "is_manager": permissions.is_manager(user, call),
        "is_committee": permissions.is_committee(user, call),
        "is_reviewer": permissions.is_reviewer(user, call),
        "mine": Submission.objects.filter(call=call, submitter=user) if user.is_authenticated
        else [],
    })


def programme_page(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    return render(request, "calls/programme.html",
                  {"call": call, "sessions": programme.public_sessions(call)})


def programme_ics(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    response = HttpResponse(programme.ical(call, timezone.now()),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{call.slug}.ics"'
    return response


def abstracts(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    return render(request, "calls/abstracts.html",
                  {"call": call, "papers": programme.accepted_papers(call)})


def abstracts_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    response = HttpResponse(programme.book_pdf(call), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{call.slug}-abstracts.pdf"'
    return response


# -- authors ------------------------------------------------------------------------------------

@login_required
def profile(request: HttpRequest) -> HttpResponse:
    prof = services.profile(request.user)
    fields = ("timezone", "language", "affiliation", "orcid")
    form = ProfileForm(request.POST or None, initial={k: getattr(prof, k) for k in fields})
    if request.method == "POST" and form.is_valid():
        for key in fields:
            setattr(prof, key, form.cleaned_data[key])
        prof.save()
        messages.success(request, _("Saved."))
        return redirect("calls:profile")
    return render(request, "calls/profile.html", {"form": form})


def _pdf(form) -> tuple[str, bytes] | None:
    upload = form.cleaned_data.get("pdf")
    return (upload.name, upload.read()) if upload else None


@login_required
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    user = request.user
    initial = {"author_0_name": user.get_full_name(), "author_0_email": user.email,
               "language": (call.languages or ["en"])[0]}
    form = SubmissionForm(request.POST or None, request.FILES or None, call=call,
                          initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.data_dict()
        if "suggest" in request.POST or not data["sdgs"]:
            suggested = services.suggest_sdgs(data["title"], data["abstract"], data["language"])
            if "suggest" in request.POST:
                post = request.POST.copy()
                post.setlist("sdgs", [str(g) for g in suggested])
                form = SubmissionForm(post, call=call)
                messages.info(request, _("The SDG mapper suggests the goals ticked below: "
                                         "check them, add your PDF and submit."))
                return render(request, "calls/submit.html", {"form": form, "call": call})
            data["sdgs"] = suggested
        try:
            submission = services.submit(call, user, data, form.authors(), _pdf(form))
            for member_id in form.cleaned_data["conflicts"]:
                services.declare_conflict(submission, get_user_model().objects.get(
                    pk=member_id), actor=user, reason=_("declared on submission"))
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your submission is received: a receipt was e-mailed."))
            return redirect("calls:my_submission", submission.pk)
    return render(request, "calls/submit.html", {"form": form, "call": call})


@login_required
def my_submissions(request: HttpRequest) -> HttpResponse:
    subs = Submission.objects.filter(submitter=request.user) | Submission.objects.filter(
        authors__user=request.user)
    return render(request, "calls/my_submissions.html",
                  {"submissions": subs.distinct().select_related("call")})


@login_required
def my_submission(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(pk)
    if not permissions.is_author(request.user, submission):
        raise PermissionDenied(_("This is not your submission."))
    call = submission.call
    if request.method == "POST" and "withdraw" in request.POST:
        try:
            services.withdraw(submission, request.user)
        except services.WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your paper is withdrawn."))
        return redirect("calls:my_submission", pk)
    form = None
    if submission.accepted and submission.notified_at:
        form = FileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["pdf"]
            try:
                decisions.upload_camera_ready(submission, request.user, upload.name,
                                              upload.read())
            except services.WorkflowError as exc:
                form.add_error("pdf", str(exc))
            else:
                messages.success(request, _("Camera-ready version uploaded."))
                return redirect("calls:my_submission", pk)
    reviews = (reviewing.reviews_for(request.user, submission)
               if submission.notified_at else [])
    tz = services.user_timezone(request.user, call)
    return render(request, "calls/my_submission.html", {
        "submission": submission, "call": call, "form": form, "reviews": reviews,
        "versions": submission.versions.all(),
        "can_revise": timezone.now() <= call.paper_deadline and not submission.withdrawn,
        "paper_deadline": services.show_date(call.paper_deadline, tz),
        "meta": getattr(submission, "meta_review", None) if submission.notified_at else None,
    })


@login_required
def revise(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(pk)
    if not permissions.is_author(request.user, submission):
        raise PermissionDenied(_("This is not your submission."))
    form = SubmissionForm(request.POST or None, request.FILES or None, call=submission.call,
                          initial=SubmissionForm.initial_for(submission))
    form.fields.pop("conflicts")
    if request.method == "POST" and form.is_valid():
        try:
            services.revise(submission, request.user, form.data_dict(), form.authors(),
                            _pdf(form))
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your submission is updated."))
            return redirect("calls:my_submission", pk)
    return render(request, "calls/submit.html", {"form": form, "call": submission.call,
                                                 "submission": submission})


def _file_response(digest: str, filename: str) -> HttpResponse:
    with storage.open_blob(digest) as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def original_file(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """The file as uploaded, with its metadata: its authors and the call's managers only."""
    submission = _submission(pk)
    if not permissions.can_see_authors(request.user, submission):
        raise PermissionDenied(_("You may not download this file."))
    v = get_object_or_404(SubmissionVersion, submission=submission, pk=version)
    return _file_response(v.sha256, v.filename.replace('"', ""))


@login_required
def blind_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The reviewers' copy: latest version, metadata stripped, neutral file name."""
    submission = _submission(pk)
    if not permissions.can_view_paper(request.user, submission):
        raise PermissionDenied(_("You may not open this paper."))
    version = submission.latest_version
    if version is None:
        raise Http404
    return _file_response(version.blind_sha256, f"paper-{submission.pk}-v{version.number}.pdf")


# -- reviewers and committee -----------------------------------------------------------------------

@login_required
def reviewing_home(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    user = request.user
    if not permissions.is_reviewer(user, call):
        raise PermissionDenied(_("You are not a reviewer of this call."))
    role = CallRole.objects.get(call=call, user=user, role=CallRole.Role.REVIEWER)
    if request.method == "POST":
        try:
            if "topics" in request.POST:
                services.set_topics(call, user, request.POST["topics"].split(","))
            for key, value in request.POST.items():
                if key.startswith("bid_") and key[4:].isdigit():
                    reviewing.bid(_submission(int(key[4:])), user, value)
        except services.WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
        return redirect("calls:reviewing", call.slug)
    bidding = not call.assignments_confirmed()
    papers = []
    if bidding:
        bids = dict(Bid.objects.filter(reviewer=user, submission__call=call)
                    .values_list("submission_id", "level"))
        papers = [(s, bids.get(s.pk, "")) for s in call.submissions.filter(withdrawn=False)
                  if permissions.can_view_paper(user, s)]
    assigned = Assignment.objects.filter(reviewer=user, confirmed=True, submission__call=call,
                                         submission__withdrawn=False
                                         ).select_related("submission")
    done = set(call.submissions.filter(reviews__reviewer=user,
                                       reviews__submitted_at__isnull=False)
               .values_list("pk", flat=True))
    return render(request, "calls/reviewing.html", {
        "call": call, "role": role, "papers": papers, "bidding": bidding,
        "bid_choices": BID_CHOICES, "assigned": assigned, "done": done,
        "deadline": services.show_date(call.review_deadline,
                                       services.user_timezone(user, call)),
    })


@login_required
def paper(request: HttpRequest, pk: int) -> HttpResponse:
    """One paper for the committee and its reviewers: blind unless the reader manages the call
    (or wrote it); 403 for a conflicted member, whatever the URL."""
    submission = _submission(pk)
    user = request.user
    if not permissions.can_view_paper(user, submission):
        raise PermissionDenied(_("You may not open this paper."))
    call = submission.call
    if request.method == "POST":
        try:
            if "comment" in request.POST:
                reviewing.comment(submission, user, request.POST["comment"])
            elif "meta" in request.POST:
                reviewing.meta_review(submission, user, request.POST["meta"])
            elif "declare_conflict" in request.POST:
                services.declare_conflict(submission, user, actor=user,
                                          reason=request.POST.get("reason", ""))
                messages.success(request, _("Your conflict is recorded: this paper is no longer "
                                            "yours to review."))
                if permissions.is_reviewer(user, call):
                    return redirect("calls:reviewing", call.slug)
                return redirect("calls:detail", call.slug)
        except services.WorkflowError as exc:
            messages.error(request, str(exc))
        return redirect("calls:paper", pk)
    committee = permissions.is_committee(user, call) and not permissions.is_conflicted(
        user, submission)
    reviews = (reviewing.reviews_for(user, submission)
               if permissions.can_see_reviews(user, submission) else None)
    return render(request, "calls/paper.html", {
        "submission": submission, "call": call,
        "show_authors": permissions.can_see_authors(user, submission),
        "committee": committee, "manager": permissions.is_manager(user, call),
        "reviews": reviews,
        "can_review": permissions.can_review(user, submission),
        "can_declare": not permissions.is_author(user, submission) and (
            permissions.is_reviewer(user, call) or permissions.is_committee(user, call)),
        "comments": submission.comments.select_related("author") if committee else [],
        "meta": getattr(submission, "meta_review", None) if committee else None,
        "version": submission.latest_version,
        "versions": submission.versions.all(),
    })


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(pk)
    user = request.user
    if not permissions.can_review(user, submission):
        raise PermissionDenied(_("You are not reviewing this paper."))
    call = submission.call
    existing = submission.reviews.filter(reviewer=user).first()
    initial = {}
    if existing:
        initial = {**{f"score_{k}": str(v) for k, v in existing.scores.items()},
                   **{f"text_{k}": v for k, v in existing.texts.items()}}
    form = ReviewForm(request.POST or None, call=call, initial=initial)
    if request.method == "POST" and form.is_valid():
        submit_it = "submit" in request.POST
        try:
            reviewing.save_review(submission, user, form.scores(), form.texts(), submit=submit_it)
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Review submitted.") if submit_it
                             else _("Draft saved."))
            return redirect("calls:paper", pk) if submit_it else redirect("calls:review", pk)
    return render(request, "calls/review.html", {
        "form": form, "submission": submission, "call": call, "existing": existing,
        "deadline": services.show_date(call.review_deadline, services.user_timezone(user, call)),
    })


# -- chairs -------------------------------------------------------------------------------------

@login_required
def call_new(request: HttpRequest) -> HttpResponse:
    if not is_editor(request.user):
        raise PermissionDenied(_("Only editors can create a call."))
    form = CallForm(request.POST or None, initial={"timezone": "UTC", "languages_list": ["en"]})
    if request.method == "POST" and form.is_valid():
        try:
            call = services.create_call(form.call_data(), actor=request.user)
        except ValidationError as exc:  # the model's own checks (dates in order...)
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The call is created."))
            return redirect("calls:manage", call.slug)
    return render(request, "calls/call_form.html", {"form": form})


@manager_only
def call_edit(request: HttpRequest, call: Call) -> HttpResponse:
    form = CallForm(request.POST or None, instance=call)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_call(call, form.call_data(), actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Saved."))
            return redirect("calls:manage", call.slug)
    return render(request, "calls/call_form.html", {"form": form, "call": call})


@manager_only
def manage(request: HttpRequest, call: Call) -> HttpResponse:
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
        if user is None:
            form.add_error("username", _("No such user."))
        else:
            topics = [t.strip() for t in form.cleaned_data["topics"].split(",") if t.strip()]
            services.add_member(call, user, form.cleaned_data["role"], actor=request.user,
                                topics=topics or None)
            messages.success(request, _("%(user)s added.") % {"user": user.get_username()})
            return redirect("calls:manage", call.slug)
    return render(request, "calls/manage.html", {
        "call": call, "form": form,
        "progress": reviewing.progress(call, request.user),
        "members": CallRole.objects.filter(call=call).select_related("user"),
    })


@manager_only
def assign(request: HttpRequest, call: Call) -> HttpResponse:
    problems = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "propose":
                result = assignment.propose(call, actor=request.user)
                messages.success(request, _("Proposal ready: mean affinity %(a)s.") % {
                    "a": f"{result.mean_affinity:.3f}"})
            elif action == "confirm":
                n = assignment.confirm(call, actor=request.user)
                messages.success(request, _("%(n)s assignments confirmed.") % {"n": n})
            elif action == "remove":
                assignment.remove(get_object_or_404(Assignment, pk=_int(request.POST, "assignment"),
                                                     submission__call=call), actor=request.user)
            elif action == "add":
                sub = get_object_or_404(Submission, pk=_int(request.POST, "submission"), call=call)
                reviewer = assignment.reviewer_by_name(call, request.POST.get("reviewer", ""))
                assignment.add(sub, reviewer, actor=request.user)
        except Infeasible as exc:
            problems = exc.problems
        except (PermissionDenied, services.WorkflowError) as exc:
            messages.error(request, str(exc))
        if problems is None:
            return redirect("calls:assign", call.slug)
    return render(request, "calls/assign.html", {
        "call": call, "problems": problems, "summary": assignment.summary(call),
        "assignments": Assignment.objects.filter(submission__call=call)
        .select_related("submission", "reviewer").order_by("submission_id", "reviewer__username"),
        "submissions": call.submissions.filter(withdrawn=False),
        "reviewers": CallRole.objects.filter(call=call, role=CallRole.Role.REVIEWER)
        .select_related("user"),
    })


@manager_only
def decide(request: HttpRequest, call: Call) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("action") == "notify":
                n = decisions.notify(call, actor=request.user)
                messages.success(request, _("%(n)s notification(s) sent.") % {"n": n})
            else:
                ids = [int(x) for x in request.POST.getlist("papers") if x.isdigit()]
                n = decisions.decide(call, ids, request.POST.get("decision", ""),
                                     actor=request.user)
                messages.success(request, _("Decision recorded for %(n)s paper(s).") % {"n": n})
        except (PermissionDenied, services.WorkflowError) as exc:
            messages.error(request, str(exc))
        return redirect("calls:decide", call.slug)
    return render(request, "calls/decide.html", {
        "call": call, "progress": reviewing.progress(call, request.user),
        "decisions": [c for c in Submission.Decision.choices if c[0]],
    })


@manager_only
def programme_edit(request: HttpRequest, call: Call) -> HttpResponse:
    source = request.POST if "session" in request.POST else request.GET
    session = get_object_or_404(Session, pk=_int(source, "session"), call=call) \
        if source.get("session") else None
    if request.method == "POST" and "delete" in request.POST and session is not None:
        programme.delete_session(session, actor=request.user)
        messages.success(request, _("Session deleted."))
        return redirect("calls:programme_edit", call.slug)
    initial = {}
    if session is not None:
        initial = {"starts_at": call.local(session.starts_at).replace(tzinfo=None),
                   "ends_at": call.local(session.ends_at).replace(tzinfo=None),
                   "papers": list(session.papers.all())}
    form = SessionForm(request.POST or None, call=call, instance=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("title", "room", "starts_at", "ends_at",
                                                  "chair_names")}
        try:
            programme.save_session(call, data, [p.pk for p in form.cleaned_data["papers"]],
                                   actor=request.user, session=session)
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Session saved."))
            return redirect("calls:programme_edit", call.slug)
    return render(request, "calls/programme_edit.html",
                  {"call": call, "form": form, "session": session,
                   "sessions": programme.public_sessions(call)})


@manager_only
@require_POST
def publish(request: HttpRequest, call: Call) -> HttpResponse:
    done, problems = publication.publish_all(call, actor=request.user)
    messages.success(request, _("%(n)s paper(s) published in the library.") % {"n": done})
    for problem in problems:
        messages.error(request, problem)
    return redirect("calls:detail", call.slug)


@login_required
def export(request: HttpRequest, slug: str, what: str, fmt: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    if what not in ("submissions", "reviews") or fmt not in ("csv", "xlsx"):
        raise Http404
    table = exports.rows(call, request.user, what)
    if fmt == "csv":
        response = HttpResponse(exports.as_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.as_xlsx(table, what),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{call.slug}-{what}.{fmt}"'
    return response
