"""The Bot API stand-in, extended for whole conversations: it queues messages, documents (served through
``getFile`` and the file download URL) and button presses for ``getUpdates``, and waits for the bot's
replies to each one, so a test (or the benchmark) drives a real ``alertbot bot`` process like users would.

Usage::

    with BotStandIn() as api:
        replies = api.ask(501, "/whoami")          # waits for one reply to chat 501
        assert "staff" in replies[0].params["text"]

Run by hand to try the bot without Telegram (docs/bot.md, "Trying it without Telegram")::

    python -m tests.bot.standin --port 8081

It prints the token and base URL to give ``alertbot bot``, then reads lines ``[USER_ID] TEXT`` from stdin, sends
each as that user's message and prints the bot's replies; it serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import sys
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.notify.botapi_standin import BotApiStandIn, RecordedRequest, _decode_body, _make_handler, _Server

SILENT_METHODS = frozenset(
    {"getUpdates", "getMe", "deleteWebhook", "setMyCommands", "deleteMyCommands", "getFile"}
)
"""Calls that are not a reply to the user."""


class BotStandIn(BotApiStandIn):
    """A Bot API stand-in that also hands out uploaded files and pairs the bot's replies with updates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files: dict[str, bytes] = {}
        self._file_ids = itertools.count(1)
        self._message_numbers = itertools.count(50_000)
        self._arrived = threading.Condition()

    # -- files ---------------------------------------------------------------------------------------------
    def add_file(self, data: bytes) -> str:
        """Keep ``data`` for download; returns its file id."""
        file_id = f"file-{next(self._file_ids)}"
        self.files[file_id] = data
        return file_id

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        status, answer = super().handle(path, content_type, body)
        with self._arrived:
            self._arrived.notify_all()
        if status == 200 and urlsplit(path).path.endswith("/getFile"):
            file_id = _decode_body(content_type, body)[0].get("file_id", "")
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            answer = {
                "ok": True,
                "result": {
                    "file_id": file_id,
                    "file_unique_id": f"u-{file_id}",
                    "file_size": len(self.files[file_id]),
                    "file_path": f"documents/{file_id}",
                },
            }
        return status, answer

    def serve_file(self, path: str) -> tuple[int, bytes] | None:
        route = unquote(urlsplit(path).path)
        prefix = f"/file/bot{self.token}/documents/"
        if not route.startswith("/file/"):
            return None
        if not route.startswith(prefix) or route[len(prefix) :] not in self.files:
            return 404, b"not found"
        return 200, self.files[route[len(prefix) :]]

    # -- updates -------------------------------------------------------------------------------------------
    @staticmethod
    def user(user_id: int, lang: str = "zh") -> dict[str, Any]:
        """A Telegram user as updates carry it."""
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"user{user_id}",
            "language_code": "zh-hans" if lang == "zh" else "en",
        }

    def _message(self, user_id: int, lang: str, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_numbers),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": f"user{user_id}"},
            "from": self.user(user_id, lang),
            **content,
        }

    def push_text(self, user_id: int, text: str, *, lang: str = "zh") -> int:
        """Queue a text message (a command when it starts with ``/``)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push_update({"message": self._message(user_id, lang, **content)})

    def push_document(
        self, user_id: int, file_name: str, data: bytes, *, size: int | None = None, lang: str = "zh"
    ) -> int:
        """Queue a document message; ``size`` overrides the announced file size (a 20 MB upload)."""
        file_id = self.add_file(data)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": file_name,
            "file_size": len(data) if size is None else size,
        }
        return self.push_update({"message": self._message(user_id, lang, document=document)})

    def push_press(self, user_id: int, data: str, *, message_id: int = 1001, lang: str = "zh") -> str:
        """Queue a button press; returns the callback query id the answer will carry."""
        update_id = next(self._update_ids)
        query_id = f"cb-{update_id}"
        self.push_update(
            {
                "update_id": update_id,
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id, lang),
                    "chat_instance": f"ci-{user_id}",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private", "first_name": f"user{user_id}"},
                        "text": "earlier message",
                    },
                },
            }
        )
        return query_id

    # -- waiting for replies -------------------------------------------------------------------------------
    def _replies(self, start: int, chat: str, query_id: str | None) -> list[RecordedRequest]:
        with self._lock:
            recent = self._state.requests[start:]
        return [
            r
            for r in recent
            if r.method not in SILENT_METHODS
            and (
                r.params.get("chat_id") == chat
                or (query_id and r.params.get("callback_query_id") == query_id)
            )
        ]

    def wait_replies(
        self, start: int, user_id: int, *, count: int = 1, query_id: str | None = None, timeout: float = 30
    ) -> list[RecordedRequest]:
        """The bot's calls addressing ``user_id`` (or answering ``query_id``) since request ``start``, once
        there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = self._replies(start, str(user_id), query_id)
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {count} repl(ies) to {user_id}; got "
                        + repr([(r.method, r.params.get("text", "")[:80]) for r in found])
                    )
                self._arrived.wait(min(left, 0.5))

    def request_count(self) -> int:
        """How many requests arrived so far (the ``start`` of a later :meth:`wait_replies`)."""
        with self._lock:
            return len(self._state.requests)

    def ask(self, user_id: int, text: str, *, lang: str = "zh", count: int = 1) -> list[RecordedRequest]:
        """Send a message as ``user_id`` and return the bot's replies to it."""
        start = self.request_count()
        self.push_text(user_id, text, lang=lang)
        return self.wait_replies(start, user_id, count=count)

    def say(self, user_id: int, text: str, *, lang: str = "zh", count: int = 1) -> str:
        """The text of the last of ``count`` replies to a message."""
        return self.ask(user_id, text, lang=lang, count=count)[-1].params.get("text", "")

    def upload(
        self, user_id: int, file_name: str, data: bytes, *, size: int | None = None, count: int = 1
    ) -> list[RecordedRequest]:
        """Send a document and return the bot's replies."""
        start = self.request_count()
        self.push_document(user_id, file_name, data, size=size)
        return self.wait_replies(start, user_id, count=count)

    def press(
        self, user_id: int, data: str, *, message_id: int = 1001, count: int = 1
    ) -> list[RecordedRequest]:
        """Press a button as ``user_id``; returns the answer and any edits or replies (``count`` in all)."""
        start = self.request_count()
        query_id = self.push_press(user_id, data, message_id=message_id)
        return self.wait_replies(start, user_id, count=count, query_id=query_id)


