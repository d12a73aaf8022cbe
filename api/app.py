"""The API application factory; it reads like a table of contents."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from flask import Flask, g, request

import observability
from api import edge
from api.config import load_config
from api.extensions import (client_secret_sealer, db, migrate, outbox_sealer, response_sealer,
                            signing_key_sealer, totp_sealer)
from identifiers import CONVERTERS

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(config: dict | None = None) -> Flask:
    """Build the API app; ``config`` overrides what the environment says."""
    app = Flask(__name__, static_folder=None)
    app.config.update(load_config(app.instance_path))
    app.config.update(config or {})
    app.request_class = edge.ApiRequest
    app.session_interface = edge.NoCookieSession()
    app.json = edge.StrictJSONProvider(app)
    app.json.sort_keys = False
    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    configure_logger(app)
    observability.init_app(app, "api")
    return app


def register_extensions(app: Flask) -> None:
    from api import mail, models  # noqa: F401  (every model registered before use)
    from api import rls
    from api.oauth import backchannel, subscriptions
    from api.outbox import services as outbox
    from api.passkeys.factor import register_factor

    subscriptions.connect()
    register_factor()
    db.init_app(app)
    rls.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    signing_key_sealer.init_app(app)
    response_sealer.init_app(app)
    client_secret_sealer.init_app(app)
    outbox_sealer.init_app(app)
    totp_sealer.init_app(app)
    outbox.init_app(app)
    mail.init_app(app)
    backchannel.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    app.before_request(edge.refuse_malformed_requests)

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    from api.oauth.cors import add_cors_headers

    app.after_request(add_cors_headers)


def register_blueprints(app: Flask) -> None:
    from api.urls import TOP_LEVEL

    app.url_map.converters.update(CONVERTERS)  # routes take only well-formed slugs and tokens
    for blueprint in TOP_LEVEL:
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from api.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from api.cli import register

    register(app)


def configure_logger(app: Flask) -> None:
    """JSON log lines on stderr (uWSGI collects them); tests keep pytest's capture."""
    if not app.testing:
        observability.configure_logging()
