"""Production settings: the base (server.settings) plus what a deployment must set and the HTTPS rules.

    DJANGO_SETTINGS_MODULE=server.settings.production

Starting without DJANGO_SECRET_KEY or DJANGO_ALLOWED_HOSTS stops with an error naming them. TLS is expected to
end at a proxy in front (nginx, a load balancer) that sets X-Forwarded-Proto. `python manage.py check --deploy`
passes with these settings (a test runs it).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from server.settings import *  # noqa: F403
from server.settings import env_bool, env_list

DEV_KEY_PREFIX = "dev-only-insecure"


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment for production (see .env.example).")
    return value


DEBUG = False
if env_bool("DJANGO_DEBUG", False):
    raise ImproperlyConfigured("DJANGO_DEBUG=true is not allowed with server.settings.production.")

SECRET_KEY = required("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith(DEV_KEY_PREFIX) or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be a long random value (50+ characters), not the dev key.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", required("DJANGO_ALLOWED_HOSTS"))
# The ledger's hash chains are sealed with this key: set on its own, so that rotating DJANGO_SECRET_KEY (which
# signs sessions and tokens) does not make every existing entry fail verify_ledger.
LEDGER_HASH_KEY = required("LEDGER_HASH_KEY")

# HTTPS: the proxy in front ends TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Metrics are scraped from inside the network over plain HTTP (the probes answer before this: server.health).
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405

# Preloading HSTS binds the domain and its subdomains to HTTPS in browsers for good: the owner of the domain opts
# in with DJANGO_HSTS_PRELOAD=true; until then check --deploy's reminder is silenced, not the header.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # noqa: F405
