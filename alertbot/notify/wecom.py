"""WeCom (企业微信) group robot: markdown messages posted to ``<base>?key=<robot key>``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from alertbot.notify.base import Message
from alertbot.notify.robot import RobotChannel

if TYPE_CHECKING:
    from alertbot.settings import Settings


class WeComChannel(RobotChannel):
    """WeCom group robot (ALERTBOT_WECOM_WEBHOOK_KEY); target = '' (configured robot), a key, or webhook URL."""

    name: ClassVar[str] = "wecom"
    description: ClassVar[str] = "WeCom group robot (ALERTBOT_WECOM_WEBHOOK_KEY); target = '' or robot key"
    # WeCom limits markdown content to 4,096 bytes.
    max_part_bytes: ClassVar[int] = 4000
    # -1 system busy; 45009 api freq out of limit; 45033 too many concurrent calls.
    transient_codes: ClassVar[frozenset[int]] = frozenset({-1, 45009, 45033})
    # 93000 invalid webhook url (key removed); 93004 robot disabled.
    dead_target_codes: ClassVar[frozenset[int]] = frozenset({93000, 93004})

    @classmethod
    def from_settings(cls, settings: Settings) -> WeComChannel | None:
        """Off until ``ALERTBOT_WECOM_WEBHOOK_KEY`` is set; ``ALERTBOT_WECOM_BASE_URL`` picks the server."""
        if settings.wecom_webhook_key is None or not settings.wecom_webhook_key.get_secret_value():
            return None
        return cls(settings.wecom_base_url, settings.wecom_webhook_key.get_secret_value())

    def webhook_url(self, key: str) -> str:
        """``.../cgi-bin/webhook/send?key=<key>``."""
        return f"{self.base_url}?{urlencode({'key': key})}"

    def payload(self, message: Message, part: str) -> dict[str, Any]:
        """A ``markdown`` message (apprise's WeCom bot can only send text)."""
        return {"msgtype": "markdown", "markdown": {"content": part}}

    def check_reply(self, reply: Mapping[str, Any]) -> None:
        """WeCom answers ``{"errcode": 0, "errmsg": "ok"}``; anything else is an error."""
        code = reply.get("errcode", 0)
        if code != 0:
            raise self.reply_error(int(code), str(reply.get("errmsg", "")))
