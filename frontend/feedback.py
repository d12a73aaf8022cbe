"""Showing the API's answers to people: a flash for the outcome, messages under the fields."""
from __future__ import annotations

from flask import flash

from frontend.api_client import ApiError


def show_api_errors(form, error: ApiError) -> None:
    """The API's problem document on the page: messages under the fields they name, and a
    flash with the rest."""
    unplaced = []
    for field, messages in error.field_errors.items():
        if form is not None and field in form:
            form[field].errors = list(messages)
        elif f"{field}: {'; '.join(messages)}" not in error.message:
            unplaced.append(f"{field}: {'; '.join(messages)}")
    flash(" ".join([error.message, *unplaced]), "error")


def flash_outcome(call, success: str, form=None) -> bool:
    """Run one API write and show how it went (on ``form``, if any); True when it worked."""
    try:
        call()
    except ApiError as error:
        show_api_errors(form, error)
        return False
    flash(success, "success")
    return True