# -- running it by hand --------------------------------------------------------------------------------------
DEFAULT_USER = 111222333
"""The Telegram user id a line without one is sent as (the README's example staff id)."""


def _serve_on(api: BotStandIn, host: str, port: int) -> None:
    # start() takes a free port, which a person cannot know in advance; here the port is chosen.
    server = _Server((host, port), _make_handler(api))
    server.daemon_threads = True
    api._server = server
    api._thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="botapi-standin", daemon=True
    )
    api._thread.start()


def _parse_line(line: str, default_user: int) -> tuple[int, str]:
    first, _, rest = line.strip().partition(" ")
    if first.isdigit() and rest.strip():
        return int(first), rest.strip()
    return default_user, line.strip()


def _replies_to(api: BotStandIn, user_id: int, text: str, wait: float) -> list[str]:
    start = api.request_count()
    api.push_text(user_id, text)
    try:
        api.wait_replies(start, user_id, timeout=wait)
    except AssertionError:
        return []
    # A command may answer with several messages: collect what arrives in the next half second.
    time.sleep(0.5)
    found = api.wait_replies(start, user_id, timeout=0)
    return [r.params.get("text") or r.params.get("caption") or f"({r.method})" for r in found]


def main(argv: list[str] | None = None) -> int:
    """Serve the stand-in on ``--port`` and relay stdin lines as user messages until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bot.standin",
        description="Bot API 替身，无需 Telegram 试用机器人 / A Bot API stand-in to try the bot without Telegram.",
    )
    parser.add_argument("--port", type=int, default=8081, help="监听端口 / port to listen on (default 8081)")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址 / address to listen on")
    parser.add_argument("--token", default="123456:TEST-token", help="机器人令牌 / the bot token to accept")
    parser.add_argument(
        "--user", type=int, default=DEFAULT_USER, help="无 id 的行以此用户发送 / user id of lines without one"
    )
    parser.add_argument(
        "--wait", type=float, default=15.0, help="等待回复的秒数 / seconds to wait for a reply"
    )
    args = parser.parse_args(argv)
    api = BotStandIn(args.token)
    try:
        _serve_on(api, args.host, args.port)
    except OSError as error:
        print(f"无法监听 cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    print(f"export ALERTBOT_TELEGRAM_TOKEN={args.token}", flush=True)
    print(f"export ALERTBOT_TELEGRAM_BASE_URL={api.base_url}", flush=True)
    print(
        f"然后运行 then run: alertbot bot — 输入 type '[USER_ID] TEXT' (默认用户 default user {args.user})",
        flush=True,
    )

    def relay() -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            user_id, text = _parse_line(line, args.user)
            replies = _replies_to(api, user_id, text, args.wait)
            if not replies:
                print(
                    f"[{user_id}] (无回复 no reply in {args.wait:g} s: is `alertbot bot` running?)",
                    flush=True,
                )
            for reply in replies:
                print(f"[{user_id}] {reply}", flush=True)

    # stdin in a thread: a signal then stops the stand-in even while a line is being read.
    threading.Thread(target=relay, name="standin-stdin", daemon=True).start()
    while not stopped.wait(0.2):
        pass
    api.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
