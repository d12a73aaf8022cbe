"""Domain errors and the one place that turns any error into an RFC 9457 problem document.

Services raise the typed errors below; HTTP, marshmallow and database errors are
mapped into the same shape. OAuth endpoints answer with their own RFC 6749
bodies (Authlib builds those); the one protocol error Authlib raises before an endpoint
handles anything (``insecure_transport``: a URL that is neither HTTPS nor loopback) gets
the same RFC 6749 body here.
"""
from __future__ import annotations

import logging

from authlib.oauth2 import OAuth2Error
from flask import Flask, Response, json
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from api.extensions import db

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of the errors services raise; ``status`` and ``title`` shape the response."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidInput(DomainError):
    """Well-formed input that breaks a rule (weak password, unknown role, ...)."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", {field: [message]})


class NotFound(DomainError):
    status = 404
    title = "Not Found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


def field_messages(messages: dict) -> dict[str, list[str]]:
    """marshmallow's nested error messages as ``{field: [message, ...]}`` (plain strings).

    A message about one item of a list or nested object names it: ``item 2: ...``.
    """
    return {str(field): list(_flatten(value)) for field, value in messages.items()}


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [f"{_item_name(key)}: {message}"
                for key, value in messages.items() for message in _flatten(value)]
    if isinstance(messages, (list, tuple)):
        return [message for value in messages for message in _flatten(value)]
    return [str(messages)]


def _item_name(key) -> str:
    return f"item {key + 1}" if isinstance(key, int) else str(key)


def problem(status: int, title: str, detail: str | None = None, **extra) -> Response:
    """An ``application/problem+json`` response (RFC 9457)."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def protocol_error(error: OAuth2Error) -> Response:
    """An RFC 6749 error as Authlib's endpoints answer it."""
    return Response(json.dumps(dict(error.get_body())), status=error.status_code,
                    headers=error.get_headers())


def register_errorhandlers(app: Flask) -> None:
    """Map every error a request can raise to a problem document."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        return problem(error.status, error.title, error.detail, errors=error.errors)

    @app.errorhandler(ValidationError)
    def handle_validation_error(error: ValidationError):
        return problem(422, "Unprocessable Content", "The request body is invalid.",
                       errors=field_messages(error.normalized_messages()))

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if error.response is not None:  # a protocol error with its own RFC 6749/6750 body
            return error.response
        response = problem(error.code or 500, error.name, error.description)
        headers = dict(error.get_headers())
        for name in ("Allow", "WWW-Authenticate", "Retry-After"):
            if name in headers:
                response.headers[name] = headers[name]
        return response

    app.register_error_handler(OAuth2Error, protocol_error)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):
        db.session.rollback()
        log.info("integrity error: %s", error.orig)
        return problem(409, "Conflict", "The request conflicts with the current state.")

    @app.errorhandler(OperationalError)
    def handle_database_unavailable(error: DBAPIError):
        db.session.rollback()
        log.warning("database unavailable: %s", error.orig)
        response = problem(503, "Service Unavailable", "The database is unavailable; retry later.")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "An unexpected error occurred.")
