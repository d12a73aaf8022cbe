"""Logs and metrics both apps share: JSON log lines and Prometheus metrics.

``init_app(app, name)`` makes every request end in one JSON log line (request
id, tenant, method, path, status, duration) and in the request counters, and
serves ``GET /metrics``. Under uWSGI the workers of one instance pool their
metrics through files (prometheus_client's multiprocess mode), so a scrape of
any worker sees the whole instance; see :func:`configure_multiprocess`.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time

from flask import Flask, Response, g, request

_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def configure_multiprocess(name: str) -> None:
    """Under uWSGI, point prometheus_client at a folder for this instance (call first)."""
    try:
        import uwsgi
    except ImportError:
        return
    folder = os.path.join(tempfile.gettempdir(), "tessera-metrics",
                          f"{name}-{uwsgi.masterpid()}")
    os.makedirs(folder, exist_ok=True)
    os.environ.setdefault(_METRICS_DIR, folder)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with whatever structured fields the record carries."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def init_app(app: Flask, name: str) -> None:
    """JSON request logs, request metrics and ``GET /metrics`` for ``app``."""
    from prometheus_client import Counter, Histogram

    requests_total = _metric(Counter, "tessera_http_requests_total", "HTTP requests",
                             ["app", "endpoint", "method", "status"])
    latency = _metric(Histogram, "tessera_http_request_duration_seconds",
                      "HTTP request latency", ["app", "endpoint"])
    access_log = logging.getLogger(f"{name}.access")

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def log_and_count(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.endpoint or "unmatched"
        requests_total.labels(name, endpoint, request.method, str(response.status_code)).inc()
        latency.labels(name, endpoint).observe(elapsed)
        access_log.info("request", extra={"fields": {
            "request_id": g.get("request_id") or request.headers.get("X-Request-ID"),
            "tenant": g.get("tenant_slug") or (request.view_args or {}).get("slug"),
            "method": request.method, "path": request.path,
            "status": response.status_code, "duration_ms": round(elapsed * 1000, 2)}})
        return response

    @app.get("/metrics")
    def get_metrics():
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


_created: dict = {}


def _metric(kind, name: str, documentation: str, labels: list[str]):
    """Each metric once per process, however many apps the process builds (tests)."""
    if name not in _created:
        _created[name] = kind(name, documentation, labels)
    return _created[name]


def counter(name: str, documentation: str, labels: list[str]):
    """A process-wide counter (pooled across uWSGI workers like the request metrics)."""
    from prometheus_client import Counter

    return _metric(Counter, name, documentation, labels)


def _registry():
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if not os.environ.get(_METRICS_DIR):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
