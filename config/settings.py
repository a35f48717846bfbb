"""Settings for V2G Settlement, read from the environment with safe embedded defaults."""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = _env_bool("DEBUG", default=False)

# A development key is acceptable only while DEBUG is on. Without DEBUG an unset key stays
# empty: Django then refuses any use of it (signing a session, a reset link), and the web
# entry points refuse to start (config/startup.py), while commands that sign nothing
# (migrate, makemigrations --check) still run, as Django intends with its lazy check.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Django's form templates, so templates/django/forms/ can override them (FORM_RENDERER).
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "settlement.api",
    "settlement.portal",
    "settlement.demo",
    "settlement.metering",
    "settlement.tariffs",
    "settlement.statements",
    "settlement.rate_preview",
    "settlement.programs",
    "settlement.events",
    "pgtrigger",
    "settlement.ledger",
    "settlement.payouts",
    "settlement.openadr",
    "settlement.notices",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.private_pages.PrivatePages",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A strict Content-Security-Policy on every response, DEBUG or not.
    "csp.middleware.CSPMiddleware",
    "config.domain_error_pages.DomainErrorPages",
    # Last, as django-axes requires: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

# Scripts and styles only from the service's own static files: no inline script, <style>,
# style= attribute or on*= handler works, so injected markup cannot run. Forms may post to
# this site only, but no form-action is set: connecting a payout account posts here and is
# redirected to Stripe's hosted onboarding, which Chromium would block under form-action.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF],
        # Swagger UI draws its icons as data: images.
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}

# Forms render through the project's templates: templates/django/forms/ makes every error
# list an alert (role="alert") for portal and staff forms alike; Django marks the field
# aria-invalid and points its aria-describedby at the errors.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "settlement.portal.context_processors.notices",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    # The embedded default: a SQLite file under var/, so a fresh clone runs with no server.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'v2g.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The dev server, a command and a webhook write at once. IMMEDIATE takes the write lock
    # when a transaction begins, so a transaction never has to upgrade a read lock (which
    # SQLite refuses at once, busy timeout or not, with "database is locked"); WAL lets
    # readers go on beside the one writer; the busy timeout makes a writer wait its turn.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=20000; PRAGMA synchronous=NORMAL"
        ),
    }
if os.environ.get("DATABASE_TEST_NAME"):
    # CI points its Celery worker at this name so the worker sees what the tests commit.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic`; development and tests serve as-is.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _env_bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Email: printed to stderr by default so a development machine never sends mail.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "config.console_mail.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "V2G Settlement <noreply@localhost>")
# Where links in emails point (invitations are sent by commands, which have no request).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Invitation and password-reset links work once and expire after this many seconds.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(7 * 24 * 3600)))

# Production hardening, all on unless DEBUG; each can be relaxed behind a TLS-terminating proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# How many proxies in front of the app append to X-Forwarded-For and are trusted to (0: none,
# the header is ignored). One setting for sign-in lockouts and throttles (docs/operations.md).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "settlement.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.exception_handler.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    # Token requests (password guesses): per client address and per account named.
    "DEFAULT_THROTTLE_RATES": {
        "sign_in_address": "60/hour",
        "sign_in_account": "10/hour",
        # "Forgot your password?": one address may ask 20 times an hour, one account 3.
        "password_reset_address": "20/hour",
        "password_reset_account": "3/hour",
    },
    # The API reads JSON bodies: a form cannot say null, a number or a list, so a multipart
    # body could hold values the schema calls invalid. Uploads (a file) and the token
    # endpoint (DRF's, form or JSON) name their own parsers.
    "DEFAULT_PARSER_CLASSES": ["settlement.api.parsers.JSONParser"],
    "PAGE_SIZE": 100,
    # The client address of throttles: X-Forwarded-For only behind trusted proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "V2G Settlement API",
    "DESCRIPTION": "Metered exports in, credits computed, reviewed and paid.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the service's own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No deep links: each operation's summary is one button, with no link nested inside it
    # (axe-core's nested-interactive). Themed by templates/drf_spectacular/swagger_ui.html.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    # The schema and docs are public: they describe operations and fields, hold no data, and
    # every endpoint still checks who is asking. Integrators read them before they get a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_PUBLIC": True,
    # Request bodies get their own components, so a file field is a binary part.
    "COMPONENT_SPLIT_REQUEST": True,
    # Two `kind` fields (an event's, a participant's) would otherwise get hashed enum names.
    "ENUM_NAME_OVERRIDES": {
        "EventKindEnum": "settlement.api.events.EVENT_KIND_CHOICES",
        "ParticipantKindEnum": "accounts.models.Participant.Kind",
        # The program's form and the form for organizations are one choice set of forms.
        "TaxFormEnum": "settlement.payouts.program_settings.TAX_FORMS",
    },
}

# Celery: with no REDIS_URL the tasks run eagerly in-process, so `make run` needs no broker.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Kombu's Redis transport delivers a task again when it was not acknowledged within
# visibility_timeout (default 3600 s, longer than any load): a worker killed mid-task.
# JSON, e.g. {"visibility_timeout": 5} in the redelivery test's workers.
CELERY_BROKER_TRANSPORT_OPTIONS = json.loads(
    os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS", "{}")
)

