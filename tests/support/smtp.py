"""An aiosmtpd server on 127.0.0.1 that records every message it accepts (a real SMTP server, in a thread).

aiosmtpd cannot bind port 0 (aiosmtpd#388), so :func:`free_port` picks a port first; a test can also start
the server late on a port chosen earlier, to play "SMTP down for a while, then up".
"""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, recorder: SmtpRecorder) -> None:
        self.recorder = recorder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.recorder.lock:
            self.recorder.messages.append(parsed)
            self.recorder.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpRecorder:
    """A real SMTP server on loopback; ``messages`` holds what it accepted, parsed, in order."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpRecorder:
        """Start listening on ``self.port``."""
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (messages stay recorded)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpRecorder:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def alert_ids(self) -> list[int]:
        """Alert ids carried by the received messages (``X-Alertbot-Alert-Ids``), one entry per message id."""
        with self.lock:
            headers = [str(message.get("X-Alertbot-Alert-Ids", "")) for message in self.messages]
        return [int(part) for header in headers for part in header.split(",") if part.strip()]
