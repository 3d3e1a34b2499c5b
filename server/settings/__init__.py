"""Settings for the wallet service; everything that varies comes from the environment.

These are the base and the development defaults (the embedded PostgreSQL of ./scripts/run, from a fresh clone).
A deployment uses server.settings.production, which requires its secrets and turns the HTTPS rules on.
"""

import hashlib
import hmac
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


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
    "corsheaders",
    "django_prometheus",
    "django_ratelimit",
    "graphql_jwt.refresh_token.apps.RefreshTokenConfig",
    "wallet",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "server.observability.RequestIdMiddleware",
    "server.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Browsers may call the API from these origins only (an SPA served elsewhere); none by default: the sample SPA
# is served on the API's own origin. Requests carry a bearer token, never cookies.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/graphql/$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-request-id"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# /metrics (Prometheus) is for the internal network: the proxy in deploy/ does not route it.
PROMETHEUS_METRICS_EXPORT_PORT = None

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

# DATABASE_URL names the PostgreSQL server; without it, the embedded server that ./scripts/run starts
# (scripts/harness.py), reached through its socket in .pgdata/.
EMBEDDED_DATABASE_URL = f"postgres://postgres@{quote(str(BASE_DIR / '.pgdata'), safe='')}/wallet"
# No health check (a SELECT 1 round trip) before each request: the token's user lookup, a request's first query,
# reconnects once when the server has dropped a kept connection (wallet.selectors.user_by_natural_key); any other
# query on it fails its request with the retryable SERVICE_UNAVAILABLE. DATABASE_HEALTH_CHECKS=true checks each time.
DATABASE_HEALTH_CHECKS = env_bool("DATABASE_HEALTH_CHECKS", False)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or EMBEDDED_DATABASE_URL,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=DATABASE_HEALTH_CHECKS,
    )
}
# An unreachable server fails the request (SERVICE_UNAVAILABLE) in seconds instead of a TCP timeout's minutes.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
)
if env_bool("DATABASE_BEHIND_PGBOUNCER", False):
    # PgBouncer in transaction mode hands each transaction to any server connection: server-side cursors
    # (which outlive a transaction) cannot work there. Everything else does: see docs/PGBOUNCER.md.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Reads of history may go to a streaming replica (off unless DATABASE_REPLICA_URL is set): server.db_routers.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=DATABASE_HEALTH_CHECKS,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["server.db_routers.HistoryReplicaRouter"]

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
# Bounds of a money movement's database transaction: a wallet locked longer than this, or a statement running
# longer, fails the request with the retryable RETRY_LATER and commits nothing, rather than holding the request.
# 0 turns a bound off.
WALLET_LOCK_TIMEOUT_MS = int(os.environ.get("WALLET_LOCK_TIMEOUT_MS", "2000"))
WALLET_STATEMENT_TIMEOUT_MS = int(os.environ.get("WALLET_STATEMENT_TIMEOUT_MS", "5000"))
# The key of the ledger's hash chain (wallet/ledger_chain.py): each entry carries an HMAC-SHA256 under it, so
# editing the ledger in the database undetected needs this key too. Keep it out of the database and set it
# explicitly in production: derived from SECRET_KEY by default, so rotating that key would break the chain.
LEDGER_HASH_KEY = (
    os.environ.get("LEDGER_HASH_KEY")
    or hmac.new(SECRET_KEY.encode(), b"wallet.ledger-hash-key", hashlib.sha256).hexdigest()
)

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
# Statement downloads (CSV, PDF) are signed links too, bound to the user and the period.
STATEMENT_LINK_SECONDS = int(os.environ.get("STATEMENT_LINK_SECONDS", "900"))

# --- Webhooks (python manage.py deliver_webhooks sends them) -------------------
# Receivers on private, loopback or link-local addresses are refused unless this is on (tests, local use).
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
# Attempts of one delivery, the retries waiting base * 3^(n-1) seconds, jittered by ±20%: 30 s, 90 s, … 27 h in all.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "9"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
# How long a sender owns a delivery it took; one that dies mid-send leaves the delivery due again after this.
WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
WEBHOOK_CONCURRENCY = int(os.environ.get("WEBHOOK_CONCURRENCY", "8"))  # sends in flight per sender process
WEBHOOK_PER_ENDPOINT_CONCURRENCY = int(os.environ.get("WEBHOOK_PER_ENDPOINT_CONCURRENCY", "2"))
# After a rotation the previous secret signs too (a second signature) for this long.
WEBHOOK_SECRET_ROTATION_GRACE_HOURS = float(os.environ.get("WEBHOOK_SECRET_ROTATION_GRACE_HOURS", "24"))


