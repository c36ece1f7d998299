"""All GovDoc settings, each read from one environment variable (documented in README.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from govdoc.core import home as govdoc_home


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


govdoc_home.private()  # files and folders GovDoc creates are the service user's alone
HOME: Path = govdoc_home.home()
BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("GOVDOC_DEBUG", False)
SECRET_KEY = os.environ.get("GOVDOC_SECRET_KEY") or govdoc_home.local_secret("django_secret_key")
ALLOWED_HOSTS = env_list("GOVDOC_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
PUBLIC_URL = env("GOVDOC_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("GOVDOC_CSRF_TRUSTED_ORIGINS", PUBLIC_URL)
# This installation's identifier among GovDoc nodes (federation): other nodes' trust lists name it.
GOVDOC_NODE_ID = env("GOVDOC_NODE_ID", "") or (urlsplit(PUBLIC_URL).hostname or "localhost").lower()
# Sending envelopes to other nodes: an attempt waits TIMEOUT seconds for the answer; failed
# attempts are retried with exponential back-off (RETRY_SECONDS, doubling, at most an hour)
# until SEND_SECONDS after the first, then the consignment is failed and shown to the registry
# clerk. CLIENT_CERT/KEY: this node's TLS client certificate (PEM files) for mutual TLS.
GOVDOC_FEDERATION_TIMEOUT = float(env("GOVDOC_FEDERATION_TIMEOUT", "30"))
GOVDOC_FEDERATION_RETRY_SECONDS = float(env("GOVDOC_FEDERATION_RETRY_SECONDS", "30"))
GOVDOC_FEDERATION_SEND_SECONDS = float(env("GOVDOC_FEDERATION_SEND_SECONDS", str(48 * 3600)))
# Consignments due to one agency of one node go together, up to this many (one e-seal for all).
GOVDOC_FEDERATION_BATCH = int(env("GOVDOC_FEDERATION_BATCH", "100"))
# How often the trusted nodes' CRLs are fetched again (seconds).
GOVDOC_FEDERATION_CRL_INTERVAL = int(env("GOVDOC_FEDERATION_CRL_INTERVAL", "3600"))
# How often due timers of running procedures (BPMN timer events) are let fire (seconds).
GOVDOC_PROCEDURES_TICK_INTERVAL = int(env("GOVDOC_PROCEDURES_TICK_INTERVAL", "60"))
GOVDOC_FEDERATION_CLIENT_CERT = env("GOVDOC_FEDERATION_CLIENT_CERT", "")
GOVDOC_FEDERATION_CLIENT_KEY = env("GOVDOC_FEDERATION_CLIENT_KEY", "")
# Behind a TLS-terminating proxy that checks the other node's client certificate: the request
# header (e.g. HTTP_X_SSL_CLIENT_S_DN_CN) in which the proxy passes the verified node id.
GOVDOC_FEDERATION_CLIENT_NODE_HEADER = env("GOVDOC_FEDERATION_CLIENT_NODE_HEADER", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its templates and static files: the API docs are served from GovDoc, not a CDN
    "govdoc.audit",
    "govdoc.jobs",
    "govdoc.accounts",
    "govdoc.documents",
    "govdoc.signatures",
    "govdoc.approvals",
    "govdoc.issuance",
    "govdoc.distribution",
    "govdoc.applications",
    "govdoc.procedures",
    "govdoc.web",
]

MIDDLEWARE = [
    # Outermost: the origin of every event, and the record of every refusal, the ones made by
    # the middleware below included (an unknown host, a body too large, a broken form).
    "govdoc.web.audit_origin.AuditOriginMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "govdoc.web.middleware.SecurityHeadersMiddleware",
    "govdoc.api.middleware.ApiProblemMiddleware",
    "govdoc.web.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "govdoc.web.middleware.RejectNulMiddleware",
    # Django reads multipart files for POST only; the API takes a corrected PDF by PUT
    # (PUT /api/v1/outgoing/{id}/file). After the size limit, so a large body is refused unread.
    "ninja.compatibility.files.fix_request_files_middleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "govdoc.web.language_address.LanguageAddressMiddleware",
    "govdoc.web.language.ScriptMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "govdoc.accounts.sessions.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "govdoc.urls"
WSGI_APPLICATION = "govdoc.wsgi.application"
AUTH_USER_MODEL = "accounts.Person"
LOGIN_URL = "/login/"
GOVDOC_IDENTITY_PROVIDERS = env_list(
    "GOVDOC_IDENTITY_PROVIDERS", "govdoc.accounts.identity.LocalPasswordProvider"
)

# --- log-in, second factor, throttling, sessions (ADR 0011) ------------------------------------
# Demo installation: the demo officials' published authenticator secrets are shown as hints.
GOVDOC_DEMO = env_bool("GOVDOC_DEMO_DATA", env("GOVDOC_DATABASE_URL", "sqlite").startswith("sqlite"))
# How many reverse proxies stand in front of GovDoc; the client address is then taken from
# X-Forwarded-For that many hops from the right. 0: REMOTE_ADDR (X-Forwarded-For is ignored).
GOVDOC_PROXY_COUNT = int(env("GOVDOC_PROXY_COUNT", "0"))
# Failed log-in steps (wrong password or code) allowed before each further try must wait: 1 s,
# then doubling up to GOVDOC_LOGIN_MAX_DELAY; failures older than the window are forgotten.
GOVDOC_LOGIN_FREE_FAILURES = int(env("GOVDOC_LOGIN_FREE_FAILURES", "3"))  # per account + address
GOVDOC_LOGIN_ADDRESS_FREE_FAILURES = int(env("GOVDOC_LOGIN_ADDRESS_FREE_FAILURES", "10"))
GOVDOC_LOGIN_ACCOUNT_FREE_FAILURES = int(env("GOVDOC_LOGIN_ACCOUNT_FREE_FAILURES", "30"))
GOVDOC_LOGIN_MAX_DELAY = int(env("GOVDOC_LOGIN_MAX_DELAY", "900"))
GOVDOC_LOGIN_FAILURE_WINDOW = int(env("GOVDOC_LOGIN_FAILURE_WINDOW", "3600"))
# Requests per client address to public endpoints, "COUNT/s|m|h".
GOVDOC_RATE_SIGNUP = env("GOVDOC_RATE_SIGNUP", "10/h")
GOVDOC_RATE_VERIFY = env("GOVDOC_RATE_VERIFY", "60/m")
GOVDOC_RATE_TSA = env("GOVDOC_RATE_TSA", "120/m")
# Sessions end after this much inactivity (officials, citizens) and at the latest this long
# after log-in; signing, issuing and revoking need a log-in at most GOVDOC_STEP_UP_SECONDS old.
GOVDOC_SESSION_IDLE_OFFICIAL = int(env("GOVDOC_SESSION_IDLE_OFFICIAL", "1800"))
GOVDOC_SESSION_IDLE_CITIZEN = int(env("GOVDOC_SESSION_IDLE_CITIZEN", "7200"))
GOVDOC_SESSION_ABSOLUTE = int(env("GOVDOC_SESSION_ABSOLUTE", "43200"))
GOVDOC_STEP_UP_SECONDS = int(env("GOVDOC_STEP_UP_SECONDS", "600"))
SESSION_COOKIE_AGE = GOVDOC_SESSION_ABSOLUTE

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "govdoc.web.context.script",
            ]
        },
    }
]

_default_db = f"sqlite:///{HOME / 'govdoc.sqlite3'}"
DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(env("GOVDOC_DATABASE_URL", _default_db), conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web server and the worker share the embedded database.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Sign-up, password change and reset (ADR 0012): at least 12 characters, not like the person's
# own username, name, e-mail or JMBG, not among the 20,000 most common passwords seen in breaches
# (Django's list, kept offline), not digits only.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["username", "first_name", "last_name", "email", "national_id"]},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "sr-latn"
LANGUAGES = [("sr-latn", "Srpski (latinica)"), ("sr", "Српски (ћирилица)"), ("en", "English")]
TIME_ZONE = env("GOVDOC_TIME_ZONE", "Europe/Belgrade")
USE_I18N = True
# GovDoc's own catalogues (scripts/i18n): sr_Latn written by translators, sr (Cyrillic) made from it.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = govdoc_home.subdir("static")  # exists from the start: WhiteNoise serves from it
MEDIA_ROOT = HOME / "files"
GOVDOC_MAX_UPLOAD_BYTES = int(env("GOVDOC_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
# The largest request body the server takes at all, refused (413) before it is read: room for an
# application's several attachments. Forms without files stay small (Django's own 2.5 MB limit).
GOVDOC_MAX_REQUEST_BYTES = int(env("GOVDOC_MAX_REQUEST_BYTES", str(4 * GOVDOC_MAX_UPLOAD_BYTES)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

STORAGES = {
    "default": {
        "BACKEND": env("GOVDOC_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(Path(env("GOVDOC_FILES_DIR", str(HOME / "files"))))},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

TASKS = {
    "default": {
        "BACKEND": env("GOVDOC_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- background work (govdoc.jobs) -------------------------------------------------------------
# A worker says it is alive every HEARTBEAT seconds; one silent for LOST_AFTER seconds is taken
# for dead and the task it held runs again. A failed task is retried after RETRY seconds,
# doubling each time (capped at an hour), MAX_ATTEMPTS times in all, then shown to administrators.
GOVDOC_WORKER_HEARTBEAT_SECONDS = float(env("GOVDOC_WORKER_HEARTBEAT_SECONDS", "5"))
GOVDOC_WORKER_LOST_AFTER_SECONDS = float(env("GOVDOC_WORKER_LOST_AFTER_SECONDS", "60"))
GOVDOC_TASK_RETRY_SECONDS = float(env("GOVDOC_TASK_RETRY_SECONDS", "30"))
GOVDOC_TASK_MAX_ATTEMPTS = int(env("GOVDOC_TASK_MAX_ATTEMPTS", "6"))
# Periodic jobs, once per interval across all workers: signed audit checkpoints, and the sweep
# that takes lost and failed work again.
GOVDOC_CHECKPOINT_INTERVAL = int(env("GOVDOC_CHECKPOINT_INTERVAL", "600"))
GOVDOC_RECOVER_INTERVAL = int(env("GOVDOC_RECOVER_INTERVAL", "30"))
# Archive timestamps of issued documents renewed when due (ADR 0009): checked once a day.
GOVDOC_ARCHIVE_RENEW_INTERVAL = int(env("GOVDOC_ARCHIVE_RENEW_INTERVAL", "86400"))

EMAIL_BACKEND = env("GOVDOC_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("GOVDOC_EMAIL_FROM", "GovDoc <no-reply@govdoc.localhost>")

# --- signatures ------------------------------------------------------------------------------
GOVDOC_PKI_DIR = Path(env("GOVDOC_PKI_DIR", str(HOME / "pki")))
# Passphrase that encrypts agency e-seal key files at rest (embedded default: made on first use).
GOVDOC_KEY_PASSPHRASE = os.environ.get("GOVDOC_KEY_PASSPHRASE") or govdoc_home.local_secret("key_passphrase")
GOVDOC_KEY_BACKEND = env("GOVDOC_KEY_BACKEND", "file")  # file | pkcs11
GOVDOC_PKCS11_MODULE = env("GOVDOC_PKCS11_MODULE", "")
GOVDOC_PKCS11_TOKEN = env("GOVDOC_PKCS11_TOKEN", "")
GOVDOC_PKCS11_PIN = env("GOVDOC_PKCS11_PIN", "")
GOVDOC_TSA_URL = env("GOVDOC_TSA_URL", "")  # empty: the local development TSA
GOVDOC_DEFAULT_AGENCY = env("GOVDOC_DEFAULT_AGENCY", "")  # `govdoc sign` without --seal

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("GOVDOC_SECURE_COOKIES", not DEBUG and PUBLIC_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HTTPS: when the public URL is https, plain http is redirected and browsers are told (HSTS) to
# use https only. Behind a TLS-terminating proxy, it must send X-Forwarded-Proto (trusted only
# when GOVDOC_BEHIND_PROXY is on).
_HTTPS = PUBLIC_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("GOVDOC_SSL_REDIRECT", _HTTPS and not DEBUG)
SECURE_HSTS_SECONDS = int(env("GOVDOC_HSTS_SECONDS", "31536000" if _HTTPS and not DEBUG else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GOVDOC_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]  # load balancers' health checks over plain http
if env_bool("GOVDOC_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Pages need no inline script or style: everything comes from GovDoc's own static files.
GOVDOC_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
GOVDOC_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), fullscreen=(self)"
)
# The web server (waitress, `govdoc serve`): idle connections are closed after this many seconds,
# and this many connections may be open at once (idle keep-alive ones included).
GOVDOC_HTTP_IDLE_TIMEOUT = int(env("GOVDOC_HTTP_IDLE_TIMEOUT", "30"))
GOVDOC_HTTP_CONNECTION_LIMIT = int(env("GOVDOC_HTTP_CONNECTION_LIMIT", "1000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("GOVDOC_LOG_LEVEL", "WARNING")},
    # pyHanko warns that it may not fetch revocation data: GovDoc never lets it, by design
    # (the CRL comes from the installation's own PKI), so that warning is noise.
    "loggers": {"pyhanko": {"level": "ERROR"}, "pyhanko_certvalidator": {"level": "ERROR"}},
}
