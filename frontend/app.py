"""The frontend application factory; it mirrors :mod:`api.app`."""
from __future__ import annotations

import observability
from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from frontend import api_client, i18n
from frontend.api_client import ApiError, ApiUnavailable
from frontend.config import load_config
from frontend.extensions import csrf
import identifiers
from identifiers import CONVERTERS

#: Every response: no framing, no sniffing, no referrer (sign-in URLs carry challenges),
#: and a CSP without inline scripts or styles (tenant logos may come from any https origin).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data: https:; frame-ancestors 'none'; "
                               "base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(config: dict | None = None) -> Flask:
    """Build the frontend app; ``config`` overrides what the environment says."""
    app = Flask(__name__)
    app.config.update(load_config())
    app.config.update(config or {})
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    if not app.testing:
        observability.configure_logging()
    observability.init_app(app, "frontend")
    return app


def register_extensions(app: Flask) -> None:
    csrf.init_app(app)
    i18n.init_app(app)


def register_blueprints(app: Flask) -> None:
    from frontend.console.account import bp as account_bp
    from frontend.console.account_factors import bp as account_factors_bp
    from frontend.console.passkeys import bp as passkeys_bp
    from frontend.branding import bp as branding_bp
    from frontend.console.routes import bp as console_bp
    from frontend.signin.accounts import bp as accounts_bp
    from frontend.signin.passkeys import bp as passkey_sign_in_bp
    from frontend.signin.factors import bp as factors_bp
    from frontend.signin.routes import bp as signin_bp
    from frontend.signup import bp as signup_bp

    app.url_map.converters.update(CONVERTERS)  # pages take only well-formed slugs

    @app.get("/health")
    def get_health():
        return {"status": "ok"}

    @app.get("/health/ready")
    def get_readiness():
        """Ready when the API it depends on is (ApiUnavailable → the 503 handler)."""
        api_client.api_ready()
        return {"status": "ready"}

    @app.get("/")
    def show_home():
        return render_template("home.html", demo=True)

    @app.get("/console")
    def go_to_console():
        """The home page's "go to your console" form."""
        slug = request.args.get("slug", "").strip().lower()
        if not identifiers.is_slug(slug):
            return redirect(url_for("show_home"))
        return redirect(url_for("console.show_dashboard", slug=slug))

    app.register_blueprint(signin_bp)
    app.register_blueprint(factors_bp)
    app.register_blueprint(signup_bp)
    app.register_blueprint(branding_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(account_factors_bp)
    app.register_blueprint(passkeys_bp)
    app.register_blueprint(passkey_sign_in_bp)


def register_errorhandlers(app: Flask) -> None:
    def error_page(status: int, title: str, message: str):
        return render_template("error.html", status=status, title=title,
                               message=message), status

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return error_page(400, _("Your form expired"),
                          _("Please go back, reload the page and try again."))

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError):
        return error_page(error.status, error.problem.get("title", "Refused"), error.message)

    @app.errorhandler(ApiUnavailable)
    def handle_api_unavailable(error: ApiUnavailable):
        app.logger.warning("API unavailable: %s", error)
        return error_page(503, _("Service unavailable"),
                          _("Sign-in cannot be reached right now. Please try again shortly."))

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        return error_page(error.code or 500, error.name, error.description)

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        app.logger.exception("unhandled error")
        return error_page(500, _("Something went wrong"), _("Please try again."))


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
