"""The Telegram channel: the real PTB ``Bot`` against the Bot API stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from alertbot.notify.base import (
    AlertView,
    ConfigurationDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from alertbot.notify.ratelimit import TelegramRateLimiter
from alertbot.notify.render import render_alert, render_digest, render_notice
from alertbot.notify.telegram import (
    MESSAGE_LIMIT,
    TelegramChannel,
    callback_data,
    parse_callback_data,
    split_html,
    telegram_length,
)
from alertbot.settings import Settings
from tests.notify.botapi_standin import BotApiStandIn, FloodLimits

# Short periods keep the tests fast; the stand-in checks the same (scaled) limits.
FAST_LIMITS = {
    "overall_limit": 5,
    "overall_period": 0.3,
    "per_chat_interval": 0.2,
    "group_limit": 3,
    "group_period": 0.8,
}
# Requests leave the limiter and reach the stand-in with a few ms of jitter (more on a busy machine); the
# stand-in forgives that much, as Telegram does.
JITTER = 0.06


@pytest.fixture
async def channel(botapi: BotApiStandIn) -> AsyncIterator[TelegramChannel]:
    telegram = TelegramChannel(
        botapi.token, base_url=botapi.base_url, limiter=TelegramRateLimiter(**FAST_LIMITS, margin=0.02)
    )
    yield telegram
    await telegram.aclose()


class _TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _balanced_text(part: str) -> str:
    parser = _TagBalance()
    parser.feed(part)
    parser.close()
    assert parser.stack == [], f"unclosed tags {parser.stack} in a part"
    return "".join(parser.text)


async def test_alert_is_sent_as_html_with_three_buttons(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    message = render_alert(alert_view(), "zh")
    provider_id = await channel.send("5550001", message)

    (call,) = botapi.calls("sendMessage")
    assert provider_id == "1000"  # the stand-in numbers messages from 1000
    assert call.params["chat_id"] == "5550001"
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"] == message.chat_html.strip()
    assert "<b>风险等级：</b> 高风险" in call.params["text"]
    assert call.json_param("link_preview_options") == {"is_disabled": True}
    keyboard = call.json_param("reply_markup")["inline_keyboard"]
    assert [(button["text"], button["callback_data"]) for button in keyboard[0]] == [
        ("确认", "alert:confirm:4711"),
        ("忽略", "alert:dismiss:4711"),
        ("上报", "alert:escalate:4711"),
    ]
    assert [request.method for request in botapi.requests] == ["getMe", "sendMessage"]


async def test_english_buttons_and_callback_round_trip(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    await channel.send("-1001234", render_alert(alert_view(alert_id=99), "en"))
    keyboard = botapi.calls("sendMessage")[0].json_param("reply_markup")["inline_keyboard"][0]
    assert [button["text"] for button in keyboard] == ["Confirm", "Dismiss", "Escalate"]
    assert [parse_callback_data(button["callback_data"]) for button in keyboard] == [
        ("confirm", 99),
        ("dismiss", 99),
        ("escalate", 99),
    ]
    assert parse_callback_data("alert:delete:99") is None
    assert parse_callback_data("other:confirm:1") is None
    with pytest.raises(ValueError, match="unknown alert action"):
        callback_data("delete", 1)


async def test_long_digest_is_split_with_buttons_off_and_xlsx_sent_as_document(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    views = [alert_view(alert_id=index, mark=f"MARK{index:03d}") for index in range(40)]
    message = render_digest(views, "en")
    assert telegram_length(message.chat_html) > 2 * MESSAGE_LIMIT

    provider_ids = (await channel.send("777", message)).split(",")

    calls = botapi.calls("sendMessage")
    assert len(calls) >= 3
    assert len(provider_ids) == len(calls) + 1  # the parts and the document
    texts = [call.params["text"] for call in calls]
    assert all(telegram_length(text) <= MESSAGE_LIMIT for text in texts)
    assert all("reply_markup" not in call.params for call in calls)
    # Nothing lost or repeated: the parts' text, joined, is the whole digest's text.
    joined = "".join(_balanced_text(text) for text in texts)
    whole = _balanced_text(message.chat_html)
    assert re.sub(r"\s+", "", joined) == re.sub(r"\s+", "", whole)
    for index in range(40):
        assert sum(text.count(f"MARK{index:03d}") for text in texts) == 1
    (document,) = botapi.calls("sendDocument")
    filename, content = document.files["document"]
    assert filename == message.attachments[0].filename
    assert content == message.attachments[0].content


async def test_keyboard_goes_on_the_last_part_of_a_long_alert(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    long_text = "\n".join(f"line {index}: " + "货物 " * 40 for index in range(60))
    await channel.send("42", render_alert(alert_view(record_text=long_text), "zh"))
    calls = botapi.calls("sendMessage")
    assert len(calls) > 1
    assert ["reply_markup" in call.params for call in calls] == [False] * (len(calls) - 1) + [True]


async def test_429_surfaces_retry_after_and_pauses_every_send(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    botapi.fail_next("sendMessage", 1, 429, retry_after=1)
    with pytest.raises(TransientDeliveryError) as caught:
        await channel.send("1001", render_alert(alert_view(), "zh"))
    assert caught.value.retry_after == 1.0

    await channel.send("1002", render_alert(alert_view(), "zh"))  # another chat: still held by the pause
    refused, accepted = botapi.calls("sendMessage")
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.received_at - refused.received_at >= 0.95


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_transient(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView], status: int
) -> None:
    botapi.fail_next("sendMessage", 1, status)
    with pytest.raises(TransientDeliveryError) as caught:
        await channel.send("1001", render_alert(alert_view(), "zh"))
    assert caught.value.retry_after is None
    # The dispatcher's retry then goes through.
    assert await channel.send("1001", render_alert(alert_view(), "zh"))
    assert [call.status for call in botapi.calls("sendMessage")] == [status, 200]


async def test_blocked_bot_is_permanent_and_deactivates_the_target(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    botapi.fail_next("sendMessage", 1, 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(PermanentDeliveryError) as caught:
        await channel.send("1001", render_alert(alert_view(), "zh"))
    assert caught.value.deactivate_target is True
    assert "blocked" in str(caught.value)


async def test_chat_not_found_is_permanent(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    botapi.fail_next("sendMessage", 1, 400, "Bad Request: chat not found")
    with pytest.raises(PermanentDeliveryError, match=r"(?i)chat not found") as caught:
        await channel.send("1001", render_alert(alert_view(), "zh"))
    assert caught.value.deactivate_target is False


async def test_migrated_group_names_the_new_chat_id(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    botapi.fail_next(
        "sendMessage", 1, 400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-100777
    )
    with pytest.raises(PermanentDeliveryError, match="-100777"):
        await channel.send("-4242", render_alert(alert_view(), "zh"))


async def test_a_retry_after_a_failed_part_sends_only_the_missing_parts(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    message = render_digest([alert_view(alert_id=index) for index in range(40)], "zh")
    parts = channel.parts(message)
    assert len(parts) >= 3
    original = botapi.handle

    def fail_second_send(path: str, content_type: str, body: bytes) -> tuple[int, dict[str, object]]:
        if path.endswith("/sendMessage") and len(botapi.calls("sendMessage")) == 1:
            botapi.fail_next("sendMessage", 1, 502)
        return original(path, content_type, body)

    botapi.handle = fail_second_send  # type: ignore[method-assign]
    with pytest.raises(TransientDeliveryError):
        await channel.send("31337", message)
    ids = await channel.send("31337", message)

    accepted = botapi.sent_texts("31337")
    assert accepted == parts
    assert len(ids.split(",")) == len(parts) + 1


@pytest.mark.parametrize("wrong", ["token", "base_url"])
async def test_wrong_token_or_url_is_a_configuration_error(
    botapi: BotApiStandIn, alert_view: Callable[..., AlertView], wrong: str
) -> None:
    token = "999:WRONG" if wrong == "token" else botapi.token
    base_url = botapi.base_url.replace("/bot", "/wrong/bot") if wrong == "base_url" else botapi.base_url
    telegram = TelegramChannel(token, base_url=base_url)
    try:
        with pytest.raises(ConfigurationDeliveryError, match="ALERTBOT_TELEGRAM_TOKEN"):
            await telegram.send("1", render_alert(alert_view(), "zh"))
    finally:
        await telegram.aclose()


async def test_unreachable_server_is_transient(alert_view: Callable[..., AlertView]) -> None:
    from tests.notify.conftest import free_port

    telegram = TelegramChannel("123:ABC", base_url=f"http://127.0.0.1:{free_port()}/bot", timeout=2)
    try:
        with pytest.raises(TransientDeliveryError):
            await telegram.send("1", render_alert(alert_view(), "zh"))
    finally:
        await telegram.aclose()


async def test_bad_targets_are_refused_before_sending(
    channel: TelegramChannel, botapi: BotApiStandIn
) -> None:
    for target in ("", "not a chat", "12ab"):
        with pytest.raises(PermanentDeliveryError):
            await channel.send(target, render_notice("x", "y"))
    assert botapi.calls("sendMessage") == []


async def test_concurrent_sends_keep_every_flood_limit(
    channel: TelegramChannel, botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    botapi.enforce_limits = FloodLimits(**FAST_LIMITS, tolerance=JITTER)
    notice = render_notice("n", "body")
    targets = ["501"] * 4 + ["-100500"] * 5 + [str(600 + index) for index in range(10)]
    await asyncio.gather(*(channel.send(target, notice) for target in targets))

    assert botapi.flood_rejections == 0
    assert botapi.rate_limit_violations(FloodLimits(**FAST_LIMITS, tolerance=JITTER)) == []
    times = botapi.send_times_by_chat()
    assert len(times["501"]) == 4
    group = times["-100500"]
    assert len(group) == 5
    # 5 group messages at 3 per 0.6 s: the 4th waits for the window.
    assert group[3] - group[0] >= FAST_LIMITS["group_period"] - JITTER


async def test_default_limits_space_a_private_chat_one_second_apart(botapi: BotApiStandIn) -> None:
    telegram = TelegramChannel(botapi.token, base_url=botapi.base_url)
    try:
        await telegram.send("8080", render_notice("a", "1"))
        await telegram.send("8080", render_notice("b", "2"))
    finally:
        await telegram.aclose()
    first, second = botapi.send_times_by_chat()["8080"]
    assert second - first >= 1.0
    assert botapi.rate_limit_violations() == []


async def test_a_wait_longer_than_allowed_becomes_transient(botapi: BotApiStandIn) -> None:
    limiter = TelegramRateLimiter(group_limit=1, group_period=30.0)
    telegram = TelegramChannel(botapi.token, base_url=botapi.base_url, limiter=limiter, max_limiter_wait=0.5)
    try:
        await telegram.send("-100", render_notice("a", "1"))
        with pytest.raises(TransientDeliveryError) as caught:
            await telegram.send("-100", render_notice("b", "2"))
    finally:
        await telegram.aclose()
    assert caught.value.retry_after is not None
    assert 29 < caught.value.retry_after <= 30.1
    assert len(botapi.calls("sendMessage")) == 1


async def test_from_settings_is_off_without_a_token_and_uses_the_base_url(
    botapi: BotApiStandIn, alert_view: Callable[..., AlertView]
) -> None:
    assert TelegramChannel.from_settings(Settings(_env_file=None)) is None
    configured = TelegramChannel.from_settings(
        Settings(_env_file=None, telegram_token=SecretStr(botapi.token), telegram_base_url=botapi.base_url)
    )
    assert configured is not None
    try:
        await configured.send("12", render_alert(alert_view(), "en"))
    finally:
        await configured.aclose()
    assert botapi.sent_texts("12")


def test_split_html_closes_and_reopens_tags_across_parts() -> None:
    body = "<pre>" + "\n".join(f"row {index} &amp; more" for index in range(600)) + "</pre>"
    parts = split_html(body, limit=500)
    assert len(parts) > 10
    for part in parts:
        assert telegram_length(part) <= 500
        assert part.startswith("<pre>")
        assert part.endswith("</pre>")
        _balanced_text(part)
    assert "".join(_balanced_text(part) for part in parts).replace("\n", "") == html.unescape(
        body[5:-6]
    ).replace("\n", "")


def test_split_html_cuts_an_overlong_word_but_never_an_entity() -> None:
    body = "<b>" + "x" * 1200 + "</b>\n" + "&amp;" * 300
    parts = split_html(body, limit=256)
    assert all(telegram_length(part) <= 256 for part in parts)
    assert all(not re.search(r"&[#\w]*$", re.sub(r"</?\w+>$", "", part)) for part in parts)
    assert "".join(_balanced_text(part) for part in parts) == "x" * 1200 + "&" * 300


def test_split_html_counts_emoji_as_two_units() -> None:
    parts = split_html("🔴" * 3000, limit=MESSAGE_LIMIT)
    assert [telegram_length(part) for part in parts] == [4096, 1904]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "b", "i", "code"]),
            st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
        ),
        max_size=60,
    ),
    st.integers(min_value=40, max_value=400),
)
def test_split_html_keeps_all_text_and_valid_markup(segments: list[tuple[str, str]], limit: int) -> None:
    source = "\n".join(
        f"<{tag}>{html.escape(text, quote=False)}</{tag}>" if tag else html.escape(text, quote=False)
        for tag, text in segments
    )
    parts = split_html(source, limit=limit)
    for part in parts:
        assert telegram_length(part) <= limit
    rebuilt = "".join(_balanced_text(part) for part in parts)
    assert re.sub(r"\s+", "", rebuilt) == re.sub(r"\s+", "", _balanced_text(source))
