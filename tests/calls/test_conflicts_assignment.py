"""Conflicts (declared and computed) and the assignment service, command and page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from ssehub.calls import assignment, conflicts, services
from ssehub.calls.models import Assignment, Bid, CallRole
from ssehub.calls.services import AuthorData
from ssehub.calls.solver import Infeasible
from ssehub.core.models import Membership, Organisation
from ssehub.library.services import create_item

from .conftest import login, user


def test_same_organisation_conflict_from_hub_memberships(world):
    org = Organisation.objects.get(slug="ilo")
    Membership.objects.create(user=world.ann, organisation=org)
    Membership.objects.create(user=world.reviewers[0], organisation=org)
    sub = world.submit()
    assert "same organisation" in conflicts.conflict_reasons(world.reviewers[0], sub)
    assert conflicts.conflict_reasons(world.reviewers[1], sub) == []


def test_same_email_domain_conflicts_but_webmail_does_not(world):
    colleague = user("col", first="Col", last="League", email="col@coop-lab.org")
    gmail_rev = user("gm", first="Gee", last="Mail", email="someone@gmail.com")
    for u in (colleague, gmail_rev):
        services.add_member(world.call, u, CallRole.Role.REVIEWER)
    sub = world.submit(authors=[AuthorData("Annabelle Zorrilla", "ann@coop-lab.org"),
                                AuthorData("Bobby Quixote", "bob@gmail.com")])
    assert any("coop-lab.org" in r for r in conflicts.conflict_reasons(colleague, sub))
    assert conflicts.conflict_reasons(gmail_rev, sub) == []


def test_coauthorship_in_the_library_is_a_conflict(world):
    create_item({"title": {"en": "Joint paper"}, "type": "article",
                 "creators": ["Rev1 Iewer1", "Zorrilla, Annabelle"]})
    sub = world.submit()
    assert "co-authors in the library" in conflicts.conflict_reasons(world.reviewers[0], sub)
    assert "co-authors in the library" not in conflicts.conflict_reasons(world.reviewers[1], sub)


def test_declared_conflicts_by_author_and_by_reviewer(world):
    sub = world.submit()
    services.declare_conflict(sub, world.reviewers[0], actor=world.ann, reason="former boss")
    services.declare_conflict(sub, world.reviewers[1], actor=world.reviewers[1])
    assert conflicts.conflict_reasons(world.reviewers[0], sub)
    assert conflicts.conflict_reasons(world.reviewers[1], sub)
    with pytest.raises(PermissionDenied):  # a reviewer cannot declare someone else's conflict
        services.declare_conflict(sub, world.reviewers[3], actor=world.reviewers[2])


def test_conflicted_pairs_are_never_assigned_and_loads_hold(world):
    subs = [world.submit(title=f"Paper {i}") for i in range(4)]
    bob_sub = world.submit(author=world.bob, title="Bob's paper",
                           authors=[AuthorData("Bobby Quixote", "bob@gmail.com")])
    services.declare_conflict(bob_sub, world.reviewers[0], actor=world.bob)
    Bid.objects.create(submission=subs[0], reviewer=world.reviewers[1], level="unwilling")
    Bid.objects.create(submission=subs[1], reviewer=world.reviewers[2], level="eager")
    summary = assignment.propose(world.call, actor=world.chair)
    pairs = set(Assignment.objects.values_list("submission_id", "reviewer_id"))
    assert len(pairs) == 10 == summary.assignments
    assert (bob_sub.pk, world.reviewers[0].pk) not in pairs
    assert (subs[0].pk, world.reviewers[1].pk) not in pairs
    assert (subs[1].pk, world.reviewers[2].pk) in pairs  # the eager bid wins
    assert all(load <= 3 for load in summary.loads.values())
    assert not Assignment.objects.filter(confirmed=True).exists()
    assert assignment.confirm(world.call, actor=world.chair) == 10


def test_only_chairs_assign(world):
    world.submit()
    with pytest.raises(PermissionDenied):
        assignment.propose(world.call, actor=world.committee)
    with pytest.raises(PermissionDenied):
        assignment.propose(world.call, actor=world.reviewers[0])


def test_manual_assignment_refuses_a_conflict(world):
    sub = world.submit()
    services.declare_conflict(sub, world.reviewers[0], actor=world.ann)
    with pytest.raises(PermissionDenied, match="Conflict of interest"):
        assignment.add(sub, world.reviewers[0], actor=world.chair)
    assert assignment.add(sub, world.reviewers[1], actor=world.chair).manual


def test_command_prints_the_summary(world, capsys):
    world.submit()
    world.submit(title="Second")
    call_command("calls", "assign", world.call.slug)
    out = capsys.readouterr().out
    assert "mean affinity:" in out and "assignments: 4" in out
    assert "load per reviewer: min" in out


def test_infeasible_assignment_says_what_is_missing(world, client):
    sub = world.submit()
    for r in world.reviewers[:3]:
        services.declare_conflict(sub, r, actor=r)
    with pytest.raises(Infeasible) as info:
        assignment.propose(world.call)
    assert f"paper #{sub.pk}" in str(info.value) and "only 1 eligible" in str(info.value)
    assert not Assignment.objects.exists()  # no partial answer
    with pytest.raises(CommandError, match="only 1 eligible"):
        call_command("calls", "assign", world.call.slug)
    login(client, world.chair)
    page = client.post(f"/calls/{world.call.slug}/manage/assignment/",
                       {"action": "propose"}).content.decode()
    assert "No complete assignment exists" in page and "only 1 eligible" in page


def test_affinity_uses_topics_and_library_publications(world):
    from ssehub.calls.assignment import affinity_matrix

    create_item({"title": {"en": "Water cooperatives and sanitation in Bolivia"},
                 "abstract": {"en": "Community water cooperatives in rural Bolivia."},
                 "type": "article", "creators": ["Rev2 Iewer2"]})
    sub = world.submit(title="Water cooperatives in rural Bolivia", keywords="water")
    CallRole.objects.filter(user=world.reviewers[2]).update(topics=["water"])
    roles = list(CallRole.objects.filter(call=world.call, role="reviewer")
                 .order_by("user__username"))
    aff = affinity_matrix(world.call, [sub], roles)[0]
    by_user = {r.user.username: a for r, a in zip(roles, aff, strict=True)}
    assert by_user["r2"] > by_user["r1"]  # publications in the library
    assert by_user["r3"] > by_user["r4"]  # declared topic "water"


def test_hand_made_assignments_survive_a_new_proposal_and_count(world):
    sub = world.submit()
    other = world.submit(title="Other")
    manual = assignment.add(sub, world.reviewers[3], actor=world.chair)
    assignment.propose(world.call, actor=world.chair)
    assert Assignment.objects.filter(pk=manual.pk).exists()
    assert sub.assignments.count() == 2  # the hand-made one plus one from the solver
    assert other.assignments.count() == 2
    assignment.propose(world.call, actor=world.chair)
    assert Assignment.objects.filter(pk=manual.pk).exists() and sub.assignments.count() == 2


@pytest.mark.parametrize("embeddings", [True, False])
def test_cross_lingual_affinity_needs_the_embeddings(world, settings, embeddings):
    from ssehub.calls.assignment import text_similarity

    settings.SSEHUB_CALLS_AFFINITY_EMBEDDINGS = embeddings
    sims = text_similarity(
        ["Cooperativas de agua potable en comunidades rurales de Bolivia"],
        ["Drinking water cooperatives in rural Bolivian communities",
         "Gender equality in microfinance institutions", ""])
    assert sims[0, 2] == 0  # no publication, no similarity
    if embeddings:
        assert sims[0, 0] > sims[0, 1] + 0.3
    else:
        assert sims[0, 0] < 0.3  # TF-IDF alone barely sees it (only "Bolivia" is shared)


def test_an_author_found_by_orcid_is_conflicted(world):
    from ssehub.calls.models import Profile

    Profile.objects.create(user=world.reviewers[2], orcid="0000-0002-1825-0097")
    sub = world.submit()  # its author's ORCID is 0000-0002-1825-0097
    assert "is an author" in conflicts.conflict_reasons(world.reviewers[2], sub)
