"""The mails Tessera sends, composed from templates in the tenant's name.

Each message has a plain-text and an HTML body (``templates/<name>.txt`` and
``.html``) and a subject below. Links are absolute, to the frontend's pages.
"""
from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from api.outbox import services as outbox

SUBJECTS = {
    "verify_email": "Verify your email address for {tenant}",
    "reset_password": "Reset your {tenant} password",
    "password_changed": "Your {tenant} password was changed",
    "confirm_email_change": "Confirm your new email address for {tenant}",
    "email_changed": "Your {tenant} email address was changed",
}


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(loader=PackageLoader("api.mail"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


def compose(template: str, to: str, tenant_name: str, **context) -> dict:
    """The message ``template`` to ``to``, as the payload the outbox delivers."""
    context = {"tenant": tenant_name, "to": to, **context}
    return {"to": to, "from_name": tenant_name,
            "subject": SUBJECTS[template].format(tenant=tenant_name),
            "text": _templates().get_template(f"{template}.txt").render(context),
            "html": _templates().get_template(f"{template}.html").render(context)}


def send(template: str, to: str, tenant_name: str, **context) -> None:
    """Compose a message and put it in the outbox (it leaves after the use case commits).

    The audit log will record its recipient and template, never the context
    (which may hold a single-use link).
    """
    outbox.enqueue("mail", compose(template, to, tenant_name, **context),
                   {"to": to, "template": template})
