"""The one channel registry, and that every channel is off until configured (except the file channel)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from alertbot.notify import CHANNELS, Channel, configured_channels
from alertbot.settings import Settings


def test_registry_names_match_the_classes() -> None:
    assert list(CHANNELS) == ["telegram", "email", "wecom", "dingtalk", "feishu", "file", "apprise"]
    for name, channel_class in CHANNELS.items():
        assert issubclass(channel_class, Channel)
        assert channel_class.name == name
        assert channel_class.description
        assert channel_class.__doc__


async def test_only_the_file_channel_is_on_by_default(tmp_path: Path) -> None:
    channels = configured_channels(Settings(_env_file=None, outbox_dir=tmp_path))
    assert list(channels) == ["file"]


async def test_configured_channels_builds_each_configured_one(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        outbox_dir=tmp_path,
        telegram_token=SecretStr("1:x"),
        smtp_host="mail.example",
        wecom_webhook_key=SecretStr("k"),
    )
    channels = configured_channels(settings)
    try:
        assert sorted(channels) == ["email", "file", "telegram", "wecom"]
        assert all(type(channel) is CHANNELS[name] for name, channel in channels.items())
    finally:
        for channel in channels.values():
            await channel.aclose()
