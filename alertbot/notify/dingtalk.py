"""DingTalk (钉钉) custom robot: signed markdown messages posted to ``<base>?access_token=<token>``.

With a signing secret (安全设置 → 加签, "SEC..."), every request carries ``timestamp`` (ms) and ``sign`` =
base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")) as URL-encoded query parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from alertbot.notify.base import Message
from alertbot.notify.robot import RobotChannel

if TYPE_CHECKING:
    from alertbot.settings import Settings


def dingtalk_signature(timestamp_ms: int, secret: str) -> str:
    """DingTalk's ``sign`` value (before URL encoding) for a millisecond timestamp."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkChannel(RobotChannel):
    """DingTalk custom robot (ALERTBOT_DINGTALK_ACCESS_TOKEN, _SECRET); target = '' or an access token."""

    name: ClassVar[str] = "dingtalk"
    description: ClassVar[str] = (
        "DingTalk robot (ALERTBOT_DINGTALK_ACCESS_TOKEN, ALERTBOT_DINGTALK_SECRET); target = '' or token"
    )
    # DingTalk accepts markdown up to about 20,000 bytes; stay well below.
    max_part_bytes: ClassVar[int] = 18000
    # -1 system busy; 130101 send too fast (over 20/min); 410100 rate limited.
    transient_codes: ClassVar[frozenset[int]] = frozenset({-1, 130101, 410100})
    # 300001 invalid token; 300005 token does not exist; 400013 group dissolved; 400102 robot disabled.
    dead_target_codes: ClassVar[frozenset[int]] = frozenset({300001, 300005, 400013, 400102})
    # 310000: signature mismatch, keyword missing or IP not allowed (the robot's security settings).
    config_codes: ClassVar[frozenset[int]] = frozenset({310000})

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        secret: str | None = None,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        super().__init__(base_url, access_token, **options)
        self.secret = secret
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> DingTalkChannel | None:
        """Off until ``ALERTBOT_DINGTALK_ACCESS_TOKEN`` is set; signs when ``ALERTBOT_DINGTALK_SECRET`` is."""
        if settings.dingtalk_access_token is None or not settings.dingtalk_access_token.get_secret_value():
            return None
        secret = settings.dingtalk_secret.get_secret_value() if settings.dingtalk_secret else None
        return cls(
            settings.dingtalk_base_url,
            settings.dingtalk_access_token.get_secret_value(),
            secret=secret or None,
        )

    def webhook_url(self, key: str) -> str:
        """``.../robot/send?access_token=<token>``."""
        return f"{self.base_url}?{urlencode({'access_token': key})}"

    def query(self, key: str) -> dict[str, str]:
        """``timestamp`` and ``sign`` for this request, when a secret is configured."""
        if not self.secret:
            return {}
        timestamp_ms = int(self.clock() * 1000)
        return {"timestamp": str(timestamp_ms), "sign": dingtalk_signature(timestamp_ms, self.secret)}

    def payload(self, message: Message, part: str) -> dict[str, Any]:
        """A ``markdown`` message; the title is what the chat list and notifications show."""
        return {"msgtype": "markdown", "markdown": {"title": message.subject[:64], "text": part}}

    def check_reply(self, reply: Mapping[str, Any]) -> None:
        """DingTalk answers ``{"errcode": 0, "errmsg": "ok"}``; anything else is an error."""
        code = reply.get("errcode", 0)
        if code != 0:
            raise self.reply_error(int(code), str(reply.get("errmsg", "")))
