"""Gunicorn settings for TĐKT Flow in production.

nginx sits in front: it buffers request bodies (uploads up to 20 MiB) and slow responses, so
plain synchronous workers never wait on a slow client. Settings that differ per host come
from the environment:

    GUNICORN_BIND             address to listen on (default 127.0.0.1:8000)
    GUNICORN_WORKERS          worker processes (default 2 × cores + 1, at most 8)
    GUNICORN_TIMEOUT          seconds a request may take before its worker is replaced (60)
    FORWARDED_ALLOW_IPS       proxies whose X-Forwarded-* headers are believed (127.0.0.1)
"""

import multiprocessing
import os

wsgi_app = "service.app:create_app()"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5

# Each worker builds its own app and database pool after the fork: a pool created before the
# fork would hand the same PostgreSQL connections to several processes.
preload_app = False

# Recycle workers now and then, so that a slow leak in a library cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Only the proxy may say which scheme and client address a request came from.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# The heartbeat file lives in memory where there is a tmpfs: a container's overlay disk
# can stall it long enough for healthy workers to be killed.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# No runtime control socket: nothing here uses it, and it would be written under $HOME.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}i)s agent="%(a)s"'

proc_name = "tdkt-flow"
