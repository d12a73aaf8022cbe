"""TOTP (RFC 6238): secrets, provisioning URIs and QR codes, and single-use verification.

Codes are 6 digits over 30-second steps (the defaults every authenticator app knows), and
accepted for the current step and one either side (``valid_window=1``: clocks drift). A
code is accepted only for a step later than the last accepted one, and that step is
claimed with one conditional UPDATE, so a code (or an earlier one) never works twice,
not even from two requests at once.
"""
from __future__ import annotations

import hmac
import io
import re

import pyotp
import segno
from sqlalchemy import or_, update

from api.db import utcnow
from api.extensions import db, totp_sealer
from api.mfa.models import TotpFactor

#: Steps accepted either side of the current one.
VALID_WINDOW = 1
CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226 §4 recommends at least that)."""
    return pyotp.random_base32(32)


def seal(secret: str) -> str:
    return totp_sealer.seal(secret.encode())


def secret_of(factor: TotpFactor) -> str:
    return totp_sealer.unseal(factor.sealed_secret).decode()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """``uri`` as a QR code, an SVG document rendered here (no outside service)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False,
                                    svgns=True, title="QR code")
    return buffer.getvalue().decode()


def matching_step(secret: str, code: str) -> int | None:
    """The time step within ±VALID_WINDOW whose code is ``code`` (constant-time), if any."""
    code = code.strip().replace(" ", "")
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    matched = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def use(factor: TotpFactor, code: str) -> bool:
    """Accept ``code`` once: True when it is right and its step is later than any accepted
    before (claimed atomically); the caller commits."""
    step = matching_step(secret_of(factor), code)
    if step is None:
        return False
    claimed = db.session.execute(
        update(TotpFactor)
        .where(TotpFactor.id == factor.id,
               or_(TotpFactor.last_used_step.is_(None), TotpFactor.last_used_step < step))
        .values(last_used_step=step, last_used_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    return bool(claimed)
