"""Conflicts of interest: declared ones, plus those the hub can compute.

Computed: the member is an author (by account or ORCID iD); same organisation (hub
memberships, or the same affiliation text); same e-mail domain (public webmail domains do not
count: two Gmail users are not colleagues); co-authorship of an item in the hub's library
(both names among one item's creators). A conflicted pair is never assigned, and the member
cannot open the paper or its reviews.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from ssehub.calls.models import Call, CallRole, Conflict, Profile, Submission
from ssehub.calls.names import normalise_name

WEBMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.es", "hotmail.com",
    "hotmail.fr", "hotmail.es", "outlook.com", "outlook.fr", "live.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "mail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "orange.fr",
    "free.fr", "laposte.net", "sfr.fr", "wanadoo.fr", "protonmail.com", "proton.me", "yandex.com",
    "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "zoho.com", "fastmail.com",
    "example.com",
})


def webmail_domains() -> frozenset[str]:
    extra = getattr(settings, "SSEHUB_CALLS_WEBMAIL_DOMAINS", ())
    return WEBMAIL_DOMAINS | {d.lower() for d in extra}


def _domain(email: str) -> str:
    domain = (email or "").rpartition("@")[2].strip().lower()
    return "" if domain in webmail_domains() else domain


@dataclass
class Person:
    user_id: int
    name: str
    domain: str
    org_ids: set[int] = field(default_factory=set)
    affiliation: str = ""
    coauthors: set[str] = field(default_factory=set)
    orcid: str = ""


@dataclass
class Paper:
    submission_id: int
    user_ids: set[int] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    org_ids: set[int] = field(default_factory=set)
    affiliations: set[str] = field(default_factory=set)
    orcids: set[str] = field(default_factory=set)


def person(user) -> Person:
    from ssehub.library.models import Creator

    name = normalise_name(user.get_full_name() or user.get_username())
    profile = Profile.objects.filter(user=user).first()
    affiliation = normalise_name(profile.affiliation) if profile else ""
    items = set()
    full = user.get_full_name().strip()
    if full:
        variants = {full, f"{user.last_name}, {user.first_name}"}
        for variant in variants:
            items |= set(Creator.objects.filter(name__iexact=variant)
                         .values_list("item_id", flat=True))
    coauthors = {normalise_name(n) for n in
                 Creator.objects.filter(item_id__in=items).values_list("name", flat=True)}
    coauthors.discard(name)
    return Person(
        user_id=user.pk, name=name, domain=_domain(user.email),
        org_ids=set(user.memberships.values_list("organisation_id", flat=True)),
        affiliation=affiliation, coauthors=coauthors, orcid=profile.orcid if profile else "",
    )


def paper(submission: Submission) -> Paper:
    from ssehub.core.models import Membership

    out = Paper(submission_id=submission.pk, user_ids={submission.submitter_id})
    for author in submission.authors.all():
        if author.user_id:
            out.user_ids.add(author.user_id)
        out.names.add(normalise_name(author.name))
        if _domain(author.email):
            out.domains.add(_domain(author.email))
        if author.affiliation.strip():
            out.affiliations.add(normalise_name(author.affiliation))
        if author.orcid:
            out.orcids.add(author.orcid)
    out.org_ids = set(Membership.objects.filter(user_id__in=out.user_ids)
                      .values_list("organisation_id", flat=True))
    return out


def computed_reasons(who: Person, what: Paper) -> list[str]:
    reasons = []
    if who.user_id in what.user_ids or (who.orcid and who.orcid in what.orcids):
        reasons.append(_("is an author"))
    if who.org_ids & what.org_ids or (who.affiliation and who.affiliation in what.affiliations):
        reasons.append(_("same organisation"))
    if who.domain and who.domain in what.domains:
        reasons.append(_("same e-mail domain (%(domain)s)") % {"domain": who.domain})
    if who.coauthors & what.names:
        reasons.append(_("co-authors in the library"))
    return reasons


def conflict_reasons(user, submission: Submission) -> list[str]:
    """Why ``user`` may not handle ``submission`` (empty: no conflict)."""
    if user is None or not user.is_authenticated:
        return []
    declared = [
        f"{c.get_source_display()}{': ' + c.reason if c.reason else ''}"
        for c in Conflict.objects.filter(submission=submission, user=user)
    ]
    return declared + computed_reasons(person(user), paper(submission))


def call_conflicts(call: Call, user_ids: list[int] | None = None
                   ) -> dict[tuple[int, int], list[str]]:
    """Every conflicted (submission id, user id) pair of a call, with reasons, in one pass
    (the assignment solver needs them all at once)."""
    from django.contrib.auth import get_user_model

    if user_ids is None:
        user_ids = list(CallRole.objects.filter(call=call).values_list("user_id", flat=True))
    users = get_user_model().objects.filter(pk__in=set(user_ids))
    people = [person(u) for u in users]
    out: dict[tuple[int, int], list[str]] = {}
    submissions = call.submissions.prefetch_related("authors")
    for sub in submissions:
        facts = paper(sub)
        for who in people:
            reasons = computed_reasons(who, facts)
            if reasons:
                out[(sub.pk, who.user_id)] = reasons
    for conflict in Conflict.objects.filter(submission__call=call, user_id__in=user_ids):
        out.setdefault((conflict.submission_id, conflict.user_id), []).append(
            str(conflict.get_source_display()))
    return out


def conflicted_ids(user, call: Call) -> set[int]:
    """The submissions of a call that ``user`` is conflicted with, in one pass (for lists)."""
    if user is None or not user.is_authenticated:
        return set()
    return {sub_id for sub_id, _uid in call_conflicts(call, [user.pk])}
