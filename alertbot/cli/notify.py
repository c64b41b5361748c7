"""``alertbot notify``: list the delivery channels and send test messages through them.

One function per command; ``alertbot notify dispatch`` (draining the outbox) lands here with the alert lifecycle.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import typer
from rich.table import Table

from alertbot.cli._common import console, err_console
from alertbot.notify import CHANNELS, AlertView, Channel, Message, render_alert, render_digest, render_notice
from alertbot.notify.base import (
    ConfigurationDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from alertbot.notify.render import LOCAL_TIMEZONE, translate
from alertbot.settings import get_settings

app = typer.Typer(
    no_args_is_help=True,
    help="投递发件箱，按渠道发送测试消息 / Deliver the outbox, and send test messages per channel.",
)


def sample_alert_view(alert_id: int = 0) -> AlertView:
    """A synthetic, clearly labelled alert with every field filled in, for test messages."""
    today = datetime.now(tz=LOCAL_TIMEZONE).date()
    return AlertView(
        alert_id=alert_id,
        risk="high",
        enterprise_id="TEST-0001",
        enterprise_name_zh="测试企业（沈阳）有限公司",
        enterprise_name_en="Test Enterprise (Shenyang) Co., Ltd.",
        mark="TESTMARK",
        record_text="TESTMARK — test message from alertbot, not a real filing",
        applicant="Example Trading LLC",
        applicant_country="US",
        kind="trademark",
        source="test",
        office="USPTO",
        show=None,
        classes=(7, 9),
        filing_date=today - timedelta(days=60),
        publication_date=today - timedelta(days=3),
        opposition_deadline=today + timedelta(days=27),
        days_left=27,
        hall="N3",
        booth="N3-101",
        url="https://example.org/alertbot-test-record",
        reasons=("variant:pinyin", "class_overlap"),
        variant="testmark",
        score=0.93,
    )


def _test_message(kind: str, lang: str) -> Message:
    if kind == "alert":
        return render_alert(sample_alert_view(), lang)
    if kind == "digest":
        return render_digest([sample_alert_view(0), sample_alert_view(1)], lang)
    return render_notice(translate("test.subject", lang), translate("test.body", lang), lang)


async def _send_once(channel: Channel, target: str, message: Message) -> str:
    try:
        return await channel.send(target, message)
    finally:
        await channel.aclose()


@app.command("channels")
def channels() -> None:
    """列出所有渠道及是否已配置（未配置的渠道关闭） / List every channel and whether it is configured (channels
    are off until configured)."""
    settings = get_settings()
    table = Table("channel", "configured", "how to configure / target")
    for name, channel_class in CHANNELS.items():
        channel = channel_class.from_settings(settings)
        configured = channel is not None
        if channel is not None:
            asyncio.run(channel.aclose())
        table.add_row(
            name, "[green]yes[/green]" if configured else "[dim]no[/dim]", channel_class.description
        )
    console.print(table)


@app.command("test")
def send_test(
    channel_name: str = typer.Argument(
        ..., metavar="CHANNEL", help=f"渠道，取其一 / One of: {', '.join(CHANNELS)}."
    ),
    to: str = typer.Option(
        "",
        "--to",
        help="收件目标：会话 id、邮箱地址、机器人密钥（'' 为已配置的机器人） / Target: chat id, email address, robot "
        "key ('' = the configured robot).",
    ),
    lang: str = typer.Option("zh", "--lang", help="消息语言：zh 或 en / Message language: zh or en."),
    kind: str = typer.Option(
        "alert",
        "--kind",
        help="发送内容：alert 预警（带按钮）、digest 摘要或 notice 通知 / What to send: alert (with buttons), "
        "digest, or notice.",
    ),
) -> None:
    """通过真实渠道发送一条测试消息，并显示服务商的答复 / Send a synthetic test message through the real channel
    and print what the provider answered."""
    if channel_name not in CHANNELS:
        err_console.print(
            f"[red]Unknown channel {channel_name!r}[/red]; choose one of: {', '.join(CHANNELS)}"
        )
        raise typer.Exit(code=2)
    if lang not in ("zh", "en"):
        err_console.print(f"[red]Unknown language {lang!r}[/red]; use zh or en")
        raise typer.Exit(code=2)
    if kind not in ("alert", "digest", "notice"):
        err_console.print(f"[red]Unknown --kind {kind!r}[/red]; use alert, digest or notice")
        raise typer.Exit(code=2)
    channel = CHANNELS[channel_name].from_settings(get_settings())
    if channel is None:
        err_console.print(
            f"[yellow]Channel {channel_name} is not configured[/yellow]: {CHANNELS[channel_name].description}. "
            "See docs/channels.md."
        )
        raise typer.Exit(code=2)
    message = _test_message(kind, lang)
    try:
        provider_id = asyncio.run(_send_once(channel, to, message))
    except TransientDeliveryError as error:
        retry = f" (retry after {error.retry_after:g} s)" if error.retry_after is not None else ""
        err_console.print(f"[red]Temporary failure{retry}:[/red] {_shown(error)}")
        raise typer.Exit(code=1) from error
    except PermanentDeliveryError as error:
        dead = " The target should be switched off." if error.deactivate_target else ""
        err_console.print(f"[red]Refused:[/red] {_shown(error)}.{dead}")
        raise typer.Exit(code=1) from error
    except ConfigurationDeliveryError as error:
        err_console.print(f"[red]Configuration error (fix the settings):[/red] {_shown(error)}")
        raise typer.Exit(code=1) from error
    except DeliveryError as error:
        err_console.print(f"[red]Failed:[/red] {_shown(error)}")
        raise typer.Exit(code=1) from error
    console.print(
        f"[green]Sent[/green] {kind} via {channel_name} to {to or '(configured default)'}: {provider_id}"
    )


@app.command("dispatch")
def dispatch(
    loop: bool = typer.Option(
        False,
        "--loop",
        help="持续运行（直到 Ctrl-C/SIGTERM），而非清空一次 / Keep running (until Ctrl-C/SIGTERM) instead of draining once.",
    ),
    limit: int = typer.Option(100, "--limit", min=1, help="每轮租用的投递数 / Deliveries leased per pass."),
    concurrency: int = typer.Option(
        16, "--concurrency", min=1, help="同时发送中的消息数 / Messages in flight at once."
    ),
    lease: float = typer.Option(
        300.0,
        "--lease",
        min=0.1,
        help="进程意外退出时，租用的行保留的秒数 / Seconds a leased row stays ours if we die.",
    ),
    interval: float = typer.Option(
        2.0, "--interval", min=0.01, help="无待发时休眠的秒数 / Seconds to sleep when nothing is due."
    ),
) -> None:
    """发送到期的发件箱投递（直到没有到期的，或用 --loop 一直运行），并显示计数 / Send due outbox deliveries
    (until none is due, or forever with --loop) and print the counts."""
    from alertbot.outbox import dispatch_until_idle_or_stopped

    stats = asyncio.run(
        dispatch_until_idle_or_stopped(
            get_settings(),
            loop=loop,
            limit=limit,
            concurrency=concurrency,
            lease_seconds=lease,
            interval=interval,
        )
    )
    console.print(" ".join(f"{name}={count}" for name, count in stats.as_dict().items()))


def _shown(error: Exception) -> str:
    # A provider's error can quote the token ("The token `…` was rejected") or crawled text with markup.
    from rich.markup import escape

    from alertbot.redact import redact

    return escape(redact(error))
