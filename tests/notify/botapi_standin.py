"""A Telegram Bot API stand-in on 127.0.0.1 for tests and benchmarks (reusable by the dispatcher and bot tests).

It answers ``/bot<token>/<method>`` like the real Bot API does for the methods alertbot uses, records every
request (method, decoded parameters, receipt time), lets a test script answers (``fail_next("sendMessage",
2, 429, retry_after=1)``), can enforce Telegram's flood limits itself (answering 429 like Telegram), and
checks afterwards whether the recorded sends kept the limits.

PTB posts ``application/x-www-form-urlencoded`` for ordinary calls (``reply_markup`` arrives as a JSON
string) and ``multipart/form-data`` for uploads; both are decoded into ``RecordedRequest.params``.

Usage::

    with BotApiStandIn() as api:
        bot = Bot(api.token, base_url=api.base_url)
        ...
        assert api.calls("sendMessage")[0].params["chat_id"] == "42"
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage"})


@dataclass
class RecordedRequest:
    """One call the stand-in received."""

    method: str
    token: str
    params: dict[str, str]
    files: dict[str, tuple[str, bytes]]
    received_at: float  # time.monotonic()
    status: int = 200

    @property
    def chat_id(self) -> str | None:
        """The chat the call addressed, if any."""
        return self.params.get("chat_id")

    def json_param(self, name: str) -> Any:
        """A parameter PTB sent as a JSON string (reply_markup, link_preview_options, ...)."""
        return json.loads(self.params[name])


@dataclass
class ScriptedAnswer:
    """An answer to hand out instead of the default one."""

    status: int
    description: str = ""
    retry_after: float | None = None
    migrate_to_chat_id: int | None = None


@dataclass
class FloodLimits:
    """Telegram's limits as the stand-in enforces and checks them; ``tolerance`` absorbs loopback jitter.

    Field names match ``alertbot.notify.ratelimit.TelegramRateLimiter`` so tests can build both from one dict.
    """

    overall_limit: int = 30
    overall_period: float = 1.0
    per_chat_interval: float = 1.0
    group_limit: int = 20
    group_period: float = 60.0
    tolerance: float = 0.01


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    scripted: dict[str, deque[ScriptedAnswer]] = field(default_factory=lambda: defaultdict(deque))
    updates: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    accepted_sends: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    all_accepted: list[float] = field(default_factory=list)
    flood_rejections: int = 0


class BotApiStandIn:
    """A threaded HTTP server on 127.0.0.1 that speaks enough of the Bot API for alertbot."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        enforce_limits: FloodLimits | None = None,
        bot_username: str = "alertbot_test_bot",
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.enforce_limits = enforce_limits
        self._state = _State()
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> BotApiStandIn:
        """Start serving on a free loopback port."""
        handler = _make_handler(self)
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="botapi-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> BotApiStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the stand-in listens on."""
        assert self._server is not None, "start() the stand-in first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``base_url`` for ``Bot`` / ``ALERTBOT_TELEGRAM_BASE_URL`` (the token is appended by PTB)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The ``base_file_url`` for ``Bot``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- scripting -----------------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        count: int = 1,
        status: int = 500,
        description: str | None = None,
        *,
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an error like Telegram's."""
        text = description or {
            400: "Bad Request: chat not found",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, f"Error {status}")
        with self._lock:
            for _ in range(count):
                self._state.scripted[method].append(
                    ScriptedAnswer(
                        status, text, retry_after=retry_after, migrate_to_chat_id=migrate_to_chat_id
                    )
                )

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for ``getUpdates``; ``update_id`` is added when missing. Returns the update id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._state.updates.put(update)
        return int(update["update_id"])

    # -- inspection ----------------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order."""
        with self._lock:
            return list(self._state.requests)

    def calls(self, method: str, *, accepted_only: bool = False) -> list[RecordedRequest]:
        """Requests of one Bot API method (optionally only those answered 200)."""
        return [
            request
            for request in self.requests
            if request.method == method and (not accepted_only or request.status == 200)
        ]

    def sent_texts(self, chat_id: str | int | None = None) -> list[str]:
        """Texts of accepted ``sendMessage`` calls, optionally for one chat."""
        return [
            request.params["text"]
            for request in self.calls("sendMessage", accepted_only=True)
            if chat_id is None or request.chat_id == str(chat_id)
        ]

    @property
    def flood_rejections(self) -> int:
        """How many sends the stand-in refused with 429 because a flood limit was exceeded."""
        with self._lock:
            return self._state.flood_rejections

    def send_times_by_chat(self) -> dict[str, list[float]]:
        """Receipt times of accepted sends, per chat."""
        with self._lock:
            return {chat: list(times) for chat, times in self._state.accepted_sends.items()}

    def rate_limit_violations(self, limits: FloodLimits | None = None) -> list[str]:
        """Every place the accepted sends broke a Telegram flood limit (empty when they kept all of them)."""
        limits = limits or FloodLimits()
        violations: list[str] = []
        by_chat = self.send_times_by_chat()
        for chat, times in by_chat.items():
            for earlier, later in itertools.pairwise(times):
                if later - earlier < limits.per_chat_interval - limits.tolerance:
                    violations.append(f"chat {chat}: two sends {later - earlier:.3f} s apart")
            if chat.startswith(("-", "@")):
                n = limits.group_limit
                for index in range(len(times) - n):
                    if times[index + n] - times[index] < limits.group_period - limits.tolerance:
                        violations.append(f"group {chat}: {n + 1} sends within {limits.group_period} s")
        with self._lock:
            overall = sorted(self._state.all_accepted)
        n = limits.overall_limit
        for index in range(len(overall) - n):
            if overall[index + n] - overall[index] < limits.overall_period - limits.tolerance:
                violations.append(f"overall: {n + 1} sends within {limits.overall_period} s at index {index}")
        return violations

    # -- request handling (server threads) -----------------------------------------------------------------
    def _flood_check(self, chat_id: str, now: float) -> float | None:
        limits = self.enforce_limits
        if limits is None:
            return None
        chat_times = self._state.accepted_sends.get(chat_id, [])
        if chat_times and now - chat_times[-1] < limits.per_chat_interval - limits.tolerance:
            return limits.per_chat_interval
        overall = self._state.all_accepted
        n = limits.overall_limit
        if len(overall) >= n and now - overall[-n] < limits.overall_period - limits.tolerance:
            return limits.overall_period
        n = limits.group_limit
        if (
            chat_id.startswith(("-", "@"))
            and len(chat_times) >= n
            and now - chat_times[-n] < limits.group_period - limits.tolerance
        ):
            return limits.group_period
        return None

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call; public so a subclass can extend it."""
        now = time.monotonic()
        route = urlsplit(path).path
        if not route.startswith("/bot"):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, _, method = route[len("/bot") :].partition("/")
        params, files = _decode_body(content_type, body)
        request = RecordedRequest(method, token, params, files, now)
        with self._lock:
            self._state.requests.append(request)
            if token != self.token:
                request.status = 401
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            scripted = self._state.scripted.get(method)
            answer = scripted.popleft() if scripted else None
            if answer is None and method in SEND_METHODS:
                wait = self._flood_check(params.get("chat_id", ""), now)
                if wait is not None:
                    self._state.flood_rejections += 1
                    answer = ScriptedAnswer(429, f"Too Many Requests: retry after {wait:g}", retry_after=wait)
            if answer is not None:
                request.status = answer.status
                return answer.status, _error_body(answer)
            if method in SEND_METHODS:
                chat_id = params.get("chat_id", "")
                self._state.accepted_sends[chat_id].append(now)
                self._state.all_accepted.append(now)
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._take_updates(params)}
        return 200, {"ok": True, "result": self._result(method, params, files)}

    def serve_file(self, path: str) -> tuple[int, bytes] | None:
        """A file download (``/file/bot<token>/<path>``) as (status, bytes), or None for Bot API calls;
        a subclass that hands out files overrides it (tests/bot/standin.py)."""
        return None

    def _take_updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        timeout = min(float(params.get("timeout", "0") or 0), 1.0)
        updates: list[dict[str, Any]] = []
        try:
            updates.append(
                self._state.updates.get(timeout=timeout) if timeout else self._state.updates.get_nowait()
            )
            while True:
                updates.append(self._state.updates.get_nowait())
        except queue.Empty:
            pass
        return updates

    def _result(self, method: str, params: dict[str, str], files: dict[str, tuple[str, bytes]]) -> Any:
        if method == "getMe":
            return {
                "id": int(self.token.split(":")[0]),
                "is_bot": True,
                "first_name": "alertbot",
                "username": self.bot_username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in SEND_METHODS or method.startswith("edit"):
            return self._message_result(method, params, files)
        return True

    def _message_result(
        self, method: str, params: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> Any:
        raw_chat = params.get("chat_id", "0")
        chat: dict[str, Any] = (
            {
                "id": int(raw_chat),
                "type": "group" if raw_chat.startswith("-") else "private",
                "first_name": "t",
            }
            if raw_chat.lstrip("-").isdigit()
            else {"id": -100999, "type": "channel", "username": raw_chat.lstrip("@")}
        )
        message: dict[str, Any] = {
            "message_id": int(params["message_id"]) if "message_id" in params else next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
        }
        if "text" in params:
            message["text"] = params["text"]
        if "reply_markup" in params:
            message["reply_markup"] = json.loads(params["reply_markup"])
        if method == "sendDocument":
            filename = files["document"][0] if "document" in files else "document"
            message["document"] = {
                "file_id": f"doc-{message['message_id']}",
                "file_unique_id": "u",
                "file_name": filename,
            }
        return message


class _Server(ThreadingHTTPServer):
    # Fifty users' replies open many connections at once; the default backlog of 5 drops some of them.
    request_queue_size = 256


def _error_body(answer: ScriptedAnswer) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": answer.status, "description": answer.description}
    parameters: dict[str, Any] = {}
    if answer.retry_after is not None:
        parameters["retry_after"] = answer.retry_after
    if answer.migrate_to_chat_id is not None:
        parameters["migrate_to_chat_id"] = answer.migrate_to_chat_id
    if parameters:
        body["parameters"] = parameters
    return body


def _decode_body(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
        )
        params: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                files[str(name)] = (filename, payload)
            else:
                params[str(name)] = payload.decode("utf-8")
        return params, files
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}


def _make_handler(standin: BotApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            status, answer = standin.handle(self.path, self.headers.get("Content-Type", ""), body)
            self._reply(status, answer)

        def do_GET(self) -> None:
            served = standin.serve_file(self.path)
            if served is not None:
                self._reply_bytes(*served)
                return
            status, answer = standin.handle(self.path, "", b"")
            self._reply(status, answer)

        def _reply_bytes(self, status: int, data: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _reply(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                # PTB drops an in-flight long poll at shutdown; that is not an error of the code under test.
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