# --- Real time (walletEvents over WebSocket, Django Channels) -----------------
# channels_redis waits for a subscription's next message with a 5-second BZPOPMIN, and redis-py 8 gives up reading
# a reply after 5 seconds by default: an idle subscription lost that race whenever Redis answered late (a loaded
# machine), and its socket closed with 1011. The read timeout must outlast the blocking pop.
def redis_channel_layer(redis_url: str) -> dict:
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 15}]},
    }


CHANNEL_LAYERS = {
    "default": redis_channel_layer(REDIS_URL) if REDIS_URL else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}

# --- The GraphQL API ---------------------------------------------------------
GRAPHQL_MAX_DEPTH = int(os.environ.get("GRAPHQL_MAX_DEPTH", "12"))
GRAPHQL_MAX_ALIASES = int(os.environ.get("GRAPHQL_MAX_ALIASES", "30"))
GRAPHQL_MAX_TOKENS = int(os.environ.get("GRAPHQL_MAX_TOKENS", "5000"))
GRAPHQL_MAX_DIRECTIVES = int(os.environ.get("GRAPHQL_MAX_DIRECTIVES", "50"))
# Introspection stays on by default: GraphiQL and client code generators need it. Turning it off also
# drops "Did you mean …?" suggestions, which would otherwise spell the schema out field by field.
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", True)
GRAPHQL_FIELD_SUGGESTIONS = env_bool("GRAPHQL_FIELD_SUGGESTIONS", GRAPHQL_INTROSPECTION)
# GraphiQL at GET /graphql/ (it only ever runs what the visitor types, with the visitor's own token).
GRAPHQL_GRAPHIQL = env_bool("GRAPHQL_GRAPHIQL", True)

# --- Abuse limits (django-ratelimit, counted in the cache shared by all workers) ----------
# "<count>/<period>" with period s, m, h or d. Client addresses: schema.throttle.client_address.
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_IP_META_KEY = "schema.throttle.client_address"
# How many proxies in front append to X-Forwarded-For (deploy/: nginx, so 1). 0 trusts no header: REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
LOGIN_RATE_PER_ACCOUNT = os.environ.get("LOGIN_RATE_PER_ACCOUNT", "5/m")
LOGIN_RATE_PER_ADDRESS = os.environ.get("LOGIN_RATE_PER_ADDRESS", "30/m")
REGISTER_RATE_PER_ADDRESS = os.environ.get("REGISTER_RATE_PER_ADDRESS", "20/h")
MOBILE_LOOKUP_RATE_PER_ACCOUNT = os.environ.get("MOBILE_LOOKUP_RATE_PER_ACCOUNT", "20/m")
MOBILE_LOOKUP_RATE_PER_ADDRESS = os.environ.get("MOBILE_LOOKUP_RATE_PER_ADDRESS", "60/m")
API_KEY_RATE = os.environ.get("API_KEY_RATE", "600/m")  # requests per API key
PAYMENT_REQUEST_RATE = os.environ.get("PAYMENT_REQUEST_RATE", "30/h")  # requestPayment calls per requester
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Without Redis the counts live in each process: right for the single-process embedded default; a deployment
# with several workers sets REDIS_URL, or each worker would count on its own.
# Django's own RedisCache increments atomically (INCR), which is all django-ratelimit needs of a cache.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] + ([] if REDIS_URL else ["django_ratelimit.E003"])
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
    # The user (with wallet) of a token in one query whose SQL is built once.
    "JWT_GET_USER_BY_NATURAL_KEY_HANDLER": "wallet.selectors.user_by_natural_key",
}

# LOG_FORMAT=json (production's default): one JSON object per line, each with the request's id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "server.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Strawberry logs every resolver exception with its traceback; keep those
        # in the server log (they are masked in responses).
        "strawberry.execution": {"level": "ERROR"},
        # One line per request from server.observability; quiet unless asked for.
        "wallet.access": {"level": os.environ.get("ACCESS_LOG_LEVEL", "WARNING")},
    },
}
