"""The contract between the alert lifecycle and the delivery channels.

The lifecycle code builds an :class:`AlertView` from database rows, renders it into a :class:`Message` with
:mod:`alertbot.notify.render`, and hands the message to a :class:`Channel`. Channels never touch the database;
they say how a send went by returning the provider's message id or raising one of the two delivery errors.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from alertbot.settings import Settings

RISK_LEVELS: tuple[str, ...] = ("high", "medium", "low")
ALERT_KINDS: tuple[str, ...] = ("trademark", "patent", "exhibitor")


@dataclass(frozen=True)
class AlertView:
    """Everything a message shows about one alert; built by the lifecycle code from DB rows."""

    alert_id: int
    risk: str  # high | medium | low
    enterprise_id: str
    enterprise_name_zh: str
    enterprise_name_en: str
    mark: str
    record_text: str | None
    applicant: str | None
    applicant_country: str | None
    kind: str  # trademark | patent | exhibitor
    source: str
    office: str | None
    show: str | None  # expo name, for exhibitors
    classes: tuple[int, ...]
    filing_date: date | None
    publication_date: date | None
    opposition_deadline: date | None
    days_left: int | None
    hall: str | None
    booth: str | None
    url: str | None
    reasons: tuple[str, ...]  # machine codes from alertbot.matching, e.g. "variant:pinyin"
    variant: str
    score: float
    status: str = "new"
    followup_event: str | None = None  # e.g. "published", "registered"


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message (the digest's XLSX workbook)."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Message:
    """A rendered message, ready for any channel.

    ``html`` is a full HTML document body for email; ``chat_html`` uses only the tags Telegram accepts;
    ``markdown`` suits the group robots (WeCom, DingTalk, Feishu). ``buttons`` asks chat channels to add
    the Confirm / Dismiss / Escalate actions, which only make sense for a message about exactly one alert.
    """

    subject: str
    text: str
    html: str
    alert_ids: tuple[int, ...]
    buttons: bool
    attachments: tuple[Attachment, ...] = ()
    lang: str = "zh"
    chat_html: str = ""
    markdown: str = ""


class DeliveryError(Exception):
    """Base class of the errors a channel raises when a send did not go through."""


class TransientDeliveryError(DeliveryError):
    """Retry later: rate limited (429), server error (5xx), timeout, connection refused.

    ``retry_after`` is the provider's requested wait in seconds when it gave one (Telegram's ``retry_after``);
    the dispatcher must not retry sooner (it caps absurd values, see ``alertbot.outbox.RetryPolicy``).
    ``flood`` marks a rate-limit wait (429, "too fast", our own limiter): the message was not refused, so
    the wait is not counted as an attempt.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, flood: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.flood = flood


class ConfigurationDeliveryError(DeliveryError):
    """The channel's configuration is wrong, not the delivery: missing or rejected token, wrong base URL,
    SMTP login refused, or a server policy refusing our mail (relaying denied).

    The dispatcher holds the rows (not failed, no attempt counted), tells staff once, and sends them when the
    configuration changes (or when a periodic re-check succeeds).
    """


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help (bad address, bot blocked, message refused).

    ``deactivate_target`` says the address itself is dead (Telegram 403: the user blocked the bot, or the bot
    was kicked from the group; SMTP 550 no such mailbox), so the subscriber's channel should be switched off.
    """

    def __init__(self, message: str, *, deactivate_target: bool = False) -> None:
        super().__init__(message)
        self.deactivate_target = deactivate_target


class UnknownTargetError(DeliveryError):
    """The provider says this address does not exist (SMTP 550 5.1.1 "user unknown").

    One answer is evidence, not proof: the dispatcher counts it as a strike against the address, retries the
    delivery like a transient failure, and switches the address off only after repeated strikes.
    """


class Channel(ABC):
    """One way of delivering messages. Instances are long-lived and safe to share between tasks."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Channel | None:
        """Build the channel from settings, or return ``None`` when it is not configured (then it is off)."""

    @abstractmethod
    async def send(self, target: str, message: Message) -> str:
        """Deliver ``message`` to ``target`` and return the provider's message id(s), comma-separated.

        Raises :class:`TransientDeliveryError` or :class:`PermanentDeliveryError` when the send failed.
        """

    def config_identity(self) -> tuple[object, ...]:
        """What identifies this channel's configuration (server, credentials); hashed, never stored."""
        return (self.name,)

    def config_fingerprint(self) -> str:
        """A short hash of :meth:`config_identity`: rows held for a configuration error wait until it changes."""
        return config_fingerprint(self.config_identity())

    async def aclose(self) -> None:  # noqa: B027 - channels without resources need no cleanup
        """Release connections; the channel must not be used afterwards."""


def config_fingerprint(identity: tuple[object, ...] | None) -> str:
    """``off`` for an unconfigured channel, else the first 32 hex digits of SHA-256 over ``identity``."""
    if identity is None:
        return "off"
    return hashlib.sha256(repr(identity).encode("utf-8")).hexdigest()[:32]
