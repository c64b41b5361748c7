"""Feishu / Lark (飞书) custom bot: interactive cards with markdown, posted to ``<base>/<hook token>``.

With a signing secret (签名校验), the body carries ``timestamp`` (seconds) and ``sign`` =
base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) — note the key/message order differs from DingTalk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from pydantic import SecretStr

from alertbot.notify.base import Message
from alertbot.notify.robot import RobotChannel

if TYPE_CHECKING:
    from alertbot.settings import Settings


def feishu_signature(timestamp_s: int, secret: str) -> str:
    """Feishu's ``sign`` value for a timestamp in seconds."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuChannel(RobotChannel):
    """Feishu custom bot (ALERTBOT_FEISHU_WEBHOOK_TOKEN); target = '' or a hook token."""

    name: ClassVar[str] = "feishu"
    description: ClassVar[str] = (
        "Feishu/Lark custom bot (ALERTBOT_FEISHU_WEBHOOK_TOKEN); target = '' or hook token"
    )
    # Card requests are limited to about 30 KB.
    max_part_bytes: ClassVar[int] = 20000
    # 9499 / 11232: too many requests.
    transient_codes: ClassVar[frozenset[int]] = frozenset({9499, 11232})
    # 19002 / 19003: the bot or hook no longer exists.
    dead_target_codes: ClassVar[frozenset[int]] = frozenset({19002, 19003})
    # 19021 signature mismatch, 19022 IP not allowed, 19024 keyword missing (the bot's security settings).
    config_codes: ClassVar[frozenset[int]] = frozenset({19021, 19022, 19024})

    def __init__(
        self,
        base_url: str,
        hook_token: str,
        *,
        secret: str | None = None,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        super().__init__(base_url, hook_token, **options)
        self.secret = secret
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> FeishuChannel | None:
        """Off until ``ALERTBOT_FEISHU_WEBHOOK_TOKEN`` is set; signs when ``ALERTBOT_FEISHU_SECRET`` is set."""
        if settings.feishu_webhook_token is None or not settings.feishu_webhook_token.get_secret_value():
            return None
        # ALERTBOT_FEISHU_SECRET is read when the settings define it (requested from the lead).
        secret: object = getattr(settings, "feishu_secret", None)
        secret_text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if secret_text is not None and not isinstance(secret_text, str):
            secret_text = None
        return cls(
            settings.feishu_base_url,
            settings.feishu_webhook_token.get_secret_value(),
            secret=secret_text or None,
        )

    def webhook_url(self, key: str) -> str:
        """``.../bot/v2/hook/<token>``."""
        return f"{self.base_url}/{quote(key, safe='')}"

    def payload(self, message: Message, part: str) -> dict[str, Any]:
        """An interactive card: the subject as header, the markdown body as one element."""
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": message.subject}, "template": "orange"},
                "elements": [{"tag": "markdown", "content": part}],
            },
        }
        if self.secret:
            timestamp_s = int(self.clock())
            body["timestamp"] = str(timestamp_s)
            body["sign"] = feishu_signature(timestamp_s, self.secret)
        return body

    def check_reply(self, reply: Mapping[str, Any]) -> None:
        """Feishu answers ``{"code": 0, "msg": "success"}`` (older hooks: ``StatusCode``)."""
        code = reply.get("code", reply.get("StatusCode", 0))
        if code != 0:
            raise self.reply_error(int(code), str(reply.get("msg", reply.get("StatusMessage", ""))))
