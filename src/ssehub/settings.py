"""Django settings for SSE Hub.

Everything that differs between a laptop and a production server comes from environment
variables, and every default is the safe one: DEBUG off, a secret key generated once and kept
in the data folder, hosts limited to this machine, SQLite in WAL mode under ``var/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DATA_DIR = Path(os.environ.get("SSEHUB_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
FILES_DIR = DATA_DIR / "files"


def _secret_key() -> str:
    """Use SSEHUB_SECRET_KEY, else a random key generated once and kept in the data folder."""
    key = os.environ.get("SSEHUB_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("SSEHUB_DEBUG", False)
ALLOWED_HOSTS = _env_list("SSEHUB_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("SSEHUB_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "ssehub.core",
    "ssehub.sdg",
    "ssehub.library",
    "ssehub.search",
    "ssehub.portal",
    "ssehub.harvest",
    "ssehub.interop",
    "ssehub.surveys",
    "ssehub.calls",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular_sidecar",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ssehub.urls"
WSGI_APPLICATION = "ssehub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ssehub.portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'ssehub.sqlite3'}"),
        conn_max_age=int(os.environ.get("SSEHUB_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while the ingester writes; IMMEDIATE avoids "database is locked"
    # upgrades from read to write transactions under concurrency.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"  # filled by `ssehub collectstatic` for production servers
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if _env_bool("SSEHUB_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000

# --- SSE Hub settings ------------------------------------------------------------------------
# Largest file accepted by upload, CLI and harvest (bytes). Default 100 MB.
SSEHUB_MAX_FILE_BYTES = int(os.environ.get("SSEHUB_MAX_FILE_BYTES", str(100 * 1024 * 1024)))
# Largest total uncompressed size of a DOCX (zip) archive: the guard against zip bombs.
SSEHUB_MAX_UNZIPPED_BYTES = int(os.environ.get("SSEHUB_MAX_UNZIPPED_BYTES", str(300 * 1024 * 1024)))
# Seconds before fetching a URL gives up.
SSEHUB_FETCH_TIMEOUT = float(os.environ.get("SSEHUB_FETCH_TIMEOUT", "20"))
# Hosts or networks that may be fetched although they resolve to loopback/private addresses
# (e.g. "127.0.0.1,10.0.0.0/8,intranet.example.org"). Empty by default: nothing internal.
SSEHUB_URL_ALLOWLIST = _env_list("SSEHUB_URL_ALLOWLIST")
# Folders from which a CSV/JSON harvest source configured in the admin may read a local file
# (e.g. "/srv/ssehub/imports"). Empty by default: the admin takes URLs only; the command line
# (`ssehub harvest add`, run by whoever runs the server) takes any path.
SSEHUB_HARVEST_FILE_DIRS = _env_list("SSEHUB_HARVEST_FILE_DIRS")
# Extraction worker processes for a batch of files (`ssehub ingest --jobs`); 0 = one per core,
# at most 4. Batches of fewer than 16 inputs are ingested in one process.
SSEHUB_INGEST_JOBS = int(os.environ.get("SSEHUB_INGEST_JOBS", "0"))
# How those workers start: "" = forked from a single-threaded process (the CLI), spawned
# otherwise; "fork" or "spawn" forces one (see ssehub.library.ingest.parallel).
SSEHUB_INGEST_START = os.environ.get("SSEHUB_INGEST_START", "")
# How an OAI-PMH harvest reads the next page while storing one: "auto" = a forked process from
# a single-threaded process (the CLI), a thread otherwise; "process", "thread" or "off" forces
# one (see ssehub.harvest.readahead).
SSEHUB_HARVEST_READ_AHEAD = os.environ.get("SSEHUB_HARVEST_READ_AHEAD", "auto")
# Who applies a harvest's search index updates while it runs: "auto" = a forked follower process
# where forking is safe and it saves work (not with SDG mapping and semantic search both on),
# the run's own process otherwise; "process" or "inline" forces one (see ssehub.search.follower).
SSEHUB_HARVEST_INDEXER = os.environ.get("SSEHUB_HARVEST_INDEXER", "auto")
# Jaccard similarity above which two texts are one work (same report as PDF and HTML).
SSEHUB_NEAR_DUPLICATE_THRESHOLD = float(os.environ.get("SSEHUB_NEAR_DUPLICATE_THRESHOLD", "0.8"))
# `ssehub run` runs periodic jobs (due harvests) in a background thread every N seconds.
SSEHUB_SCHEDULER = _env_bool("SSEHUB_SCHEDULER", True)
SSEHUB_SCHEDULER_INTERVAL = float(os.environ.get("SSEHUB_SCHEDULER_INTERVAL", "300"))
# Map every ingested item to the SDGs (machine links with evidence); editors decide after.
SSEHUB_SDG_AUTOMAP = _env_bool("SSEHUB_SDG_AUTOMAP", True)
# Callables run on every ingested item inside its transaction: SDG mapping, indexing, ...
SSEHUB_INGEST_HOOKS: list[str] = [
    "ssehub.sdg.services.ingest_hook",
    "ssehub.library.hooks.index_item",
]
# Search: "tantivy" (embedded, the default) or "postgres" (needs DATABASE_URL on PostgreSQL).
SSEHUB_SEARCH_BACKEND = os.environ.get("SSEHUB_SEARCH_BACKEND", "tantivy").strip().lower()
# Where the tantivy index and the item vectors live (a projection: `ssehub reindex` rebuilds it).
SSEHUB_INDEX_DIR = Path(os.environ.get("SSEHUB_INDEX_DIR", str(DATA_DIR / "index"))).resolve()
# Apply index updates right after each commit (embedded default); off when a worker runs
# `ssehub reindex --outbox --watch` instead.
SSEHUB_SEARCH_INLINE = _env_bool("SSEHUB_SEARCH_INLINE", True)
# Cross-lingual semantic search (item embeddings, hybrid ranking).
SSEHUB_SEARCH_SEMANTIC = _env_bool("SSEHUB_SEARCH_SEMANTIC", True)
# Lowest query-item cosine similarity kept as a semantic candidate. Tuned on the labelled
# query set (bench/search_quality): hybrid nDCG@10 0.28 at 0.35, 0.55 at 0.20, 0.55 at 0.15.
SSEHUB_SEARCH_SEMANTIC_MIN = float(os.environ.get("SSEHUB_SEARCH_SEMANTIC_MIN", "0.2"))
SSEHUB_SEARCH_SEMANTIC_WEIGHT = float(os.environ.get("SSEHUB_SEARCH_SEMANTIC_WEIGHT", "1.0"))
SSEHUB_SEARCH_MAX_QUERY_CHARS = 1000
SSEHUB_SEARCH_MAX_BODY_CHARS = int(os.environ.get("SSEHUB_SEARCH_MAX_BODY_CHARS", "200000"))
# A missing or damaged index is rebuilt during the request up to this many items.
SSEHUB_SEARCH_AUTO_REBUILD_MAX = int(os.environ.get("SSEHUB_SEARCH_AUTO_REBUILD_MAX", "2000"))
# E-mail (saved-search digests: `ssehub search alerts`); the console backend prints them in dev.
EMAIL_BACKEND = os.environ.get("SSEHUB_EMAIL_BACKEND",
                               "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("SSEHUB_FROM_EMAIL", "SSE Hub <noreply@localhost>")
# The hub's public address, for links in e-mails (pages build theirs from the request).
SSEHUB_BASE_URL = os.environ.get("SSEHUB_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SSEHUB_LOG_LEVEL", "WARNING")},
}

# REST API (interop/api): token or session authentication, cursor pages, throttled per client.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "ssehub.interop.api.pagination.ItemCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "ssehub.interop.api.throttling.AnonThrottle",
        "ssehub.interop.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("SSEHUB_API_ANON_RATE", "120/minute"),
        "user": os.environ.get("SSEHUB_API_USER_RATE", "1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SSE Hub API",
    "DESCRIPTION": "The knowledge hub of the social and solidarity economy for the SDGs: "
                   "items, organisations and the SDG framework.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ssehub.interop.api.schema.add_error_responses",
    ],
    # The API docs' scripts come from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# OAI-PMH provider (/oai). The repository identifier must never change once harvested.
SSEHUB_OAI_REPOSITORY_IDENTIFIER = os.environ.get("SSEHUB_OAI_REPOSITORY_IDENTIFIER",
                                                  "ssehub.local")
SSEHUB_OAI_REPOSITORY_NAME = os.environ.get("SSEHUB_OAI_REPOSITORY_NAME", "SSE Hub")
SSEHUB_OAI_ADMIN_EMAIL = os.environ.get("SSEHUB_OAI_ADMIN_EMAIL", "")  # default: DEFAULT_FROM_EMAIL
SSEHUB_OAI_PAGE_SIZE = int(os.environ.get("SSEHUB_OAI_PAGE_SIZE", "100"))

# Calls for papers (ssehub.calls): reminders start this many days before the review deadline;
# reviews are accepted this many days after it; webmail domains added to the built-in list
# (they never make a conflict of interest).
SSEHUB_CALLS_REMIND_DAYS = int(os.environ.get("SSEHUB_CALLS_REMIND_DAYS", "3"))
SSEHUB_CALLS_REVIEW_GRACE_DAYS = int(os.environ.get("SSEHUB_CALLS_REVIEW_GRACE_DAYS", "7"))
SSEHUB_CALLS_WEBMAIL_DOMAINS = _env_list("SSEHUB_CALLS_WEBMAIL_DOMAINS")
SSEHUB_CALLS_AFFINITY_EMBEDDINGS = _env_bool("SSEHUB_CALLS_AFFINITY_EMBEDDINGS", True)
