"""Settings for the wallet service; everything that varies comes from the environment."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# A fixed development key keeps the embedded default runnable from a fresh clone;
# any real deployment sets DJANGO_SECRET_KEY (it also signs the JWTs).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    # First, so that `runserver` serves the ASGI application (WebSocket subscriptions included).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "strawberry_django",
    "channels",
    "graphql_jwt.refresh_token.apps.RefreshTokenConfig",
    "wallet",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "server.urls"
WSGI_APPLICATION = "server.wsgi.application"
ASGI_APPLICATION = "server.asgi.application"

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
            ],
        },
    },
]

# DATABASE_URL selects the database (postgres://… or sqlite:///…); without it,
# a SQLite file in the project directory.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on
    # the busy timeout instead of failing with "database is locked" mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

AUTH_USER_MODEL = "wallet.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- The sample SPA (frontend-sample/) ---------------------------------------
# Its built files are served at the site root next to the API; an empty value turns that off.
_spa_dist_dir = os.environ.get("SPA_DIST_DIR", str(BASE_DIR / "frontend-sample" / "dist"))
SPA_DIST_DIR = Path(_spa_dist_dir) if _spa_dist_dir else None
# In development WhiteNoise finds the admin's static files itself; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_ROOT = SPA_DIST_DIR if SPA_DIST_DIR and SPA_DIST_DIR.is_dir() else None
# Vite names its bundles name-<hash>.js: those never change, so clients may cache them for good.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/assets/.+-[0-9A-Za-z_-]{8,}\.(js|css|woff2?|svg|png)$"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- The wallet domain -------------------------------------------------------
WALLET_CURRENCY = os.environ.get("WALLET_CURRENCY", "USD")
WALLET_CURRENCY_DECIMALS = int(os.environ.get("WALLET_CURRENCY_DECIMALS", "2"))
WALLET_DAILY_TRANSFER_LIMIT = Decimal(os.environ.get("WALLET_DAILY_TRANSFER_LIMIT", "10000.00"))
WALLET_MAX_AMOUNT = Decimal(os.environ.get("WALLET_MAX_AMOUNT", "1000000.00"))
PHONENUMBER_DEFAULT_REGION = os.environ.get("PHONENUMBER_DEFAULT_REGION", "US")

# --- Events (the outbox relay) -----------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
KAFKA_BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
# redis (default where REDIS_URL is set), kafka, or log.
EVENT_TRANSPORT = os.environ.get("EVENT_TRANSPORT") or ("redis" if REDIS_URL else "log")
EVENT_STREAM_MAXLEN = int(os.environ.get("EVENT_STREAM_MAXLEN", "100000"))
EVENT_RETENTION_DAYS = int(os.environ.get("EVENT_RETENTION_DAYS", "7"))
# Without Redis there is no stream to consume: the consumers (receipts, real time) run in-process after commit.
EVENTS_IN_PROCESS = env_bool("EVENTS_IN_PROCESS", not REDIS_URL)

# --- Background tasks (Celery) and receipts ----------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "memory://"
# Without a broker (the embedded default), tasks run inline where they are queued.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL.startswith("memory://")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_IGNORE_RESULT = True
RECEIPT_URL_MAX_AGE_SECONDS = int(os.environ.get("RECEIPT_URL_MAX_AGE_SECONDS", "600"))

# --- Real time (walletEvents over WebSocket, Django Channels) -----------------
CHANNEL_LAYERS = {
    "default": (
        {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

# --- The GraphQL API ---------------------------------------------------------
GRAPHQL_MAX_DEPTH = int(os.environ.get("GRAPHQL_MAX_DEPTH", "12"))
GRAPHQL_MAX_ALIASES = int(os.environ.get("GRAPHQL_MAX_ALIASES", "30"))
GRAPHQL_MAX_TOKENS = int(os.environ.get("GRAPHQL_MAX_TOKENS", "5000"))
GRAPHQL_PAGE_SIZE_MAX = 100

# --- Tokens (django-graphql-jwt) ---------------------------------------------
GRAPHQL_JWT = {
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_EXPIRATION_DELTA": timedelta(seconds=int(os.environ.get("JWT_ACCESS_TOKEN_SECONDS", "300"))),
    "JWT_LONG_RUNNING_REFRESH_TOKEN": True,
    "JWT_REFRESH_EXPIRATION_DELTA": timedelta(days=int(os.environ.get("JWT_REFRESH_TOKEN_DAYS", "7"))),
    "JWT_REUSE_REFRESH_TOKENS": False,
    "JWT_AUTH_HEADER_PREFIX": "Bearer",
    "JWT_ALLOW_ARGUMENT": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Strawberry logs every resolver exception with its traceback; keep those
        # in the server log (they are masked in responses).
        "strawberry.execution": {"level": "ERROR"},
    },
}
