"""Shared machinery of the group-robot channels (WeCom, DingTalk, Feishu): one JSON POST per message part.

All three answer HTTP 200 with an error code in the JSON body when they refuse a message, so every reply is
checked, not just the status. Each robot accepts about 20 messages a minute; a sliding window per robot keeps
within that, and a wait longer than ``max_limiter_wait`` turns into a TransientDeliveryError with
``retry_after`` instead of blocking the dispatcher.

apprise's robots were not enough here: its WeCom bot sends text only, its Feishu bot cannot sign, and none of
them lets tests point the base URL at a loopback stand-in, so these channels call the webhooks with httpx.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from alertbot.notify.base import (
    Channel,
    ConfigurationDeliveryError,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from alertbot.notify.ratelimit import RateLimiter, RateLimitWait, SendSlot, SlidingWindow


def split_by_bytes(text: str, max_bytes: int) -> list[str]:
    """Split ``text`` into parts of at most ``max_bytes`` UTF-8 bytes, on line boundaries where possible."""
    text = text.strip()
    if len(text.encode("utf-8")) <= max_bytes:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if len((current + line).encode("utf-8")) <= max_bytes:
            current += line
            continue
        if current.strip():
            parts.append(current.strip())
        current = ""
        for character in line:
            if len((current + character).encode("utf-8")) > max_bytes:
                parts.append(current)
                current = ""
            current += character
    if current.strip():
        parts.append(current.strip())
    return parts


class RobotReplyError(Exception):
    """A robot's JSON reply carried an error code; ``transient`` says whether a retry can help."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class RobotChannel(Channel):
    """Base class: resolves the target to a webhook, splits, rate-limits, posts and checks the reply."""

    max_part_bytes: ClassVar[int] = 4000
    # Provider error codes that mean "slow down" or "busy": retry later.
    transient_codes: ClassVar[frozenset[int]] = frozenset()
    # Provider error codes that mean the robot/key no longer exists: switch the target off (for the configured
    # robot, target "", it is a configuration error instead: the rows wait for the fix).
    dead_target_codes: ClassVar[frozenset[int]] = frozenset()
    # Provider error codes that mean our configuration is wrong (signature, keyword, IP allow-list).
    config_codes: ClassVar[frozenset[int]] = frozenset()

    def __init__(
        self,
        base_url: str,
        default_key: str,
        *,
        timeout: float = 15.0,
        rate_limit: int = 20,
        rate_period: float = 60.0,
        max_limiter_wait: float = 30.0,
    ) -> None:
        """At most ``rate_limit`` messages per ``rate_period`` seconds per robot; ``default_key`` serves ``""``."""
        self.base_url = base_url.rstrip("/")
        self.default_key = default_key
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self.window = SlidingWindow(rate_limit, rate_period, margin=0.05)
        self.limiter = RateLimiter()
        self.max_limiter_wait = max_limiter_wait
        self._partial: OrderedDict[tuple[str, str], int] = OrderedDict()

    def config_identity(self) -> tuple[object, ...]:
        """The server, the configured robot's key and the signing secret."""
        return (self.name, self.base_url, self.default_key, getattr(self, "secret", None))

    def resolve(self, target: str) -> tuple[str, str]:
        """``(robot key, url)`` for ``target``: ``""`` = the configured robot, a key, or a full webhook URL.

        Full URLs must point at the configured server, so a bad target can never post alerts elsewhere.
        """
        text = target.strip()
        if not text:
            return self.default_key, self.webhook_url(self.default_key)
        if "://" in text:
            configured, given = urlsplit(self.base_url), urlsplit(text)
            if (given.scheme, given.netloc) != (configured.scheme, configured.netloc):
                raise PermanentDeliveryError(
                    f"{self.name} target {text!r} is not on the configured server {configured.netloc}"
                )
            return text, text
        return text, self.webhook_url(text)

    @abstractmethod
    def webhook_url(self, key: str) -> str:
        """The webhook URL for a robot key."""

    @abstractmethod
    def payload(self, message: Message, part: str) -> dict[str, Any]:
        """The JSON body for one part of ``message``."""

    @abstractmethod
    def check_reply(self, reply: Mapping[str, Any]) -> None:
        """Raise :class:`RobotReplyError` if the JSON reply reports an error."""

    def query(self, key: str) -> dict[str, str]:
        """Extra query parameters for one request (DingTalk's signature)."""
        return {}

    def parts(self, message: Message) -> list[str]:
        """The markdown parts ``message`` is sent as."""
        return split_by_bytes(message.markdown or message.text, self.max_part_bytes)

    async def send(self, target: str, message: Message) -> str:
        """Post every part to the robot; return ``<channel>:<content hash>`` (robots return no message id)."""
        key, url = self.resolve(target)
        parts = self.parts(message)
        if not parts:
            raise PermanentDeliveryError(f"{self.name}: the message is empty")
        fingerprint = hashlib.sha256("\x00".join([url, *parts]).encode("utf-8")).hexdigest()
        progress_key = (url, fingerprint)
        done = self._partial.pop(progress_key, 0)
        for index in range(done, len(parts)):
            try:
                # The post holds its place in the window until the robot answers, so jitter in flight can
                # never make two posts look closer together to the provider than the limit allows.
                with await self._hold(key):
                    await self._post(url, key, message, parts[index], deactivate=bool(target.strip()))
            except (TransientDeliveryError, PermanentDeliveryError, ConfigurationDeliveryError):
                if index:
                    self._partial[progress_key] = index
                    while len(self._partial) > 10_000:
                        self._partial.popitem(last=False)
                raise
        return f"{self.name}:{fingerprint[:16]}"

    async def _hold(self, key: str) -> SendSlot:
        try:
            return await self.limiter.hold([(self.window, key)], max_wait=self.max_limiter_wait)
        except RateLimitWait as wait:
            raise TransientDeliveryError(f"{self.name}: {wait}", retry_after=wait.wait, flood=True) from wait

    async def _post(self, url: str, key: str, message: Message, part: str, *, deactivate: bool) -> None:
        where = urlsplit(url).netloc
        try:
            # Merge rather than pass params=: httpx would drop the query already in the URL (key, access_token).
            request_url = httpx.URL(url).copy_merge_params(self.query(key))
            response = await self.client.post(request_url, json=self.payload(message, part))
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            raise ConfigurationDeliveryError(
                f"{self.name} robot URL is not usable (check the {self.name} base URL setting): {error}"
            ) from error
        except httpx.TransportError as error:
            raise TransientDeliveryError(f"{self.name} robot at {where} unreachable: {error!r}") from error
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = _retry_after_header(response)
            raise TransientDeliveryError(
                f"{self.name} robot at {where} answered HTTP {response.status_code}",
                retry_after=retry_after,
                flood=response.status_code == 429,
            )
        if response.status_code in (401, 403, 404) and not deactivate:
            # The configured robot's URL or key is wrong: not the message's fault; wait for the fix.
            raise ConfigurationDeliveryError(
                f"{self.name} robot at {where} answered HTTP {response.status_code} "
                f"(check the {self.name} key and base URL settings): {response.text[:200]}"
            )
        if response.status_code >= 400:
            raise PermanentDeliveryError(
                f"{self.name} robot at {where} answered HTTP {response.status_code}: {response.text[:200]}",
                deactivate_target=deactivate and response.status_code == 404,
            )
        try:
            reply = response.json()
        except ValueError as error:
            raise TransientDeliveryError(f"{self.name} robot at {where} sent a non-JSON reply") from error
        if not isinstance(reply, Mapping):
            raise TransientDeliveryError(f"{self.name} robot at {where} sent an unexpected reply: {reply!r}")
        try:
            self.check_reply(reply)
        except RobotReplyError as error:
            if error.transient:
                raise TransientDeliveryError(str(error), retry_after=error.retry_after, flood=True) from error
            if self._code(reply) in self.config_codes or (not deactivate and self._is_dead(reply)):
                raise ConfigurationDeliveryError(
                    f"{error} (check the {self.name} key, secret and base URL settings)"
                ) from error
            raise PermanentDeliveryError(
                str(error), deactivate_target=deactivate and self._is_dead(reply)
            ) from error

    def _is_dead(self, reply: Mapping[str, Any]) -> bool:
        return self._code(reply) in self.dead_target_codes

    @staticmethod
    def _code(reply: Mapping[str, Any]) -> object:
        return next(
            (
                reply[field]
                for field in ("errcode", "code", "StatusCode")
                if reply.get(field) not in (None, 0)
            ),
            0,
        )

    def reply_error(self, code: int, text: str) -> RobotReplyError:
        """The error for a non-zero provider code; rate-limit codes are transient with a one-minute wait."""
        if code in self.transient_codes:
            return RobotReplyError(f"{self.name} robot busy or rate-limited: {code} {text}", transient=True,
                                   retry_after=60.0)  # fmt: skip
        return RobotReplyError(f"{self.name} robot refused the message: {code} {text}", transient=False)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self.client.aclose()


def _retry_after_header(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
