"""Languages of the end-user pages (Flask-Babel): which one a request gets, and dates.

The locale is the first supported one of the authorization request's ``ui_locales``
(OIDC Core §3.1.2.1, which a sign-in page puts in ``g.ui_locales``), else the best
match of ``Accept-Language``, else English. Catalogues live in
``frontend/translations/<lang>/LC_MESSAGES``; the compiled ``.mo`` files are
committed beside their ``.po`` (a test fails when the two disagree, or when a
template holds a message the catalogue lacks).
"""
from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from flask import Flask, g, request
from flask_babel import Babel, get_locale

#: Languages with a complete catalogue; English is the source language.
LANGUAGES = ("en", "de")


def select_locale() -> str:
    for tag in (g.get("ui_locales") or "").split():
        language = tag.split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def when(value: str | datetime | None, fallback: str = "") -> str:
    """An API timestamp in the viewer's language, in UTC, saying so."""
    if not value:
        return fallback
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return format_datetime(moment, "medium", tzinfo="UTC", locale=get_locale()) + " UTC"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
