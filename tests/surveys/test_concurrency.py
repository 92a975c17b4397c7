"""Two simultaneous submissions of the same token, in two threads with their own database
connections: exactly one wins, the other is told (``EditConflict``), nothing is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ssehub.core.models import Organisation
from ssehub.surveys import services
from ssehub.surveys.models import Response

from .forms import GOOD, make_survey

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="pytest-django's SQLite test database is in memory with a shared cache, where a "
               "second writer fails at once with 'table is locked' instead of waiting as the "
               "hub's file database does (WAL, busy timeout); on SQLite the race is covered "
               "by test_responses.test_two_first_submissions_at_once_one_wins and the "
               "benchmark's 50 concurrent respondents. Runs on PostgreSQL."),
]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    from ssehub.core.reference import ensure_all

    ensure_all()


def race(invitation, revision: int, rounds: int = 2) -> list[str]:
    barrier = threading.Barrier(rounds)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.save_response(invitation, {**GOOD, "org_name": f"T{i}"}, final=True,
                                   revision=revision)
            outcome = "saved"
        except services.EditConflict:
            outcome = "conflict"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(rounds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_simultaneous_first_submissions_and_edits_one_wins():
    survey = make_survey()
    invitation = services.invite_organisations(
        survey, [Organisation.objects.get(slug="ilo")])[0]
    assert race(invitation, revision=0) == ["conflict", "saved"]
    assert Response.objects.count() == 1
    assert race(invitation, revision=1) == ["conflict", "saved"]
    stored = Response.objects.get()
    assert stored.revision == 2 and stored.data["org_name"] in {"T0", "T1"}
