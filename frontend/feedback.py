"""Showing the API's answers to people, in one place.

A refusal of a form is shown on that form: each message under the field it names
and the rest in one banner at the top of the form (``form.form_errors``), never
as a flash that would outlive the page. A flash is for the outcome of an action
that redirects (POST, redirect, GET); it is shown once, on the next page.
"""
from __future__ import annotations

from flask import flash
from flask_babel import gettext as _

from frontend.api_client import ApiError


def messages_of(error: ApiError, form=None) -> list[str]:
    """Put the problem document's per-field messages under ``form``'s fields; the rest of
    what it says, as plain sentences."""
    rest = []
    for field, messages in error.field_errors.items():
        texts = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        if form is not None and field in form:
            form[field].errors = list(form[field].errors or []) + texts
        else:
            rest.extend(f"{_label(form, field)}: {text}" for text in texts)
    placed = error.field_errors and len(rest) == 0
    if placed:
        return [_("Please correct the marked fields.")]
    if error.field_errors and error.message in ("The request body is invalid.",):
        return rest
    return [error.message, *[m for m in rest if m not in error.message]]


def _label(form, field: str) -> str:
    return field.replace("_", " ").capitalize()


def show_api_errors(form, error: ApiError) -> None:
    """The API's refusal on ``form``: under the fields and in the form's banner."""
    form.form_errors.extend(messages_of(error, form))


def flash_outcome(call, success: str, form=None) -> bool:
    """Run one API write and show how it went: on ``form`` when there is one (the page is
    rendered again), else as a flash for the page the action redirects to."""
    try:
        call()
    except ApiError as error:
        if form is not None:
            show_api_errors(form, error)
        else:
            flash(" ".join(messages_of(error)), "error")
        return False
    flash(success, "success")
    return True
