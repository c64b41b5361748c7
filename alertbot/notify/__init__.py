"""Delivery channels: one module per channel, all listed in the one registry :data:`CHANNELS`.

A channel is off until configured: ``CHANNELS[name].from_settings(settings)`` returns ``None`` then. The file
channel is always on (it is the demo's channel). Render messages with :mod:`alertbot.notify.render`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alertbot.notify.apprise import AppriseChannel
from alertbot.notify.base import (
    AlertView,
    Attachment,
    Channel,
    DeliveryError,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from alertbot.notify.dingtalk import DingTalkChannel
from alertbot.notify.email import EmailChannel
from alertbot.notify.feishu import FeishuChannel
from alertbot.notify.file import FileChannel
from alertbot.notify.render import render_alert, render_digest, render_notice
from alertbot.notify.telegram import TelegramChannel
from alertbot.notify.wecom import WeComChannel

if TYPE_CHECKING:
    from alertbot.settings import Settings

CHANNELS: dict[str, type[Channel]] = {
    TelegramChannel.name: TelegramChannel,
    EmailChannel.name: EmailChannel,
    WeComChannel.name: WeComChannel,
    DingTalkChannel.name: DingTalkChannel,
    FeishuChannel.name: FeishuChannel,
    FileChannel.name: FileChannel,
    AppriseChannel.name: AppriseChannel,
}


def configured_channels(settings: Settings) -> dict[str, Channel]:
    """An instance of every configured channel, by name; call ``aclose()`` on each when done."""
    channels: dict[str, Channel] = {}
    for name, channel_class in CHANNELS.items():
        channel = channel_class.from_settings(settings)
        if channel is not None:
            channels[name] = channel
    return channels


__all__ = [
    "CHANNELS",
    "AlertView",
    "Attachment",
    "Channel",
    "DeliveryError",
    "Message",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "configured_channels",
    "render_alert",
    "render_digest",
    "render_notice",
]
