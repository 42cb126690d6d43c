"""gunicorn settings for the production profile (`make serve-prod`); everything from the environment."""

import multiprocessing
import os

wsgi_app = "civicgrid.wsgi:application"
bind = os.environ.get("CIVICGRID_BIND", "127.0.0.1:8000").split(",")
# Sync workers: the app is CPU- and database-bound; 2 × cores + 1 is gunicorn's own rule of thumb.
workers = int(os.environ.get("CIVICGRID_WEB_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("CIVICGRID_WEB_THREADS", "1"))
timeout = int(os.environ.get("CIVICGRID_WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("CIVICGRID_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("CIVICGRID_ACCESS_LOG", "-")
errorlog = os.environ.get("CIVICGRID_ERROR_LOG", "-")
loglevel = os.environ.get("CIVICGRID_LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Only the load balancer in front may set X-Forwarded-*; list its address here.
forwarded_allow_ips = os.environ.get("CIVICGRID_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "civicgrid"
# gunicorn's control socket defaults to one path per user, which two instances on one host
# (or the test suite) would fight over; give it a path, or leave it off.
control_socket = os.environ.get("CIVICGRID_CONTROL_SOCKET", "") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("CIVICGRID_CONTROL_SOCKET")
