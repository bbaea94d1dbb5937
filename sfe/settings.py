"""SFE Cloud settings: one file, every value from the environment (see README's table).

When ``DATABASE_URL`` / ``REDIS_URL`` are unset the embedded servers started by
``python -m sfe.embedded up`` are used (their addresses are in ``var/run/services.json``).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

TESTING = "pytest" in sys.modules or os.environ.get("SFE_TESTING") == "1"

# Local mode: no DATABASE_URL, so the embedded servers of `make run` / `make test` are used.
LOCAL = not os.environ.get("DATABASE_URL")
DEBUG = env.bool("DEBUG", default=LOCAL)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not LOCAL:
        raise environ.ImproperlyConfigured("SECRET_KEY must be set (it is only generated in local mode)")
    _key_file = BASE_DIR / "var" / "secret_key"
    if not _key_file.exists():
        import secrets

        _key_file.parent.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --------------------------------------------------------------------------- database

_embedded: dict[str, str] = {}
if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
    from sfe import embedded as _emb

    _embedded = _emb.urls()


def _db(var: str, fallback: str | None = None) -> dict:
    url = os.environ.get(var) or (fallback and os.environ.get(fallback))
    if url:
        cfg = environ.Env.db_url_config(url)
    elif _embedded:
        # Unix socket of the embedded server; trust authentication, local only.
        from sfe import embedded as _emb

        state = _emb.read_state()
        role = _emb.APP_ROLE if var == "DATABASE_URL" else _emb.OWNER_ROLE
        cfg = {"NAME": os.environ.get("SFE_DB_NAME") or _emb.DATABASE, "USER": role, "PASSWORD": "",
               "HOST": state["socket_dir"], "PORT": str(state["port"])}
    else:
        raise environ.ImproperlyConfigured(
            f"{var} is not set and the embedded PostgreSQL is not running: "
            "run `make run` (or `python -m sfe.embedded up`), or set DATABASE_URL."
        )
    if os.environ.get("SFE_DB_NAME"):  # benchmarks and the test Celery worker use their own database
        cfg["NAME"] = os.environ["SFE_DB_NAME"]
    cfg["ENGINE"] = "sfe.core.db"  # PostgreSQL with the per-transaction tenant scope
    if var == "DATABASE_URL":
        # Pages and tasks read a page of rows: starting parallel workers (~15 ms) costs more
        # than it saves, and on tables shared by tenants the planner went parallel for a small
        # tenant's list (measured: 3 ms → 24 ms). Set-based batch work that scans whole
        # tables asks for workers with SET LOCAL max_parallel_workers_per_gather.
        options = cfg.setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c max_parallel_workers_per_gather="
                              + str(env.int("DB_PARALLEL_WORKERS", default=0))).strip()
    cfg["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    cfg["CONN_HEALTH_CHECKS"] = True
    return cfg


DATABASES = {
    # The application role: owns nothing, subject to row-level security.
    "default": _db("DATABASE_URL"),
    # The owner role: runs migrations and the few named cross-tenant platform jobs.
    "owner": _db("DATABASE_OWNER_URL", fallback="DATABASE_URL"),
}
# Two test runs on one server at once need different names: set SFE_TEST_DB_NAME.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SFE_TEST_DB_NAME") or "test_sfe"}
DATABASE_ROUTERS = ["sfe.core.tenancy.TenantRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------- apps

INSTALLED_APPS = [
    "sfe.core",  # first: its `migrate` runs as the owner role
    "accounts",
    "products",
    "approvals",
    "customers",
    "customers.segmentation",  # label "segmentation": tiers, target lists (issue 7)
    "calls",  # field force activity (issue 5): calls, follow-ups, key messages
    "calls.planning",  # label "planning": frequency targets, cycles, cycle plans, today, calendar
    "calls.samples",  # label "samples": sample lots, stock, ledger, orders, reconciliation
    "calls.coaching",  # label "coaching": skills, co-visit evaluations
    "expenses",  # expenses, budgets and spend control (issue 6)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "guardian",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sfe.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: enters the signed-in user's tenant and wraps the view *and* the rendering in
    # one transaction whose first statement sets the tenant (transaction-local).
    "sfe.core.middleware.TenantMiddleware",
]

ROOT_URLCONF = "sfe.urls"
WSGI_APPLICATION = "sfe.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "sfe.core.context_processors.shell",
            ],
        },
    }
]

# --------------------------------------------------------------------------- auth

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.auth.EmailBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]  # per account: see SILENCED_SYSTEM_CHECKS
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.auth.locked_out"

ANONYMOUS_USER_NAME = None
SILENCED_SYSTEM_CHECKS = [
    # Lock per account, not per IP address: a pharma company's whole field force often
    # signs in through one corporate NAT address, and an IP lock would lock them all out.
    "axes.W006",
    # User.email is unique case-insensitively through the `user_email_ci_unique`
    # constraint on Lower(email), which Django's check does not recognise.
    "auth.W004",
]  # guardian: no anonymous user row

# --------------------------------------------------------------------------- i18n

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "sfe_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --------------------------------------------------------------------------- static and media

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# Find each file when it is asked for instead of listing every static file up front: the
# list is built per middleware instance, and the test client builds one per ``Client``
# (0.3 s each, most of a permission-matrix test's time). Never in production (WhiteNoise).
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns when it is missing
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Uploads: files above 2.5 MB stream to a temporary file (never whole in memory); imports
# refuse files above 50 MB themselves (customers.services.imports); a reverse proxy in
# front should allow a body of about 51 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
MEDIA_URL = "/media/"

# --------------------------------------------------------------------------- cache, Celery

REDIS_URL = os.environ.get("REDIS_URL") or _embedded.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test workers (gw0, gw1, …) each have their own database (test_sfe_gw0, …), so
    # tenant and user ids repeat between them: each also gets a Redis database of its own
    # (1, 2, …), or one worker's cached visibility or progress would be read by another. The
    # Celery worker a test starts inherits the variable and so the same Redis database.
    _xdist = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw") or 0)
    REDIS_URL = re.sub(r"/\d*$", "", REDIS_URL.rstrip("/")) + f"/{_xdist + 1}"
CACHES = {
    "default": {
        "BACKEND": "sfe.core.cache.RedisCache",  # the client made once (sfe/core/cache.py)
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "sfe.core.tenancy.cache_key",  # every key carries the tenant
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "run" / "celerybeat-schedule")

# --------------------------------------------------------------------------- API

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SFE Cloud API",
    "DESCRIPTION": "Sales Force Effectiveness for pharma: users, organisation and more.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApprovalRequestStateEnum": "approvals.models.RequestState",
        "ApprovalStepStateEnum": "approvals.models.StepState",
        "OrgNodeKindEnum": "accounts.models.OrgNode.Kind",
        "ApprovalEventKindEnum": "approvals.models.ApprovalEvent.Kind",
        "RealignmentBatchStateEnum": "customers.models.alignment.RealignmentBatch.State",
        "RealignmentBatchMethodEnum": "customers.models.alignment.RealignmentBatch.Method",
        "ImportJobStateEnum": "customers.models.jobs.ImportJob.State",
        "ImportJobKindEnum": "customers.models.jobs.ImportJob.Kind",
        "ImportJobModeEnum": "customers.models.jobs.ImportJob.Mode",
        "ChangeRequestStateEnum": "customers.models.quality.ChangeRequest.State",
        "ChangeRequestKindEnum": "customers.models.quality.ChangeRequest.Kind",
        "DuplicateStateEnum": "customers.models.quality.DuplicateCandidate.State",
        "KolLinkKindEnum": "customers.models.hcps.KolLink.Kind",
    },
}

# --------------------------------------------------------------------------- security

CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from hx-headers on <body>; see base.html
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from Redis on every request and written through to PostgreSQL (which
# survives a cache flush): one query less on every page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SECURE = env.bool("SECURE", default=not (LOCAL or TESTING))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

from csp.constants import NONCE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],  # Bootstrap's JS sets inline styles
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": ["'none'"],
        "form-action": [SELF],
    }
}

# --------------------------------------------------------------------------- mail, logs

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SFE Cloud <no-reply@sfe.local>")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "sfe.core.middleware.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# The database role names the schema invariants grant to (see sfe.core.schema).
APP_DB_ROLE = DATABASES["default"]["USER"]
OWNER_DB_ROLE = DATABASES["owner"]["USER"]
