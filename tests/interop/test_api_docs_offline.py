"""The API docs work offline: their scripts are served by the hub, never from a CDN."""

import re

import pytest


@pytest.mark.django_db
def test_api_docs_load_their_scripts_from_the_hub(client):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert sources, page[:500]
    assert all(source.startswith("/static/") for source in sources), sources
    response = client.get(sources[0])
    assert response.status_code == 200
    # Read to the end, which closes the file (the test client leaves an unread one open).
    assert b"".join(response.streaming_content)
