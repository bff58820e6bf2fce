"""A real SMTP server for the e-mail tests (aiosmtpd), and its fixtures.

``smtp_daemon`` (session scope) runs one aiosmtpd Controller on a free
loopback port for the whole run. ``smtp_server`` (per test) points Django's
SMTP backend at it for that test and starts from an empty mailbox::

    def test_mail(smtp_server):
        ...
        [message] = smtp_server.messages   # email.message.EmailMessage objects
        assert message["To"] == "a@example.ma"
        smtp_server.wait_for(1)            # for mail sent by another process

Messages are parsed with the modern policy, so ``message.get_body(("plain",))
.get_content()`` gives the decoded text.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class SMTPServer:
    """The messages a real SMTP server received, in arrival order."""

    host: str = "127.0.0.1"
    port: int = 0
    envelopes: list[Envelope] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # aiosmtpd handler hook: called in the controller's thread for each message.
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self._lock:
            self.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self._lock:
            return [item.message for item in self.envelopes]

    def clear(self) -> None:
        with self._lock:
            self.envelopes.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[email.message.EmailMessage]:
        """The messages once at least ``count`` arrived (mail sent by another process)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), received {len(self.messages)}")

    @staticmethod
    def text_of(message: email.message.EmailMessage) -> str:
        """The plain-text body, decoded."""
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture(scope="session")
def smtp_daemon():
    """The aiosmtpd server itself, one for the run, on a free loopback port.

    Use it directly from module- or session-scoped fixtures (a Daphne
    subprocess gets EMAIL_HOST/EMAIL_PORT from ``.host``/``.port``); tests
    use ``smtp_server``."""
    from aiosmtpd.controller import Controller

    server = SMTPServer(port=_free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_daemon, settings):
    """The run's SMTP server, with Django's SMTP backend pointed at it for this
    test and an empty mailbox: ``smtp_server.messages``, ``.clear()``, ``.wait_for(n)``."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_daemon.host
    settings.EMAIL_PORT = smtp_daemon.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    smtp_daemon.clear()
    yield smtp_daemon
    smtp_daemon.clear()
