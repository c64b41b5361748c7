"""The Bot API stand-in, extended for whole conversations: it queues messages, documents (served through
``getFile`` and the file download URL) and button presses for ``getUpdates``, and waits for the bot's
replies to each one, so a test (or the benchmark) drives a real ``alertbot bot`` process like users would.

Usage::

    with BotStandIn() as api:
        replies = api.ask(501, "/whoami")          # waits for one reply to chat 501
        assert "staff" in replies[0].params["text"]
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.notify.botapi_standin import BotApiStandIn, RecordedRequest, _decode_body

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
