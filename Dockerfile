# syntax=docker/dockerfile:1
# Two images from one file:
#   docker build --target api .        the service (API, WebSocket server, worker, relay, consumers, migrations)
#   docker build --target frontend .   the sample SPA behind nginx, proxying the API
# Dependencies come from the pinned pyproject.toml and frontend-sample/package-lock.json; no secret is baked in:
# every setting is an environment variable (see .env.example).

# --- The sample SPA, built with Node.js ------------------------------------------------------
FROM node:20-bookworm-slim AS spa-build
WORKDIR /build
COPY schema/schema.graphql /schema/schema.graphql
COPY frontend-sample/package.json frontend-sample/package-lock.json ./
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
RUN npm ci --no-audit --no-fund
COPY frontend-sample/ ./
RUN npm run build

# --- The service -----------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS api
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=server.settings.production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN groupadd --system --gid 10001 wallet \
    && useradd --system --uid 10001 --gid wallet --home-dir /app --shell /usr/sbin/nologin wallet
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server/ server/
COPY wallet/ wallet/
COPY schema/ schema/
COPY manage.py ./
RUN pip install --no-cache-dir .
# Static files (the admin's) are collected at build time, with the base settings: no secret, no database.
RUN DJANGO_SETTINGS_MODULE=server.settings \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /tmp/prometheus && chown wallet:wallet /tmp/prometheus
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["gunicorn", "server.wsgi:application", "--config", "server/gunicorn.conf.py"]

# --- The SPA behind nginx --------------------------------------------------------------------
FROM nginx:1.27-alpine AS frontend
COPY deploy/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=spa-build /build/dist /usr/share/nginx/html
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/nginx-health"]
