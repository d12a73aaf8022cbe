"""The mails Tessera sends, composed from templates in the tenant's name.

Each message has a plain-text and an HTML body (``templates/<name>.txt`` and
``.html``) and a subject below. Links are absolute, to the frontend's pages.
They wear the tenant's branding, as its pages do: the name its users know
(``display_name``), its logo (https) and its colour on the button, with text
in black or white, whichever reads better on it (WCAG 2.1 contrast).
"""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from api.outbox import services as outbox
from api.tenancy.models import Tenant

SUBJECTS = {
    "verify_email": "Verify your email address for {tenant}",
    "reset_password": "Reset your {tenant} password",
    "password_changed": "Your {tenant} password was changed",
    "confirm_email_change": "Confirm your new email address for {tenant}",
    "email_changed": "Your {tenant} email address was changed",
    "recovery_code_used": "A recovery code was used to sign in to {tenant}",
    "factors_reset": "Your {tenant} second factors were removed",
    "passkey_added": "A passkey was added to your {tenant} account",
}


DEFAULT_COLOR = "#2f5bd3"
DARK_TEXT, LIGHT_TEXT = "#1d2330", "#ffffff"


def _luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``."""
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(color[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def text_on(color: str) -> str:
    """Black or white text, whichever contrasts more with ``color``."""
    background = _luminance(color)
    return DARK_TEXT if (background + 0.05) / (_luminance(DARK_TEXT) + 0.05) > \
        1.05 / (background + 0.05) else LIGHT_TEXT


def brand(tenant: Tenant) -> dict:
    """The tenant's face in its mails, from its branding (each value optional)."""
    branding = tenant.branding or {}
    color = branding.get("primary_color") or DEFAULT_COLOR
    return {"name": branding.get("display_name") or tenant.name,
            "logo_uri": branding.get("logo_uri"), "color": color, "text": text_on(color)}


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(loader=PackageLoader("api.mail"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


def compose(template: str, to: str, tenant: Tenant, **context) -> dict:
    """The message ``template`` to ``to``, as the payload the outbox delivers."""
    face = brand(tenant)
    context = {"tenant": face["name"], "brand": face, "to": to, **context}
    return {"to": to, "from_name": face["name"],
            "subject": SUBJECTS[template].format(tenant=face["name"]),
            "text": _templates().get_template(f"{template}.txt").render(context),
            "html": _templates().get_template(f"{template}.html").render(context)}


def send(template: str, to: str, tenant: Tenant, **context) -> None:
    """Compose a message and put it in the outbox (it leaves after the use case commits).

    The audit log will record its recipient and template, never the context
    (which may hold a single-use link).
    """
    outbox.enqueue("mail", compose(template, to, tenant, **context),
                   {"to": to, "template": template})
