"""A JSON webhook stand-in on 127.0.0.1 for the group-robot channels (WeCom, DingTalk, Feishu).

It records every POST (path, query, JSON body, receipt time) and answers ``{"errcode": 0, "errmsg": "ok"}``
(or a scripted answer: ``reply_next({"errcode": 130101, ...})`` or an HTTP status).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class WebhookCall:
    """One POST the stand-in received."""

    path: str
    query: dict[str, list[str]]
    raw_query: str
    body: Any
    received_at: float

    def param(self, name: str) -> str:
        """A single query parameter (decoded)."""
        return self.query[name][0]


class WebhookStandIn:
    """Threaded HTTP server answering robot webhooks on a free loopback port."""

    def __init__(self, ok_reply: dict[str, Any] | None = None) -> None:
        self.ok_reply = ok_reply or {"errcode": 0, "errmsg": "ok"}
        self.calls: list[WebhookCall] = []
        self._scripted: deque[tuple[int, Any]] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> WebhookStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                call = WebhookCall(
                    parts.path, parse_qs(parts.query), parts.query, json.loads(raw), time.monotonic()
                )
                with standin._lock:
                    standin.calls.append(call)
                    status, reply = (
                        standin._scripted.popleft() if standin._scripted else (200, standin.ok_reply)
                    )
                data = json.dumps(reply).encode() if not isinstance(reply, bytes) else reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reply_next(self, reply: Any, *, status: int = 200, count: int = 1) -> None:
        """Answer the next ``count`` POSTs with ``reply`` (a JSON-able value, or raw bytes) and ``status``."""
        with self._lock:
            for _ in range(count):
                self._scripted.append((status, reply))
