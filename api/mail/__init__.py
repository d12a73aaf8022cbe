"""Mail: composing messages in a tenant's name, and delivering them through the outbox.

:func:`send` composes a message (plain text and HTML, from templates) and
enqueues it; the outbox delivers it with :func:`api.mail.transport.deliver`
(SMTP per ``SMTP_URL``, or the log and ``instance/mail/`` without it).
"""
from flask import Flask

from api.mail.messages import send

__all__ = ["init_app", "send"]


def init_app(app: Flask) -> None:
    """Let the outbox deliver messages of kind ``mail``."""
    from api.mail.transport import deliver
    from api.outbox import services as outbox

    outbox.register("mail", deliver)