# Meter data: the largest file accepted (a bigger one is rejected, and kept truncated with
# its report), and the size above which API and staff uploads are processed by a worker.
METERING_MAX_UPLOAD_BYTES = int(os.environ.get("METERING_MAX_UPLOAD_BYTES", str(1 << 30)))
METERING_INLINE_MAX_BYTES = int(os.environ.get("METERING_INLINE_MAX_BYTES", str(5 << 20)))
# On PostgreSQL, files from this size on are merged by a second connection while they are
# still being parsed (settlement/metering/store_postgres.py).
METERING_PIPELINE_MIN_BYTES = int(os.environ.get("METERING_PIPELINE_MIN_BYTES", str(8 << 20)))

STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
# Payouts: how long one Stripe call may take, how often a 5xx is retried (with exponential
# backoff from the base), when a payout stuck SENDING (its worker died) is reconciled, and
# how long after an unknown outcome the transfer group is listed.
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "30"))
PAYOUT_MAX_SEND_ATTEMPTS = int(os.environ.get("PAYOUT_MAX_SEND_ATTEMPTS", "5"))
PAYOUT_RETRY_BASE_SECONDS = float(os.environ.get("PAYOUT_RETRY_BASE_SECONDS", "30"))
PAYOUT_SENDING_STALE_SECONDS = float(os.environ.get("PAYOUT_SENDING_STALE_SECONDS", "300"))
PAYOUT_RECONCILE_DELAY_SECONDS = float(os.environ.get("PAYOUT_RECONCILE_DELAY_SECONDS", "60"))
# A payout run re-queues a waiting payout (or an unknown one's reconciliation) only once it
# has been untouched this long: its own task is normally queued already.
PAYOUT_REDISPATCH_AFTER_SECONDS = float(os.environ.get("PAYOUT_REDISPATCH_AFTER_SECONDS", "300"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # The stripe library logs every request at INFO; its errors reach us as exceptions.
    "loggers": {"stripe": {"level": "WARNING"}},
}

# Throttle counters and other cache entries. One process's memory unless CACHE_URL names a
# Redis database, which several processes (gunicorn workers) must share for the limits to
# hold across them.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Rendered statement PDFs, keyed by a hash of what they print
    # (settlement.payouts.statement_documents): a directory under DOCUMENTS_CACHE_DIR that
    # every worker shares, else each process's memory. Either is only ever a copy: a miss
    # renders the PDF again.
    "documents": (
        {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["DOCUMENTS_CACHE_DIR"],
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
        if os.environ.get("DOCUMENTS_CACHE_DIR")
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "documents",
            "OPTIONS": {"MAX_ENTRIES": 1_000},
        }
    ),
}

# django-axes (config/sign_in_lockout.py, docs/operations.md): 5 failed sign-ins for one
# account from one address, or 20 for one account from anywhere, refuse further tries for
# 15 minutes (429, Retry-After) on the sign-in page and the token endpoint. An address alone
# never locks: behind the proxy many clients share one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "config.sign_in_lockout.PairThenAccountHandler"
AXES_FAILURE_LIMIT = 5
AXES_ACCOUNT_FAILURE_LIMIT = 20
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_CLIENT_IP_CALLABLE = "config.sign_in_lockout.client_address"
AXES_USERNAME_CALLABLE = "config.sign_in_lockout.sign_in_name"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.error_pages.locked_out"

# OpenADR 3.1.0 VTN (docs/openadr.md).
OPENADR_TOKEN_SECONDS = int(os.environ.get("OPENADR_TOKEN_SECONDS", "3600"))
# Subscription callbacks must start with one of these URL prefixes (scheme, host, port and
# path); none configured refuses every callback.
OPENADR_CALLBACK_ALLOWED_PREFIXES = _env_list("OPENADR_CALLBACK_ALLOWED_PREFIXES", default=[])
OPENADR_WEBHOOK_SIGNING_KEY = os.environ.get("OPENADR_WEBHOOK_SIGNING_KEY", "") or (
    "openadr-webhooks:" + SECRET_KEY
)
OPENADR_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("OPENADR_WEBHOOK_TIMEOUT_SECONDS", "5"))
OPENADR_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("OPENADR_WEBHOOK_MAX_ATTEMPTS", "6"))
OPENADR_WEBHOOK_RETRY_BASE_SECONDS = float(
    os.environ.get("OPENADR_WEBHOOK_RETRY_BASE_SECONDS", "10")
)
# A new or changed subscription's callbacks must answer the spec's `echo` challenge (a GET
# with ?echo=<random>, the value in the 200 body) before it is stored.
OPENADR_SUBSCRIPTION_CHALLENGE = os.environ.get(
    "OPENADR_SUBSCRIPTION_CHALLENGE", "true"
).lower() not in ("0", "false", "no")
# The MQTT notifier binding: the broker the VTN publishes to (mqtt://host:port; empty turns
# the binding off), the URIs clients are told to connect to (default: the same), and the
# prefix of every topic (one broker may serve several VTNs).
OPENADR_MQTT_BROKER_URL = os.environ.get("OPENADR_MQTT_BROKER_URL", "")
OPENADR_MQTT_CLIENT_URIS = _env_list(
    "OPENADR_MQTT_CLIENT_URIS",
    default=[OPENADR_MQTT_BROKER_URL] if OPENADR_MQTT_BROKER_URL else [],
)
OPENADR_MQTT_TOPIC_PREFIX = os.environ.get("OPENADR_MQTT_TOPIC_PREFIX", "openadr3/")
