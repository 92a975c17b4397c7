"""The API docs work offline: their scripts are served by the hub, never from a CDN."""

import re

import pytest


@pytest.mark.django_db
def test_api_docs_load_their_scripts_from_the_hub(client):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert sources, page[:500]
    assert all(source.startswith("/static/") for source in sources), sources
    assert client.get(sources[0]).status_code == 200
