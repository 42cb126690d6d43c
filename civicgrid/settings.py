"""Settings come from the environment (CIVICGRID_*); defaults are safe for production
except where a development convenience is explicitly switched on with CIVICGRID_DEBUG."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVICGRID_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("CIVICGRID_DEBUG", False)

SECRET_KEY = os.environ.get("CIVICGRID_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or os.environ.get("PYTEST_VERSION") or env_bool("CIVICGRID_INSECURE_DEV_KEY"):
        SECRET_KEY = "civicgrid-insecure-development-key-never-use-in-production"
    else:
        raise ImproperlyConfigured("CIVICGRID_SECRET_KEY must be set (or CIVICGRID_DEBUG=1 for development).")

# Keys of the personal-data columns (core.personal): Fernet keys, comma-separated; the first
# encrypts and hashes, all decrypt and find, so a new key goes first and `manage.py
# rotate_field_keys` moves every row onto it before the old one is dropped.
CIVICGRID_FIELD_KEYS = env_list("CIVICGRID_FIELD_KEYS")
if not CIVICGRID_FIELD_KEYS:
    if DEBUG or os.environ.get("PYTEST_VERSION") or env_bool("CIVICGRID_INSECURE_DEV_KEY"):
        # base64 of b"civicgrid-insecure-dev-field-key": the demo and the tests only.
        CIVICGRID_FIELD_KEYS = ["Y2l2aWNncmlkLWluc2VjdXJlLWRldi1maWVsZC1rZXk="]
    else:
        raise ImproperlyConfigured(
            "CIVICGRID_FIELD_KEYS must be set (personal data is encrypted at rest). Generate a key with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )

# Loopback only unless told otherwise: safe, and enough for the demo and the tests.
ALLOWED_HOSTS = env_list("CIVICGRID_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CIVICGRID_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "civicgrid.core.admin_site.AdminConfig",  # django.contrib.admin on core's site class
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs from its own static files instead of a CDN
    "civicgrid.core",
    "civicgrid.geo",
    "civicgrid.profiles",
    "civicgrid.orgs",
    "civicgrid.accounts",
    "civicgrid.cases",
    "civicgrid.residents",
    "civicgrid.inspections",
    "civicgrid.insights",
    "civicgrid.elections",
    "civicgrid.programmes",
    "civicgrid.community",
    "civicgrid.sensors",
    "civicgrid.open311",
    "civicgrid.webhooks",
    "civicgrid.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database outage answers 503 + Retry-After, and the next request reconnects.
    "civicgrid.core.middleware.DatabaseUnavailableMiddleware",
    # API bodies: size, media type, encoding and JSON syntax checked before any handler (4xx).
    "civicgrid.api.guards.ApiRequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civicgrid.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "civicgrid.core.middleware.AuditActorMiddleware",
]

ROOT_URLCONF = "civicgrid.urls"
WSGI_APPLICATION = "civicgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civicgrid" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicgrid.core.context_processors.site",
                "civicgrid.core.context_processors.capabilities",
            ],
        },
    },
]

# Embedded SQLite under var/ by default; PostgreSQL in production and CI.
DATABASE_URL = os.environ.get("CIVICGRID_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'civicgrid.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = env_bool("CIVICGRID_DB_POOL", False)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL + a busy timeout let the dev server and a management command share the file.
    # IMMEDIATE: a transaction takes the write lock when it begins, so concurrent writers queue
    # instead of each reading, then failing to upgrade and retrying (with fifty writers on one
    # case none got through in ten seconds: the race test saw every one refused as busy).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )

# An optional streaming replica for dashboards and reports (core/db_router.py: reads go there
# only inside reading_from_replica()). Under pytest a `replica` alias always exists, mirroring
# the test database (Django's TEST MIRROR), so the router can be tested; routing to it is on
# only when CIVICGRID_READ_REPLICA is true (tests switch it on themselves).
REPLICA_DATABASE_URL = os.environ.get("CIVICGRID_REPLICA_DATABASE_URL", "")
CIVICGRID_READ_REPLICA = bool(REPLICA_DATABASE_URL)
if REPLICA_DATABASE_URL or os.environ.get("PYTEST_VERSION"):
    DATABASES["replica"] = (
        dj_database_url.parse(REPLICA_DATABASE_URL, conn_max_age=0)
        if REPLICA_DATABASE_URL
        else {**DATABASES["default"], "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {}))}
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {})["pool"] = env_bool("CIVICGRID_DB_POOL", False)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["civicgrid.core.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # Refuses a throttled sign-in before any password is checked (accounts/throttle.py).
    "civicgrid.accounts.backends.LoginThrottleBackend",
    # ModelBackend that refuses integrations' service accounts (API tokens only).
    "civicgrid.accounts.backends.CivicModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (accounts/throttle.py, counted in CACHES): failed sign-ins within a window
# per address + username, per address (any usernames) and per username (any addresses; not
# at an address the account signed in from within the last KNOWN_ADDRESS_DAYS).
CIVICGRID_LOGIN_WINDOW = int(float(os.environ.get("CIVICGRID_LOGIN_COOLOFF_HOURS", "0.25")) * 3600)
CIVICGRID_LOGIN_FAILURE_LIMIT = int(os.environ.get("CIVICGRID_LOGIN_FAILURE_LIMIT", "5"))
CIVICGRID_LOGIN_ADDRESS_LIMIT = int(os.environ.get("CIVICGRID_LOGIN_ADDRESS_LIMIT", "20"))
CIVICGRID_LOGIN_USERNAME_LIMIT = int(os.environ.get("CIVICGRID_LOGIN_USERNAME_LIMIT", "10"))
CIVICGRID_LOGIN_KNOWN_ADDRESS_DAYS = int(os.environ.get("CIVICGRID_LOGIN_KNOWN_ADDRESS_DAYS", "30"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "civicgrid" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "civicgrid" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("CIVICGRID_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CIVICGRID_REDIS_URL"],
        }
        if os.environ.get("CIVICGRID_REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# API requests per minute per token (a token's own rate_limit overrides it; 0 = no limit).
# Counted in the cache above: without Redis each worker process counts on its own.
CIVICGRID_API_RATE_LIMIT = int(os.environ.get("CIVICGRID_API_RATE_LIMIT", "600"))

# Security: safe by default, relaxed only in debug.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("CIVICGRID_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("CIVICGRID_BEHIND_PROXY") else None
SECURE_SSL_REDIRECT = env_bool("CIVICGRID_SSL_REDIRECT", False)
CIVICGRID_BENCHMARK_ENDPOINTS = env_bool("CIVICGRID_BENCHMARK_ENDPOINTS")  # benchmarks/bench_api.py only

# Map: tiles are optional; without a URL the map draws only our GeoJSON layers (works offline).
CIVICGRID_MAP_TILE_URL = os.environ.get("CIVICGRID_MAP_TILE_URL", "")
CIVICGRID_MAP_TILE_ATTRIBUTION = os.environ.get("CIVICGRID_MAP_TILE_ATTRIBUTION", "")
# A police/urban/party grid maps onto a comprehensive grid covering at least this share of it.
CIVICGRID_LAYER_OVERLAP_SHARE = float(os.environ.get("CIVICGRID_LAYER_OVERLAP_SHARE", "0.05"))
# Background work runs on a Celery worker, never inside a request. Without a broker (the embedded
# profile) the messages are files under CIVICGRID_CELERY_FILESYSTEM_DIR (kombu's filesystem
# transport: no server to run; docs/decisions/0008), and `make demo`/`make serve` start one worker
# beside the web server. Only the test suite (pytest, no broker given) runs tasks eagerly, in-process.
CELERY_BROKER_URL = os.environ.get("CIVICGRID_CELERY_BROKER_URL") or "filesystem://"
CELERY_TASK_ALWAYS_EAGER = bool(os.environ.get("PYTEST_VERSION")) and not os.environ.get(
    "CIVICGRID_CELERY_BROKER_URL"
)
CELERY_TASK_EAGER_PROPAGATES = True
CIVICGRID_CELERY_FILESYSTEM_DIR = Path(os.environ.get("CIVICGRID_CELERY_FILESYSTEM_DIR", VAR_DIR / "celery"))
# A task is acknowledged after it ran, and requeued if its worker process died, so a killed
# worker's task runs again (tasks are idempotent: notification keys, import by 工单编号, jobs
# restart). One message at a time per process: a long import never holds back short tasks.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged message after this many seconds (RabbitMQ does so as soon
# as the worker's connection drops); longer than the longest task, or it would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, int | str] = {
    "visibility_timeout": int(os.environ.get("CIVICGRID_CELERY_VISIBILITY_TIMEOUT", str(6 * 3600)))
}
if CELERY_BROKER_URL.startswith("filesystem:"):
    # One folder for the messages both ways (web and worker on one machine), one for the
    # exchange tables; kombu expects both to exist. One worker per folder: a message is taken
    # by moving its file, which two consumers could both copy across file systems.
    _messages = CIVICGRID_CELERY_FILESYSTEM_DIR / "messages"
    _control = CIVICGRID_CELERY_FILESYSTEM_DIR / "control"
    # Also under eager tests: a test that turns eager off must find the folders.
    for _folder in (_messages, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_messages), data_folder_out=str(_messages), control_folder=str(_control)
    )
CELERY_TIMEZONE = TIME_ZONE
# Queues: scale workers per queue (docs/operations.md). `default` for the deadline check and
# housekeeping, `notify` for notifications (short, many), `bulk` for imports, exports and
# reports (long). A prefix keeps several installations (or test runs) apart on one broker.
CELERY_QUEUE_PREFIX = os.environ.get("CIVICGRID_CELERY_QUEUE_PREFIX", "")
CELERY_QUEUES_ALL = ("default", "notify", "bulk")
CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_QUEUE_PREFIX}default"
CELERY_TASK_ROUTES = {
    "civicgrid.cases.tasks.check_deadlines": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    "civicgrid.cases.tasks.send_notification": {"queue": f"{CELERY_QUEUE_PREFIX}notify"},
    # civicgrid.core.tasks.run_job (every background job) goes to its kind's queue (core.jobs).
    "civicgrid.core.tasks.purge_jobs": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    "civicgrid.core.tasks.send_notification": {"queue": f"{CELERY_QUEUE_PREFIX}notify"},
    # The live event consumers (webhook deliveries, notifications): short, after every write.
    "civicgrid.core.tasks.consume_events": {"queue": f"{CELERY_QUEUE_PREFIX}notify"},
    # E-mails and text messages (core.messaging): one attempt each; beat's sweep retries.
    "civicgrid.core.tasks.send_message": {"queue": f"{CELERY_QUEUE_PREFIX}notify"},
    "civicgrid.core.tasks.send_due_messages": {"queue": f"{CELERY_QUEUE_PREFIX}notify"},
    "civicgrid.insights.tasks.refresh_rollups": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    "civicgrid.insights.tasks.plans_overdue": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    # Webhook attempts are short (bounded by CIVICGRID_WEBHOOKS_TIMEOUT): with the notifications.
    "civicgrid.webhooks.tasks.deliver": {"queue": f"{CELERY_QUEUE_PREFIX}notify"},
    "civicgrid.webhooks.tasks.send_due": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    "civicgrid.webhooks.tasks.purge_deliveries": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    "civicgrid.inspections.tasks.check_orders": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    "civicgrid.inspections.tasks.generate_plan_tasks": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
    "civicgrid.sensors.tasks.sweep": {"queue": f"{CELERY_QUEUE_PREFIX}default"},
}
CELERY_BEAT_SCHEDULE = {
    "check-deadlines": {
        "task": "civicgrid.cases.tasks.check_deadlines",
        "schedule": float(os.environ.get("CIVICGRID_DEADLINE_CHECK_SECONDS", "300")),
    },
    "check-inspection-orders": {
        "task": "civicgrid.inspections.tasks.check_orders",
        "schedule": float(os.environ.get("CIVICGRID_DEADLINE_CHECK_SECONDS", "300")),
    },
    "purge-jobs": {"task": "civicgrid.core.tasks.purge_jobs", "schedule": 24 * 3600.0},
    # E-mails and text messages whose retry is due (or whose first attempt was lost).
    "send-due-messages": {"task": "civicgrid.core.tasks.send_due_messages", "schedule": 60.0},
    # Domain events (core.events): each write also kicks this at once; beat catches up whatever
    # a lost kick (a crash after COMMIT, a broker outage) left behind.
    "consume-events": {
        "task": "civicgrid.core.tasks.consume_events",
        "schedule": float(os.environ.get("CIVICGRID_EVENTS_SECONDS", "5")),
    },
    # Dashboard rollups (insights): figures are at most this many seconds behind the cases.
    "refresh-rollups": {
        "task": "civicgrid.insights.tasks.refresh_rollups",
        "schedule": float(os.environ.get("CIVICGRID_ROLLUP_REFRESH_SECONDS", "60")),
    },
    # Source-governance plans past their deadline: the owner and the desk told once, at 08:00.
    "insights-plans-overdue": {
        "task": "civicgrid.insights.tasks.plans_overdue",
        "schedule": crontab(hour=8, minute=0),
    },
    # Webhook deliveries whose retry is overdue (a lost message, a dead worker); old deliveries.
    "webhooks-send-due": {"task": "civicgrid.webhooks.tasks.send_due", "schedule": 60.0},
    "webhooks-purge": {"task": "civicgrid.webhooks.tasks.purge_deliveries", "schedule": 24 * 3600.0},
    # Inspection plans: each period's tasks (idempotent, so daily is enough).
    "inspections-plan-tasks": {
        "task": "civicgrid.inspections.tasks.generate_plan_tasks",
        "schedule": 24 * 3600.0,
    },
    # Practical projects' milestones past their day: marked overdue and told once, at 06:30.
    "programmes-milestones-overdue": {
        "task": "civicgrid.programmes.tasks.check_milestones",
        "schedule": crontab(hour=6, minute=30),
    },
    # Weekly and monthly reports of every street (insights.reports), in CELERY_TIMEZONE.
    "insights-weekly-reports": {
        "task": "civicgrid.insights.tasks.weekly_reports",
        "schedule": crontab(minute=0, hour=7, day_of_week=1),
    },
    "insights-monthly-reports": {
        "task": "civicgrid.insights.tasks.monthly_reports",
        "schedule": crontab(minute=0, hour=7, day_of_month=1),
    },
    # Hot topics (insights): every street's cases clustered anew, Monday 06:00 (CELERY_TIMEZONE).
    # Sensors (civicgrid.sensors.rules.sweep): care alerts due, escalations, offline devices.
    "sensors-sweep": {
        "task": "civicgrid.sensors.tasks.sweep",
        "schedule": float(os.environ.get("CIVICGRID_SENSORS_SWEEP_SECONDS", "120")),
    },
    "insights-weekly-topics": {
        "task": "civicgrid.insights.tasks.weekly_topics",
        "schedule": crontab(minute="0", hour="6", day_of_week="mon"),
        "options": {"queue": f"{CELERY_QUEUE_PREFIX}bulk"},
    },
}
# Finished background jobs (and their files under MEDIA_ROOT/jobs/) are kept this long.
CIVICGRID_JOB_RETENTION_DAYS = int(os.environ.get("CIVICGRID_JOB_RETENTION_DAYS", "30"))
# Largest 12345 file accepted by the upload page.
# The largest JSON body the REST API reads (photo uploads have their own limit).
CIVICGRID_API_MAX_BODY_BYTES = int(os.environ.get("CIVICGRID_API_MAX_BODY_BYTES", str(1024 * 1024)))
CIVICGRID_IMPORT_MAX_BYTES = int(os.environ.get("CIVICGRID_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))

# Outbound webhooks (civicgrid/webhooks): per attempt timeout (seconds, connect and read each),
# attempts before a delivery fails, back-off base · 2^(n−1) capped, how long deliveries are kept.
CIVICGRID_WEBHOOKS_TIMEOUT = float(os.environ.get("CIVICGRID_WEBHOOKS_TIMEOUT", "5"))
CIVICGRID_WEBHOOKS_MAX_ATTEMPTS = int(os.environ.get("CIVICGRID_WEBHOOKS_MAX_ATTEMPTS", "8"))
CIVICGRID_WEBHOOKS_RETRY_BASE_SECONDS = int(os.environ.get("CIVICGRID_WEBHOOKS_RETRY_BASE_SECONDS", "60"))
CIVICGRID_WEBHOOKS_RETRY_MAX_SECONDS = int(os.environ.get("CIVICGRID_WEBHOOKS_RETRY_MAX_SECONDS", "3600"))
CIVICGRID_WEBHOOKS_SWEEP_GRACE_SECONDS = 60
CIVICGRID_WEBHOOKS_RETENTION_DAYS = int(os.environ.get("CIVICGRID_WEBHOOKS_RETENTION_DAYS", "30"))
# SSRF guard: refuse subscriber URLs that resolve to loopback/private/link-local/reserved
# addresses. Allowed by default only in development (local receivers; the tests allow it in
# conftest.py); keep it off in production.
CIVICGRID_WEBHOOKS_ALLOW_PRIVATE = env_bool("CIVICGRID_WEBHOOKS_ALLOW_PRIVATE", DEBUG)
# Subscriber URLs must be https:// (checked on save and before each attempt) unless this is on:
# by default only in development; an intranet receiver without TLS needs it (and ALLOW_PRIVATE).
CIVICGRID_WEBHOOKS_ALLOW_HTTP = env_bool("CIVICGRID_WEBHOOKS_ALLOW_HTTP", DEBUG)

# Duplicate suggestions on intake: the city defaults of the street profile's settings
# cases.duplicate_* (same category, same building or within N metres, last N days, similarity).
# Time limits, the public form's categories and Open311's private categories are street
# profile settings with their city defaults in each app's profile_settings.py.
CIVICGRID_DUPLICATE_RADIUS_M = float(os.environ.get("CIVICGRID_DUPLICATE_RADIUS_M", "50"))
CIVICGRID_DUPLICATE_DAYS = int(os.environ.get("CIVICGRID_DUPLICATE_DAYS", "7"))
CIVICGRID_DUPLICATE_MIN_SIMILARITY = float(os.environ.get("CIVICGRID_DUPLICATE_MIN_SIMILARITY", "0.4"))
# Rows of a 12345 file written per transaction (cases/intake/hotline.py).
CIVICGRID_IMPORT_BATCH_ROWS = int(os.environ.get("CIVICGRID_IMPORT_BATCH_ROWS", "2000"))
# The intake models (智能派单), one file per street (cases.intake.suggest): not under MEDIA_ROOT,
# which DEBUG serves, since a model holds words of the street's complaints.
CIVICGRID_INTAKE_MODEL_DIR = Path(os.environ.get("CIVICGRID_INTAKE_MODEL_DIR", VAR_DIR / "intake"))
# Photos: size limit per file and the thumbnail box.
CIVICGRID_PHOTO_MAX_BYTES = int(os.environ.get("CIVICGRID_PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
CIVICGRID_PHOTO_THUMBNAIL = (320, 320)
CIVICGRID_SITE_NAME = os.environ.get("CIVICGRID_SITE_NAME", "civicgrid 街道治理平台")
# Where the site is reached from outside: links in e-mails and text messages are absolute.
CIVICGRID_SITE_URL = os.environ.get("CIVICGRID_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Messages outside the inbox (core.messaging): e-mail through Django's backends, text messages
# through a provider (core.sms). Development and tests print (console) or keep them (locmem).
_EMAIL_BACKEND = os.environ.get(
    "CIVICGRID_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_SMTP_OPTIONS = {
    "host": os.environ.get("CIVICGRID_EMAIL_HOST", "localhost"),
    "port": int(os.environ.get("CIVICGRID_EMAIL_PORT", "25")),
    "username": os.environ.get("CIVICGRID_EMAIL_HOST_USER", ""),
    "password": os.environ.get("CIVICGRID_EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_bool("CIVICGRID_EMAIL_USE_TLS"),
    "use_ssl": env_bool("CIVICGRID_EMAIL_USE_SSL"),
    "timeout": 10,
}
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": _SMTP_OPTIONS if _EMAIL_BACKEND.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("CIVICGRID_EMAIL_FROM", "civicgrid <noreply@localhost>")
# "console": logged and kept in core.sms.sent (development, tests); "http": POSTed as JSON to
# CIVICGRID_SMS_URL with the bearer token CIVICGRID_SMS_TOKEN (docs/notifications.md).
CIVICGRID_SMS_PROVIDER = os.environ.get("CIVICGRID_SMS_PROVIDER", "console")
CIVICGRID_SMS_URL = os.environ.get("CIVICGRID_SMS_URL", "")
CIVICGRID_SMS_TOKEN = os.environ.get("CIVICGRID_SMS_TOKEN", "")
CIVICGRID_SMS_TIMEOUT = float(os.environ.get("CIVICGRID_SMS_TIMEOUT", "10"))
# A failed e-mail or text message is tried again after base · 2^(n−1) seconds, this many times.
CIVICGRID_MESSAGE_MAX_ATTEMPTS = int(os.environ.get("CIVICGRID_MESSAGE_MAX_ATTEMPTS", "6"))
CIVICGRID_MESSAGE_RETRY_BASE_SECONDS = int(os.environ.get("CIVICGRID_MESSAGE_RETRY_BASE_SECONDS", "60"))
# A notice read from the event log later than this (a reader catching up after an outage, a
# replayed history) reaches the inbox but sends no e-mail or text message: news too old to text.
CIVICGRID_MESSAGE_MAX_AGE_HOURS = float(os.environ.get("CIVICGRID_MESSAGE_MAX_AGE_HOURS", "24"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CIVICGRID_LOG_LEVEL", "WARNING")},
}

# Sensors (civicgrid.sensors): the MQTT broker and topics the consumer reads, and how far a
# reading's time may be from now (a device's clock ahead, a reading replayed from long ago).
CIVICGRID_MQTT_URL = os.environ.get("CIVICGRID_MQTT_URL", "mqtt://127.0.0.1:1883")
CIVICGRID_MQTT_TOPICS = [
    t for t in os.environ.get("CIVICGRID_MQTT_TOPICS", "civicgrid/sensors/#").split(",") if t
]
CIVICGRID_MQTT_CLIENT_ID = os.environ.get("CIVICGRID_MQTT_CLIENT_ID", "civicgrid-sensors")
# Several consumers (each its own client id) that share the stream: the shared subscription's group.
CIVICGRID_MQTT_SHARE = os.environ.get("CIVICGRID_MQTT_SHARE", "")
CIVICGRID_SENSORS_MAX_AHEAD_SECONDS = int(os.environ.get("CIVICGRID_SENSORS_MAX_AHEAD_SECONDS", "300"))
CIVICGRID_SENSORS_MAX_AGE_HOURS = int(os.environ.get("CIVICGRID_SENSORS_MAX_AGE_HOURS", "72"))
