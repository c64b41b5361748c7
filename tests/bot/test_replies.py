"""Replies fit a phone and Telegram's limit; typed input is checked before it reaches the database."""

from __future__ import annotations

import pytest

from alertbot.bot.replies import PAGE_CHARS, BadInput, clean_input, fit, paginate, t
from alertbot.notify.telegram import MESSAGE_LIMIT, telegram_length


@pytest.mark.parametrize(
    ("text", "cleaned_or_error"),
    [
        ("  SIASUN  ", "SIASUN"),
        ("新松", "新松"),
        ("e\u0301", "\u00e9"),  # NFC: one character, as Telegram users type it
        ("SIΑSUN", "SIΑSUN"),  # a Greek alpha is a letter: /check must see the homoglyph
        ("", "bot.err.empty"),
        ("A" * 201, "bot.err.too_long"),
        ("AC\u200bME", "bot.err.bad_char"),  # zero-width space
        ("ACME\u202e", "bot.err.bad_char"),  # right-to-left override
        ("A\u0000B", "bot.err.bad_char"),
        ("\ue000", "bot.err.bad_char"),  # private use
        ("\U000e0001", "bot.err.bad_char"),  # language tag (format)
    ],
)
def test_clean_input(text: str, cleaned_or_error: str) -> None:
    if cleaned_or_error.startswith("bot.err."):
        with pytest.raises(BadInput) as raised:
            clean_input(text, field="NAME")
        assert raised.value.key == cleaned_or_error
        assert "NAME" in raised.value.text("en") or cleaned_or_error == "bot.err.empty"
    else:
        assert clean_input(text) == cleaned_or_error


def test_pages_stay_small_and_keep_every_line() -> None:
    lines = [f"<b>entry {n}</b> " + "名" * (n % 400) for n in range(500)]
    pages = paginate(lines)
    assert [line for page in pages for line in page] == lines
    assert all(len(page) <= 15 and sum(len(line) + 1 for line in page) <= PAGE_CHARS for page in pages)


def test_an_overlong_reply_is_cut_below_the_limit_without_broken_markup() -> None:
    text = "<b>" + "预警 &amp; alert " * 2000 + "</b>"
    cut = fit(text)
    assert telegram_length(cut) <= MESSAGE_LIMIT
    assert "<" not in cut.replace("&lt;", "")
    assert fit("short <b>ok</b>") == "short <b>ok</b>"


def test_translated_values_are_html_escaped() -> None:
    assert t("bot.check.title", "en", name="<script>&") == "<b>Check:</b> &lt;script&gt;&amp;"
