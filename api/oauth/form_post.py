"""OAuth 2.0 Form Post Response Mode: authorization responses the browser posts to the client.

With ``response_mode=form_post`` the response parameters (``code`` or ``error``,
``state``, ``iss``) reach the client in the body of a POST that an
auto-submitting HTML form makes, never in a URL. The API renders no HTML, so it
seals the parameters under a random reference that lives two minutes and sends
the browser to the frontend's ``/t/{slug}/form-post?ref=…``. The frontend
redeems the reference server-side with its key, exactly once, and renders the
form. A reference that leaked (history, logs) is worthless once the browser
used it; it cannot be bound to the browser itself, whose cookies for the API's
origin the frontend never sees.
"""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import delete, select

from api.db import utcnow
from api.errors import NotFound
from api.extensions import db, response_sealer
from api.oauth.models import FormPostResponse
from api.security import digest, generate_secret

FORM_POST = "form_post"
LIFETIME = timedelta(minutes=2)


def park(redirect_uri: str, location: str, frontend_url: str, slug: str) -> str:
    """Keep the response that ``location`` (``redirect_uri`` plus the response parameters)
    would carry; the frontend URL whose page posts it to ``redirect_uri``."""
    own_query = parse_qsl(urlsplit(redirect_uri).query, keep_blank_values=True)
    params = parse_qsl(urlsplit(location).query, keep_blank_values=True)[len(own_query):]
    reference = generate_secret()
    db.session.add(FormPostResponse(
        reference_hash=digest(reference), redirect_uri=redirect_uri,
        sealed_params=response_sealer.seal(json.dumps(params).encode()),
        expires_at=utcnow() + LIFETIME))
    return f"{frontend_url}/t/{slug}/form-post?{urlencode({'ref': reference})}"


def redeem(reference: str) -> dict:
    """The parked response for ``reference``, which can be redeemed once (commits);
    NotFound when it is unknown, used or expired."""
    row = db.session.scalar(select(FormPostResponse).where(
        FormPostResponse.reference_hash == digest(reference)))
    claimed = row is not None and row.expires_at > utcnow() and db.session.execute(
        delete(FormPostResponse).where(FormPostResponse.id == row.id)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not claimed:
        raise NotFound("Unknown, used or expired authorization response.")
    response = {"redirect_uri": row.redirect_uri,
                "params": json.loads(response_sealer.unseal(row.sealed_params))}
    db.session.commit()
    return response
