"""gunicorn's settings for the web tier (the Dockerfile's default command); each can be overridden by environment."""

import os

# BIND_ADDRESS: loopback when the layout runs on a shared machine (scripts/harness.py stack).
bind = f"{os.environ.get('BIND_ADDRESS', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
# Requests are short; anything slower than this is stuck (the money path has its own lock and statement timeouts).
timeout = int(os.environ.get("WEB_TIMEOUT_SECONDS", "30"))
graceful_timeout = 20
keepalive = 5
# Workers are recycled now and then, so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None  # the application logs each request as JSON with its request id
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")


def child_exit(server, worker):
    # Prometheus multiprocess mode: a dead worker's gauges must not linger.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
