"""Apprise: one channel for the many services centres already use (Slack, Microsoft Teams, Matrix, ntfy,
Mattermost, Discord, a plain JSON webhook …), each given as an Apprise URL.

The URLs carry the services' secrets, so they come only from the environment:
``ALERTBOT_APPRISE_URLS="ops=slack://T000/B000/XXXX  floor=ntfy://ntfy.example.org/alerts"`` – whitespace
separated, each ``NAME=URL`` (a bare URL is named ``default``). A subscriber's ``apprise`` target is one of
those names (``alertbot users … --channel apprise=ops``), never a URL, so no secret is stored in the database.

Apprise reports only success or failure: a failed send is retried by the outbox (transient); a target name
that is not configured is a permanent error. Apprise URL reference: https://github.com/caronc/apprise/wiki
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from alertbot.notify.base import Channel, Message, PermanentDeliveryError, TransientDeliveryError

if TYPE_CHECKING:
    from alertbot.settings import Settings

DEFAULT_NAME = "default"


def parse_urls(value: str) -> dict[str, str]:
    """``NAME=URL`` entries (whitespace separated) → {name: url}; a bare URL is ``default``."""
    targets: dict[str, str] = {}
    for entry in value.split():
        name, sep, url = entry.partition("=")
        # An Apprise URL has "://" before any "=" of its query; then the entry has no name.
        if not sep or "://" in name:
            name, url = DEFAULT_NAME, entry
        if not name or not url:
            raise ValueError(f"ALERTBOT_APPRISE_URLS: entry {entry[:20]!r}…: expected NAME=URL")
        targets[name] = url
    return targets


def _apprise_module() -> Any:
    with warnings.catch_warnings():
        # Apprise's e-mail plugin imports the stdlib imghdr (deprecated in 3.11) when its plugins load; that
        # is the library's business and must not fail a delivery under warnings-as-errors.
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise

        return apprise


class AppriseChannel(Channel):
    """Sends the plain-text message (title = subject) to the configured Apprise URL named by the target."""

    name: ClassVar[str] = "apprise"
    description: ClassVar[str] = "Slack, Teams, Matrix, ntfy … through Apprise URLs (ALERTBOT_APPRISE_URLS)"

    def __init__(self, targets: dict[str, str]) -> None:
        self.targets = dict(targets)
        apprise = _apprise_module()
        self._apprise = apprise
        self._client = apprise.Apprise()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for name, url in self.targets.items():
                if not self._client.add(url, tag=name):
                    # The URL itself is secret: name the entry, not the URL.
                    raise ValueError(f"ALERTBOT_APPRISE_URLS: {name!r} is not a URL Apprise understands")

    @classmethod
    def from_settings(cls, settings: Settings) -> AppriseChannel | None:
        """Off until ``ALERTBOT_APPRISE_URLS`` is set."""
        secret = getattr(settings, "apprise_urls", None)
        value = secret.get_secret_value() if secret is not None else ""
        if not value.strip():
            return None
        return cls(parse_urls(value))

    def config_identity(self) -> tuple[object, ...]:
        """The configured URLs (hashed by the caller, never stored)."""
        return (self.name, tuple(sorted(self.targets.items())))

    async def send(self, target: str, message: Message) -> str:
        """Notify the Apprise URL named ``target``."""
        name = target.strip() or DEFAULT_NAME
        if name not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none"
            raise PermanentDeliveryError(f"apprise target {name!r} is not configured (known: {known})")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sent = await self._client.async_notify(
                body=message.text,
                title=message.subject,
                tag=name,
                body_format=self._apprise.NotifyFormat.TEXT,
            )
        if not sent:
            raise TransientDeliveryError(f"apprise target {name!r}: the service did not accept the message")
        return f"apprise:{name}"
