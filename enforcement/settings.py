"""Django settings for Nigran, read from the environment with safe local defaults.

Local default: SQLite in `var/`, Celery eager (no broker), DEBUG on.
Production: `enforcement.settings_production` (DEBUG off, SECRET_KEY required,
secure cookies and headers); see README's configuration table.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from enforcement.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("NIGRAN_VAR_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused when DEBUG is off
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_results",
    "enforcement.apps.EnforcementConfig",
    "violations.apps.ViolationsConfig",
    "challans.apps.ChallansConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "enforcement.urls"
WSGI_APPLICATION = "enforcement.wsgi.application"

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
            ],
        },
    },
]

_DATABASE_URL = env_str("DATABASE_URL")
if not _DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL or f"sqlite:///{VAR_DIR / 'nigran.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ur", "اردو")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Karachi"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")) or VAR_DIR / "static")
# Evidence and PDFs live under MEDIA_ROOT, which is never served as a public directory:
# files are streamed by views that check access (admin for staff, signed links for citizens).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")) or VAR_DIR / "media")
MEDIA_URL = "/media-not-public/"

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or ""
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "django-db")
CELERY_RESULT_EXTENDED = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}  # filled by enforcement.celery from each app's BEAT

# --- Nigran -----------------------------------------------------------------------------
NIGRAN = {
    "OCR_MODEL_DIR": env_str("NIGRAN_OCR_MODEL_DIR") or None,
    "OCR_MIN_CONFIDENCE": env_float("NIGRAN_OCR_MIN_CONFIDENCE", 0.6),
    "CHALLAN_DUE_DAYS": env_int("NIGRAN_CHALLAN_DUE_DAYS", 10),
    "CHALLAN_PREFIX": env_str("NIGRAN_CHALLAN_PREFIX", "PSCA"),
    "LATE_FEE_MULTIPLIER": env_float("NIGRAN_LATE_FEE_MULTIPLIER", 2.0),
    "REMINDER_DAYS_BEFORE_DUE": env_int("NIGRAN_REMINDER_DAYS_BEFORE_DUE", 3),
    "CONTEST_WINDOW_DAYS": env_int("NIGRAN_CONTEST_WINDOW_DAYS", 7),
    "PUBLIC_BASE_URL": env_str("NIGRAN_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
    "PAYMENT_HMAC_SECRET": env_str("NIGRAN_PAYMENT_HMAC_SECRET") or SECRET_KEY,
    "EVIDENCE_LINK_MAX_AGE_S": env_int("NIGRAN_EVIDENCE_LINK_MAX_AGE_S", 900),
    "DEMO_MODE": env_bool("NIGRAN_DEMO_MODE", False),
}

# Hooks through which violations (which never imports challans) asks the registry and the
# fine schedule; see violations/hooks.py.
NIGRAN_REGISTRY_LOOKUP = "challans.registry.lookup_plate"
NIGRAN_FINE_LOOKUP = "challans.fines.fine_pkr_for_plate"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "outbox"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "e-challan@nigran.local")
SMS_BACKEND = env_str("NIGRAN_SMS_BACKEND", "challans.sms.LoggingSmsBackend")

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}
        if env_str("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
