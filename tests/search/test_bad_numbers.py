"""Absurd numbers in search parameters are clamped or ignored, never a server error."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/search/?year_from=99999999999999999999",
    "/api/search?year_from=99999999999999999999&year_to=-5",
    "/search/?page=99999999999999999999",
    "/api/search?page_size=99999999999999",
])
def test_absurd_numbers_do_not_fail(client, url):
    assert client.get(url).status_code < 500
