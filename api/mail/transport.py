"""Delivering a composed mail: over SMTP per ``SMTP_URL``, or to the log and a folder.

With ``SMTP_URL`` unset (development), each mail is written to ``instance/mail/``
as an ``.eml`` file and logged (outside production with its text, links
included, so a first run can follow them).
"""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from flask import current_app

from api.config import IMPLICIT_TLS, STARTTLS
from api.db import utcnow

log = logging.getLogger(__name__)
#: Seconds to wait for the mail server at each step.
TIMEOUT = 10


def build(payload: dict, sender: str) -> EmailMessage:
    """An RFC 5322 message with plain-text and HTML alternatives."""
    message = EmailMessage()
    message["From"] = formataddr((payload["from_name"], sender))
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    return message


def deliver(payload: dict) -> None:
    """Send one composed mail; raises when the mail server cannot take it."""
    config = current_app.config
    message = build(payload, config["MAIL_FROM"])
    if config["SMTP"] is None:
        write_to_folder(message, config["MAIL_DIR"], config["TESSERA_ENV"] != "production")
    else:
        send_smtp(message, config["SMTP"])


def send_smtp(message: EmailMessage, smtp: dict, timeout: float = TIMEOUT) -> None:
    """Hand ``message`` to the SMTP server; STARTTLS is required unless the URL said not."""
    context = ssl.create_default_context()  # the system store, or SSL_CERT_FILE
    if smtp["security"] == IMPLICIT_TLS:
        client = smtplib.SMTP_SSL(smtp["host"], smtp["port"], timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(smtp["host"], smtp["port"], timeout=timeout)
    with client:
        if smtp["security"] == STARTTLS:
            client.starttls(context=context)  # SMTPNotSupportedError when not offered
        if smtp["username"]:
            client.login(smtp["username"], smtp["password"] or "")
        client.send_message(message)


def write_to_folder(message: EmailMessage, folder: str, with_text: bool) -> Path:
    """Keep ``message`` as ``folder/<time>-<id>.eml`` and log it."""
    Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
    path = Path(folder) / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(message.as_bytes())
    text = message.get_body(("plain",)).get_content() if with_text else ""
    log.warning("mail to %s (no SMTP_URL, kept in %s): %s\n%s", message["To"], path,
                message["Subject"], text)
    return path
