"""Typed settings, read only from the environment (``ALERTBOT_*``) or a ``.env`` file.

Secrets (SMTP password, bot token, webhook keys, API keys) come only from here, never from files in the
repository or from the database.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every key has a default, so the demo runs with nothing configured."""

    model_config = SettingsConfigDict(env_prefix="ALERTBOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".alertbot"), description="Where the SQLite file and crawl state live."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/alertbot.sqlite. "
        "Use postgresql+psycopg://user@host/db for multi-process deployments.",
    )
    outbox_dir: Path = Field(default=Path("outbox"), description="Where the file channel writes .eml files.")
    language: Literal["zh", "en"] = Field(default="zh", description="Default language for messages.")
    timezone: str = Field(default="Asia/Shanghai", description="Time zone for digests and schedules.")

    smtp_host: str | None = Field(default=None, description="SMTP server; email is off until set.")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "alertbot@localhost"
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout: float = 30.0

    telegram_token: SecretStr | None = Field(
        default=None, description="Bot token; Telegram is off until set."
    )
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base URL, for a self-hosted Bot API server or a stand-in in tests.",
    )

    wecom_webhook_key: SecretStr | None = Field(default=None, description="WeCom group robot key.")
    wecom_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    dingtalk_access_token: SecretStr | None = Field(default=None, description="DingTalk robot access token.")
    dingtalk_secret: SecretStr | None = Field(
        default=None, description="DingTalk robot signing secret (SEC...)."
    )
    dingtalk_base_url: str = "https://oapi.dingtalk.com/robot/send"
    feishu_webhook_token: SecretStr | None = Field(default=None, description="Feishu custom bot hook token.")
    feishu_secret: SecretStr | None = Field(default=None, description="Feishu custom bot signing secret.")
    feishu_base_url: str = "https://open.feishu.cn/open-apis/bot/v2/hook"
    apprise_urls: SecretStr | None = Field(
        default=None, description="Apprise URLs as NAME=URL, whitespace separated (Slack, Teams, ntfy …)."
    )

    uspto_api_key: SecretStr | None = Field(
        default=None, description="USPTO Open Data Portal key (x-api-key)."
    )
    epo_ops_key: SecretStr | None = Field(default=None, description="EPO OPS consumer key.")
    epo_ops_secret: SecretStr | None = Field(default=None, description="EPO OPS consumer secret.")
    kipris_api_key: SecretStr | None = Field(default=None, description="KIPRIS Plus service key.")

    retro_match_days: int = Field(default=90, description="How far back a new watch entry is matched.")
    delivery_max_attempts: int = Field(default=8, description="Attempts before a delivery is marked failed.")
    invite_ttl_hours: float = Field(default=72, description="How long a bot invite code stays valid.")

    # The always-on service (issue 13, docs/service.md).
    crawl_timeout: float = Field(default=3 * 3600.0, description="Seconds before a crawl process is killed.")
    crawl_concurrency: int = Field(default=2, description="Crawl processes (or Scrapyd jobs) at once.")
    crawl_backend: Literal["subprocess", "scrapyd"] = Field(
        default="subprocess", description="Where crawls run: local subprocesses or Scrapyd nodes."
    )
    scrapyd_urls: str = Field(default="", description="Comma-separated Scrapyd node URLs.")
    scrapyd_project: str = Field(default="alertbot", description="The project name deployed on Scrapyd.")
    misfire_grace_time: int = Field(
        default=3600, description="Seconds a scheduled job may start late (APScheduler's default is 1)."
    )
    reconcile_interval: float = Field(
        default=30.0, description="Seconds between re-reading source schedules changed by other processes."
    )
    leader_retry: float = Field(default=5.0, description="Seconds between a standby's leadership attempts.")
    monthly_report_cron: str = Field(default="0 9 1 * *", description="When the monthly report is queued.")
    log_format: Literal["text", "json"] = Field(default="text", description="Log lines as text or JSON.")
    metrics_port: int | None = Field(default=None, description="Prometheus endpoint port; off when unset.")
    metrics_host: str = Field(default="127.0.0.1", description="Address the Prometheus endpoint binds.")
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL for Telegram webhooks; polling when unset."
    )
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret token Telegram sends with each webhook POST; a random one per start when unset.",
    )

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'alertbot.sqlite').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process, read once."""
    return Settings()
