"""The group-robot channels (WeCom, DingTalk, Feishu) against a webhook stand-in on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator, Callable

import pytest
from pydantic import SecretStr

from alertbot.notify.base import (
    AlertView,
    ConfigurationDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from alertbot.notify.dingtalk import DingTalkChannel, dingtalk_signature
from alertbot.notify.feishu import FeishuChannel, feishu_signature
from alertbot.notify.render import render_alert, render_digest, render_notice
from alertbot.notify.robot import split_by_bytes
from alertbot.notify.wecom import WeComChannel
from alertbot.settings import Settings
from tests.notify.conftest import free_port
from tests.notify.webhook_standin import WebhookStandIn

DINGTALK_SECRET = "SECa1b2c3d4e5f6"


@pytest.fixture
async def wecom(webhook: WebhookStandIn) -> AsyncIterator[WeComChannel]:
    channel = WeComChannel(f"{webhook.url}/cgi-bin/webhook/send", "wecom-key-1")
    yield channel
    await channel.aclose()


@pytest.fixture
async def dingtalk(webhook: WebhookStandIn) -> AsyncIterator[DingTalkChannel]:
    channel = DingTalkChannel(f"{webhook.url}/robot/send", "ding-token-1", secret=DINGTALK_SECRET)
    yield channel
    await channel.aclose()


async def test_wecom_posts_markdown_with_the_key(
    wecom: WeComChannel, webhook: WebhookStandIn, alert_view: Callable[..., AlertView]
) -> None:
    message = render_alert(alert_view(), "zh")
    provider_id = await wecom.send("", message)
    (call,) = webhook.calls
    assert call.path == "/cgi-bin/webhook/send"
    assert call.param("key") == "wecom-key-1"
    assert call.body == {"msgtype": "markdown", "markdown": {"content": message.markdown.strip()}}
    assert "**申请人**：Gulf Trading FZE" in call.body["markdown"]["content"]
    assert provider_id.startswith("wecom:")

    await wecom.send("other-group-key", message)
    assert webhook.calls[1].param("key") == "other-group-key"


async def test_wecom_errcodes(wecom: WeComChannel, webhook: WebhookStandIn) -> None:
    webhook.reply_next({"errcode": 45009, "errmsg": "api freq out of limit"})
    with pytest.raises(TransientDeliveryError, match="45009") as busy:
        await wecom.send("", render_notice("a", "b"))
    assert busy.value.retry_after == 60.0
    webhook.reply_next({"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(PermanentDeliveryError, match="93000") as dead:
        await wecom.send("removed-key", render_notice("a", "b"))
    assert dead.value.deactivate_target is True
    webhook.reply_next({"errcode": 40008, "errmsg": "invalid message type"})
    with pytest.raises(PermanentDeliveryError, match="40008") as refused:
        await wecom.send("", render_notice("a", "b"))
    assert refused.value.deactivate_target is False


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_http_errors_are_transient(wecom: WeComChannel, webhook: WebhookStandIn, status: int) -> None:
    webhook.reply_next({"error": "busy"}, status=status)
    with pytest.raises(TransientDeliveryError, match=str(status)):
        await wecom.send("", render_notice("a", "b"))


async def test_non_json_reply_is_transient(wecom: WeComChannel, webhook: WebhookStandIn) -> None:
    webhook.reply_next(b"<html>gateway</html>")
    with pytest.raises(TransientDeliveryError, match="non-JSON"):
        await wecom.send("", render_notice("a", "b"))


async def test_a_long_wecom_message_is_split_under_4096_bytes(
    wecom: WeComChannel, webhook: WebhookStandIn, alert_view: Callable[..., AlertView]
) -> None:
    message = render_digest([alert_view(alert_id=index) for index in range(30)], "zh")
    await wecom.send("", message)
    contents = [call.body["markdown"]["content"] for call in webhook.calls]
    assert len(contents) > 1
    assert all(len(content.encode()) <= 4096 for content in contents)
    assert sum(content.count("(#") for content in contents) == 30


async def test_targets_must_stay_on_the_configured_server(
    wecom: WeComChannel, webhook: WebhookStandIn
) -> None:
    with pytest.raises(PermanentDeliveryError, match="not on the configured server"):
        await wecom.send("https://evil.example/cgi-bin/webhook/send?key=x", render_notice("a", "b"))
    await wecom.send(f"{webhook.url}/cgi-bin/webhook/send?key=full-url-key", render_notice("a", "b"))
    assert webhook.calls[-1].param("key") == "full-url-key"


async def test_unreachable_robot_is_transient() -> None:
    channel = WeComChannel(f"http://127.0.0.1:{free_port()}/send", "k", timeout=2)
    try:
        with pytest.raises(TransientDeliveryError, match="unreachable"):
            await channel.send("", render_notice("a", "b"))
    finally:
        await channel.aclose()


async def test_dingtalk_signs_each_request(
    dingtalk: DingTalkChannel, webhook: WebhookStandIn, alert_view: Callable[..., AlertView]
) -> None:
    message = render_alert(alert_view(), "en")
    before = int(time.time() * 1000)
    await dingtalk.send("", message)
    (call,) = webhook.calls
    assert call.path == "/robot/send"
    assert call.param("access_token") == "ding-token-1"
    timestamp = int(call.param("timestamp"))
    assert before <= timestamp <= int(time.time() * 1000)
    # Recompute DingTalk's signature independently from the received timestamp.
    expected = base64.b64encode(
        hmac.new(
            DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert call.param("sign") == expected
    assert "%2B" in call.raw_query or "%2F" in call.raw_query or "%3D" in call.raw_query  # URL-encoded base64
    assert call.body == {
        "msgtype": "markdown",
        "markdown": {"title": message.subject[:64], "text": message.markdown.strip()},
    }


def test_dingtalk_signature_matches_the_documented_example() -> None:
    # Same computation as DingTalk's own Python sample (hmac over "timestamp\nsecret" keyed by the secret).
    assert (
        dingtalk_signature(1700000000000, "SECxyz")
        == base64.b64encode(hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()).decode()
    )


async def test_dingtalk_without_secret_sends_no_signature(webhook: WebhookStandIn) -> None:
    channel = DingTalkChannel(f"{webhook.url}/robot/send", "ding-token-2")
    try:
        await channel.send("", render_notice("a", "b"))
    finally:
        await channel.aclose()
    assert set(webhook.calls[0].query) == {"access_token"}


async def test_dingtalk_errcodes(dingtalk: DingTalkChannel, webhook: WebhookStandIn) -> None:
    webhook.reply_next({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
    with pytest.raises(TransientDeliveryError, match="130101") as too_fast:
        await dingtalk.send("", render_notice("a", "b"))
    assert too_fast.value.retry_after == 60.0
    webhook.reply_next({"errcode": 310000, "errmsg": "sign not match"})
    with pytest.raises(ConfigurationDeliveryError, match="310000"):
        await dingtalk.send("", render_notice("a", "b"))
    webhook.reply_next({"errcode": 300005, "errmsg": "token is not exist"})
    with pytest.raises(PermanentDeliveryError) as dead:
        await dingtalk.send("old-token", render_notice("a", "b"))
    assert dead.value.deactivate_target is True


async def test_robot_rate_limit_becomes_transient_when_the_wait_is_long(webhook: WebhookStandIn) -> None:
    channel = WeComChannel(f"{webhook.url}/send", "k", rate_limit=2, rate_period=0.4, max_limiter_wait=0.1)
    try:
        await channel.send("", render_notice("1", "a"))
        await channel.send("", render_notice("2", "b"))
        with pytest.raises(TransientDeliveryError) as caught:
            await channel.send("", render_notice("3", "c"))
        assert caught.value.retry_after is not None
        assert 0.2 < caught.value.retry_after <= 0.5
        await channel.send("other-key", render_notice("4", "d"))  # another robot has its own window
    finally:
        await channel.aclose()
    assert [call.param("key") for call in webhook.calls] == ["k", "k", "other-key"]


async def test_robot_rate_limit_waits_when_the_wait_is_short(webhook: WebhookStandIn) -> None:
    channel = WeComChannel(f"{webhook.url}/send", "k", rate_limit=2, rate_period=0.3, max_limiter_wait=5)
    try:
        for index in range(5):
            await channel.send("", render_notice(str(index), "x"))
    finally:
        await channel.aclose()
    times = [call.received_at for call in webhook.calls]
    assert len(times) == 5
    assert times[2] - times[0] >= 0.3
    assert times[4] - times[2] >= 0.3


async def test_feishu_posts_a_signed_card(
    webhook: WebhookStandIn, alert_view: Callable[..., AlertView]
) -> None:
    webhook.ok_reply = {"code": 0, "msg": "success", "data": {}}
    channel = FeishuChannel(f"{webhook.url}/open-apis/bot/v2/hook", "hook-token-1", secret="feishu-secret")
    message = render_alert(alert_view(), "zh")
    try:
        await channel.send("", message)
        webhook.reply_next({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
        with pytest.raises(ConfigurationDeliveryError, match="19021"):
            await channel.send("", message)
        webhook.reply_next({"code": 11232, "msg": "frequency limited"})
        with pytest.raises(TransientDeliveryError, match="11232"):
            await channel.send("", message)
    finally:
        await channel.aclose()
    call = webhook.calls[0]
    assert call.path == "/open-apis/bot/v2/hook/hook-token-1"
    body = call.body
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"]["content"] == message.subject
    assert body["card"]["elements"][0] == {"tag": "markdown", "content": message.markdown.strip()}
    key = f"{body['timestamp']}\n{'feishu-secret'}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == feishu_signature(int(body["timestamp"]), "feishu-secret")


def test_robots_are_off_until_configured() -> None:
    empty = Settings(_env_file=None)
    assert WeComChannel.from_settings(empty) is None
    assert DingTalkChannel.from_settings(empty) is None
    assert FeishuChannel.from_settings(empty) is None
    configured = Settings(
        _env_file=None,
        wecom_webhook_key=SecretStr("wk"),
        dingtalk_access_token=SecretStr("dt"),
        dingtalk_secret=SecretStr("SECx"),
        feishu_webhook_token=SecretStr("ft"),
    )
    wecom = WeComChannel.from_settings(configured)
    dingtalk = DingTalkChannel.from_settings(configured)
    feishu = FeishuChannel.from_settings(configured)
    assert wecom is not None
    assert wecom.webhook_url("wk") == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wk"
    assert dingtalk is not None
    assert dingtalk.secret == "SECx"
    assert dingtalk.webhook_url("dt") == "https://oapi.dingtalk.com/robot/send?access_token=dt"
    assert feishu is not None
    assert feishu.webhook_url("ft") == "https://open.feishu.cn/open-apis/bot/v2/hook/ft"


def test_split_by_bytes_prefers_lines_and_keeps_every_character() -> None:
    text = "\n".join(f"第{index}行 " + "字" * 50 for index in range(100)) + "\n" + "长" * 3000
    parts = split_by_bytes(text, 1000)
    assert all(len(part.encode()) <= 1000 for part in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert parts[0].startswith("第0行")
    assert parts[0].endswith("字")


# -- crawled and watchlist text is inert in every robot's markdown (issue 8) ---------------------------------
PHISH_MARK = "SIASUN [官方通知 点此处理](http://evil.example/phish)"
# (hostile text, what must not reach the robot, what the reader must still see)
HOSTILE_TEXT: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        PHISH_MARK,
        ("[官方通知", "http://evil.example"),
        ("SIASUN", "官方通知 点此处理", "evil.example/phish"),
    ),
    ('<a href="http://evil.example">点此</a>', ("<a", "</a>", "http://evil"), ("点此",)),
    ("<script>alert(1)</script>", ("<script", "</script"), ("alert(1)",)),
    ("![logo](http://evil.example/x.png)", ("![", "http://evil"), ("logo",)),
    ("Acme\n# 紧急：请立即付款\n> 官方", ("\n# 紧急", "\n> 官方"), ("紧急：请立即付款",)),
    ("**加粗** `代码` ~~删~~ _斜_", ("**加粗**", "`代码`", "~~删~~", "_斜_"), ("加粗", "代码")),
    (
        '<font color="warning">假警报</font> <at user_id="all">所有人</at> <@all>',
        ("<font", "<at", "<@"),
        ("假警报",),
    ),
    (
        "<https://evil.example/auto> www.evil.example",
        ("<https://", "://evil", "www.evil"),
        ("evil.example/auto",),
    ),
]
ROBOTS: dict[str, Callable[[str], WeComChannel | DingTalkChannel | FeishuChannel]] = {
    "wecom": lambda url: WeComChannel(f"{url}/cgi-bin/webhook/send", "wecom-key-1"),
    "dingtalk": lambda url: DingTalkChannel(f"{url}/robot/send", "ding-token-1", secret=DINGTALK_SECRET),
    "feishu": lambda url: FeishuChannel(f"{url}/open-apis/bot/v2/hook", "hook-token-1"),
}


def _markdown_sent(robot: str, body: dict[str, object]) -> str:
    if robot == "wecom":
        return str(body["markdown"]["content"])  # type: ignore[index]
    if robot == "dingtalk":
        return str(body["markdown"]["text"])  # type: ignore[index]
    return str(body["card"]["elements"][0]["content"])  # type: ignore[index]


@pytest.mark.parametrize("robot", sorted(ROBOTS))
@pytest.mark.parametrize(("hostile", "forbidden", "visible"), HOSTILE_TEXT)
async def test_crawled_and_watchlist_text_is_inert_in_robot_markdown(
    robot: str,
    hostile: str,
    forbidden: tuple[str, ...],
    visible: tuple[str, ...],
    webhook: WebhookStandIn,
    alert_view: Callable[..., AlertView],
) -> None:
    webhook.ok_reply = {"errcode": 0, "errmsg": "ok", "code": 0}
    view = alert_view(
        mark=hostile, applicant=hostile, record_text=hostile, enterprise_name_zh=hostile, variant=hostile
    )
    messages = [
        render_alert(view, "zh"),
        render_alert(view, "en"),
        render_digest([view], "zh", title=f"初始检索报告：{hostile}"),
        render_notice(f"上报 {hostile}", f"备注 note:\n{hostile}"),
    ]
    channel = ROBOTS[robot](webhook.url)
    try:
        for message in messages:
            await channel.send("", message)
    finally:
        await channel.aclose()
    assert len(webhook.calls) == len(messages)
    for call in webhook.calls:
        sent = _markdown_sent(robot, call.body)
        for bad in forbidden:
            assert bad not in sent, f"{robot}: {bad!r} reached the robot in {sent!r}"
        # The only link (or image) in the message is ours: the record's page.
        assert set(re.findall(r"\]\(([^)]*)\)", sent)) <= {alert_view().url}, sent
        for good in visible:
            assert good in sent.replace("：//", "://"), f"{robot}: {good!r} not shown in {sent!r}"
    # Our own link (the record's page) is still a link.
    first = _markdown_sent(robot, webhook.calls[0].body)
    assert f"]({alert_view().url})" in first
