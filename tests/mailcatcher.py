"""A real SMTP server on a loopback port (aiosmtpd) that keeps every mail it receives."""
from __future__ import annotations

import re
import ssl
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.live import free_port

LINK = re.compile(r"https?://\S+?\?token=[A-Za-z0-9_-]+")


class MailCatcher:
    """Start, stop and start again on the same port; ``wait_for`` a mail to an address."""

    def __init__(self, port: int | None = None, tls_context: ssl.SSLContext | None = None,
                 require_starttls: bool = False, implicit_tls: ssl.SSLContext | None = None):
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self._lock = threading.Condition()
        self._options = {"tls_context": tls_context, "require_starttls": require_starttls,
                         "ssl_context": implicit_tls}
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=false"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self._lock.notify_all()
        return "250 Message accepted"

    def start(self) -> MailCatcher:
        options = {k: v for k, v in self._options.items() if v}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                      server_hostname="localhost", **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> EmailMessage:
        """The ``count``-th mail to ``address``, waiting up to ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len([m for m in self.messages if m["To"] == address]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail #{count} to {address} within {timeout}s; "
                                         f"got {[m['To'] for m in self.messages]}")
                self._lock.wait(remaining)
            return [m for m in self.messages if m["To"] == address][count - 1]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message: EmailMessage) -> str:
    """The link a mail carries (in both its bodies)."""
    found = LINK.search(text_of(message)).group(0)
    assert found in message.get_body(("html",)).get_content()
    return found
