"""The frontend application factory; it mirrors :mod:`api.app`.

A placeholder until the web UI lands: it serves its health probes and a landing page.
"""
from __future__ import annotations

import os

from flask import Flask, render_template


def create_app(config: dict | None = None) -> Flask:
    """Build the frontend app; ``config`` overrides what the environment says."""
    app = Flask(__name__)
    app.config.update(
        PUBLIC_API_URL=os.environ.get("PUBLIC_API_URL", "http://localhost:8080").rstrip("/"),
        API_INTERNAL_URL=os.environ.get("API_INTERNAL_URL", "http://localhost:8080").rstrip("/"),
    )
    app.config.update(config or {})
    register_blueprints(app)
    return app


def register_blueprints(app: Flask) -> None:
    @app.get("/health")
    def get_health():
        return {"status": "ok"}

    @app.get("/")
    def show_home():
        return render_template("home.html", api_url=app.config["PUBLIC_API_URL"])
