"""Configuration comes from environment variables, with safe defaults."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "db = settings.DATABASES['default'];"
    "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS,"
    " 'engine': db['ENGINE'], 'name': str(db['NAME']), 'data': str(settings.DATA_DIR),"
    " 'key': settings.SECRET_KEY, 'max': settings.SSEHUB_MAX_FILE_BYTES,"
    " 'allow': settings.SSEHUB_URL_ALLOWLIST}))"
)


def _settings(env: dict[str, str]) -> dict:
    base = {"DJANGO_SETTINGS_MODULE": "ssehub.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_safe_defaults(tmp_path):
    values = _settings({"SSEHUB_DATA_DIR": str(tmp_path)})
    assert values["debug"] is False
    assert values["hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "ssehub.sqlite3")
    assert values["max"] == 100 * 1024 * 1024
    assert values["allow"] == []
    # A random key is generated once, kept private in the data folder, and reused.
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert len(values["key"]) >= 50
    assert _settings({"SSEHUB_DATA_DIR": str(tmp_path)})["key"] == values["key"]


def test_environment_overrides(tmp_path):
    values = _settings({
        "SSEHUB_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/hub",
        "SSEHUB_SECRET_KEY": "k" * 60,
        "SSEHUB_DEBUG": "true",
        "SSEHUB_ALLOWED_HOSTS": "hub.example.org, www.hub.example.org",
        "SSEHUB_MAX_FILE_BYTES": "1000",
        "SSEHUB_URL_ALLOWLIST": "127.0.0.1,10.0.0.0/8",
    })
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "hub"
    assert values["key"] == "k" * 60
    assert values["debug"] is True
    assert values["hosts"] == ["hub.example.org", "www.hub.example.org"]
    assert values["max"] == 1000
    assert values["allow"] == ["127.0.0.1", "10.0.0.0/8"]
    assert not (tmp_path / "secret_key").exists()
