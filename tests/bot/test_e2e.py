"""End to end: a real ``alertbot bot`` process polls the Bot API stand-in; these tests talk to it as users
would (commands, conversation replies, documents, button presses) and check the replies and the database.

One bot process serves the whole module (tests/bot/conftest.py); each test uses its own users or entries
where state matters.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import col, select

from alertbot.bot.members import add_staff, create_invite, revoke
from alertbot.db import transaction
from alertbot.models import Alert, AuditLog, Enterprise, Subscriber
from alertbot.sources import next_cron_time, validate_cron
from tests.bot.conftest import ACME, BLOWER, ENFORCER, FILLER_ENTRIES, MULTI, STAFF, RunningBot
from tests.bot.standin import BotStandIn

pytestmark = pytest.mark.slow


def audit_actions(bot: RunningBot, actor_part: str) -> list[tuple[str, str, str]]:
    with bot.factory() as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        return [(r.action, r.entity_type, r.entity_id) for r in rows if actor_part in r.actor]


def buttons(request: object) -> list[tuple[str, str]]:
    markup = request.json_param("reply_markup")  # type: ignore[attr-defined]
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


def confirm_token(request: object) -> str:
    [token] = [data.split(":")[2] for _, data in buttons(request) if data.startswith("flow:ok:")]
    return token


def entry(bot: RunningBot, entry_id: str) -> Enterprise | None:
    with bot.factory() as session:
        return session.get(Enterprise, entry_id)


# -- unknown users, onboarding ------------------------------------------------------------------------------------
def test_an_unknown_user_gets_only_a_polite_refusal_in_both_languages(running_bot: RunningBot) -> None:
    api = running_bot.api
    for text in ("/start", "/whoami", "/watch list", "/check ACME", "hello"):
        reply = api.say(9001, text)
        assert "not registered" in reply
        assert "尚未登记" in reply
    refused = audit_actions(running_bot, "telegram:9001:")
    assert ("bot.refused", "command", "/whoami") in refused
    assert ("bot.refused", "command", "/watch") in refused
    # The menu of strangers (the default scope) holds /start only.
    defaults = [c for c in api.calls("setMyCommands") if '"default"' in c.params.get("scope", "")]
    assert defaults
    assert {tuple(cmd["command"] for cmd in c.json_param("commands")) for c in defaults} == {("start",)}


def test_invite_join_then_reuse_and_expiry_are_refused(running_bot: RunningBot) -> None:
    api = running_bot.api
    reply = api.say(STAFF, "/invite enterprise acme")
    code = re.search(r"/start ([A-Za-z0-9_-]{16})", reply)
    assert code is not None, reply
    assert "t.me/" in reply
    joined = api.say(9002, f"/start {code.group(1)}", lang="en")
    assert "Welcome" in joined
    assert "/mywatch" in joined
    assert "/watch " not in joined  # an enterprise user is not shown staff commands
    with running_bot.factory() as session:
        member = session.exec(select(Subscriber).where(Subscriber.telegram_user_id == 9002)).one()
        assert (member.role, member.enterprise_ids, member.language) == ("enterprise", ["acme"], "en")
        assert (member.channels, member.min_risk, member.digest) == ({"telegram": "9002"}, "low", "instant")
    menus = [c for c in api.calls("setMyCommands") if '"chat_id": 9002' in c.params.get("scope", "")]
    assert [cmd["command"] for cmd in menus[-1].json_param("commands")][:4] == [
        "mywatch",
        "alerts",
        "settings",
        "report",
    ]
    assert "ACME Machinery" in api.say(9002, "/whoami", lang="en")

    reused = api.say(9003, f"/start {code.group(1)}", lang="en")
    assert "not valid" in reused
    assert "邀请码无效" in reused
    with transaction(running_bot.factory) as session:
        expired, _ = create_invite(
            session,
            "enforcement",
            [],
            actor="test",
            ttl=dt.timedelta(hours=1),
            now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        )
    assert "not valid" in api.say(9004, f"/start {expired}")
    with running_bot.factory() as session:
        strangers = session.exec(
            select(Subscriber).where(col(Subscriber.telegram_user_id).in_([9003, 9004]))
        ).all()
    assert strangers == []
    assert audit_actions(running_bot, f"telegram:{STAFF}:")[-1][:2] == ("user.invite", "invite")
    assert ("user.join", "subscriber") in [a[:2] for a in audit_actions(running_bot, "telegram:9002:")]


def test_first_start_welcomes_then_welcomes_back(running_bot: RunningBot) -> None:
    """A member's first /start greets them as new (欢迎加入), whether they joined with a code or were added
    from the CLI; only later ones say welcome back."""
    api = running_bot.api
    with transaction(running_bot.factory) as session:
        add_staff(session, 9020, "Zhao", actor="cli")
    first = api.say(9020, "/start")
    assert "欢迎加入" in first
    assert "欢迎回来" not in first
    assert "/watch" in first  # with the staff member's commands
    again = api.say(9020, "/start")
    assert "欢迎回来" in again
    assert "欢迎加入" not in again
    with running_bot.factory() as session:
        member = session.exec(select(Subscriber).where(Subscriber.telegram_user_id == 9020)).one()
        welcomes = session.exec(
            select(AuditLog).where(AuditLog.action == "user.welcome", AuditLog.entity_id == str(member.id))
        ).all()
    assert [entry.actor for entry in welcomes] == ["telegram:9020:Zhao"]

    code = re.search(r"/start ([A-Za-z0-9_-]{16})", api.say(STAFF, "/invite enforcement"))
    assert code is not None
    joined = api.say(9021, f"/start {code.group(1)}", lang="en")
    assert "Welcome!" in joined
    assert "Welcome back" not in joined
    assert "Welcome back" in api.say(9021, "/start", lang="en")
    # The module's other tests count on 501 being the only staff member and 504 the only team.
    with transaction(running_bot.factory) as session:
        revoke(session, 9020, actor="test")
        revoke(session, 9021, actor="test")


def test_invite_input_errors(running_bot: RunningBot) -> None:
    api = running_bot.api
    api.say(STAFF, "/lang en")
    try:
        assert "needs at least one enterprise id" in api.say(STAFF, "/invite enterprise")
        assert "No watchlist entry with id nosuch" in api.say(STAFF, "/invite enterprise nosuch")
        assert "Unknown role" in api.say(STAFF, "/invite wizard")
        assert "is not bound to an enterprise" in api.say(STAFF, "/invite enforcement acme")
    finally:
        assert "语言已设为中文" in api.say(STAFF, "/lang zh")


# -- everyone's commands, both languages ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "shown", "hidden", "words"),
    [
        (STAFF, ["/watch", "/import", "/audit", "/check"], [], "您的命令"),
        (ACME, ["/mywatch", "/alerts", "/settings"], ["/watch", "/check"], "Your commands"),
        (ENFORCER, ["/check", "/flagged", "/booth", "/expo"], ["/watch", "/mywatch"], "Your commands"),
        (BLOWER, ["/mywatch", "/alerts"], ["/import", "/check"], "您的命令"),
    ],
)
def test_help_shows_each_role_its_commands_in_its_language(
    running_bot: RunningBot, user: int, shown: list[str], hidden: list[str], words: str
) -> None:
    text = running_bot.api.say(user, "/help")
    assert words in text
    for command in [*shown, "/lang", "/whoami", "/cancel"]:
        assert f"{command} " in text
    for command in hidden:
        assert f"{command} " not in text


def test_each_user_has_their_role_menu_in_their_chat(running_bot: RunningBot) -> None:
    def menu(user: int) -> list[str]:
        calls = [
            c
            for c in running_bot.api.calls("setMyCommands")
            if f'"chat_id": {user}' in c.params.get("scope", "")
        ]
        return [command["command"] for command in calls[-1].json_param("commands")]

    assert {"check", "flagged", "booth", "expo"} <= set(menu(ENFORCER))
    assert "watch" not in menu(ENFORCER)
    assert {"watch", "import", "users", "audit"} <= set(menu(STAFF))
    assert {"mywatch", "alerts", "settings"} <= set(menu(MULTI))
    assert not {"check", "watch", "users"} & set(menu(MULTI))


def test_lang_switches_replies_and_menu(running_bot: RunningBot) -> None:
    api = running_bot.api
    assert "Language set to English" in api.say(BLOWER, "/lang en")
    assert "Your commands" in api.say(BLOWER, "/help")
    assert "Usage: /lang zh or /lang en" in api.say(BLOWER, "/lang fr")
    assert "语言已设为中文" in api.say(BLOWER, "/lang zh")
    assert "角色：企业" in api.say(BLOWER, "/whoami")
    assert ("user.language", "subscriber") in [
        a[:2] for a in audit_actions(running_bot, f"telegram:{BLOWER}:")
    ]


def test_whoami_names_every_enterprise_of_a_multi_enterprise_user(running_bot: RunningBot) -> None:
    text = running_bot.api.say(MULTI, "/whoami")
    assert "blower 沈阳鼓风机集团股份有限公司" in text
    assert "siasun 沈阳新松机器人自动化股份有限公司" in text
    mine = running_bot.api.say(MULTI, "/mywatch")
    assert "SIASUN | 新松" in mine
    assert "沈鼓 | SHENGU" in mine
    assert "ACME" not in mine


# -- refusals by role ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "command", "text"),
    [
        (ACME, "/watch list", "You are not allowed"),
        (ACME, "/check SIASUN", "You are not allowed"),
        (ACME, "/users", "You are not allowed"),
        (BLOWER, "/import", "无权执行此操作"),
        (ENFORCER, "/mywatch", "You are not allowed"),
        (ENFORCER, "/invite staff", "You are not allowed"),
        (ENFORCER, "/expo set-url cieme-2026 https://example.org/list", "You are not allowed"),
        (ENFORCER, "/revoke 501", "You are not allowed"),
    ],
)
def test_each_role_is_refused_what_it_may_not_do(
    running_bot: RunningBot, user: int, command: str, text: str
) -> None:
    assert text in running_bot.api.say(user, command)
    assert ("bot.refused", "command", command.split()[0]) in audit_actions(running_bot, f"telegram:{user}:")


def test_an_enterprise_document_upload_is_refused_and_changes_nothing(running_bot: RunningBot) -> None:
    data = b"id,name_en,marks\nevil,Evil Corp,EVIL\n"
    [reply] = running_bot.api.upload(ACME, "watchlist.csv", data)
    assert "You are not allowed" in reply.params["text"]
    assert entry(running_bot, "evil") is None


# -- /check -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "enterprise"),
    [
        ("新松", "siasun"),  # Chinese mark
        ("新鬆", "siasun"),  # traditional characters
        ("Xinsong", "siasun"),  # pinyin
        ("Shen Gu", "blower"),  # spaced pinyin of 沈鼓
        ("瀋鼓", "blower"),  # traditional
        ("SIΑSUN", "siasun"),  # Greek capital alpha for A (homoglyph)
        ("SlASUN", "siasun"),  # lower-case l for I
    ],
)
def test_check_finds_the_enterprise_a_name_imitates(
    running_bot: RunningBot, name: str, enterprise: str
) -> None:
    text = running_bot.api.say(ENFORCER, f"/check {name}")
    assert f"({enterprise})" in text, text
    assert "risk" in text  # English for the English-speaking team
    others = {"siasun", "blower", "acme"} - {enterprise}
    assert not any(f"({other})" in text for other in others)


def test_check_on_an_exact_own_name_names_its_enterprise(running_bot: RunningBot) -> None:
    text = running_bot.api.say(ENFORCER, "/check 沈阳新松机器人自动化股份有限公司")
    assert "own name of <b>SIASUN Robot &amp; Automation Co., Ltd.</b> (siasun)" in text


def test_check_on_a_name_that_matches_nothing_names_no_enterprise(running_bot: RunningBot) -> None:
    text = running_bot.api.say(ENFORCER, "/check Totally Unrelated Pumps")
    assert "No watched enterprise matches" in text
    for word in ("siasun", "blower", "acme", "SIASUN", "新松", "ACME"):
        assert word not in text
    staff_text = running_bot.api.say(STAFF, "/check 苹果")
    assert "未与任何监测企业匹配" in staff_text


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("AC\u200bME", "U+200B"),
        ("ACME\u202e", "U+202E"),
        ("A" * 201, "too long"),
        ("", "Usage: /check NAME"),
    ],
)
def test_check_refuses_bad_input_clearly(running_bot: RunningBot, argument: str, message: str) -> None:
    assert message in running_bot.api.say(ENFORCER, f"/check {argument}".strip())


def test_check_replies_are_html_escaped(running_bot: RunningBot) -> None:
    text = running_bot.api.say(ENFORCER, "/check <b>ACME</b> & co")
    assert "&lt;b&gt;ACME&lt;/b&gt; &amp; co" in text


# -- alerts and their buttons ------------------------------------------------------------------------------------
def test_alerts_lists_only_the_callers_own_with_buttons(running_bot: RunningBot) -> None:
    api = running_bot.api
    header, card = api.ask(ACME, "/alerts", count=2)
    assert "most recent alerts" in header.params["text"]
    assert "ACME Machinery" in card.params["text"]
    assert "SHENGU" not in card.params["text"]
    assert [data for _, data in buttons(card)] == [
        f"alert:confirm:{running_bot.acme_alert}",
        f"alert:dismiss:{running_bot.acme_alert}",
        f"alert:escalate:{running_bot.acme_alert}",
    ]
    assert "The count must be" in api.say(ACME, "/alerts 999")
    assert "The count must be" in api.say(ACME, "/alerts -3")
    staff = api.ask(STAFF, "/alerts 20", count=4)
    assert "3" in staff[0].params["text"]  # staff see all: acme's, blower's and the exhibitor alert
    mine = " ".join(
        r.params["text"] for r in api.ask(MULTI, "/alerts", count=3)
    )  # header, blower's, siasun's
    assert "SHENGU" in mine
    assert "新淞智能装备有限公司" in mine
    assert "ACME" not in mine


def test_forged_and_cross_enterprise_presses_get_one_answer_and_change_nothing(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    forged = [
        f"alert:escalate:{running_bot.acme_alert}",  # acme's alert, pressed by blower's user
        "alert:confirm:987654321",  # missing
        "alert:confirm:99999999999999999999",
        "alert:confirm:-1",
        "flow:ok:0000",  # somebody else's (or no) proposal
        "page:zz:1",
    ]
    answers = []
    for data in forged:
        [answer] = api.press(BLOWER, data)
        answers.append(answer)
    assert all(a.method == "answerCallbackQuery" for a in answers)
    alert_answers = {a.params["text"] for a in answers[:4]}
    assert alert_answers == {"该项不存在或您无权查看。"}
    with running_bot.factory() as session:
        alert = session.get(Alert, running_bot.acme_alert)
        assert alert is not None
        assert alert.status in ("new", "confirmed")  # only acme's own test may change it
    refused = [a for a in audit_actions(running_bot, f"telegram:{BLOWER}:") if a[0] == "bot.refused"]
    assert {a[2] for a in refused} >= set(forged[:4])


def test_the_owner_triages_with_the_buttons(running_bot: RunningBot) -> None:
    answer, edit = running_bot.api.press(BLOWER, f"alert:confirm:{running_bot.blower_alert}", count=2)
    assert answer.params["text"] == "已确认"
    assert edit.method == "editMessageText"
    assert "<b>状态：</b> 已确认" in edit.params["text"]
    assert ("alert.confirm", "alert", str(running_bot.blower_alert)) in audit_actions(
        running_bot, f"telegram:{BLOWER}:"
    )


# -- /watch, /mark, /affiliate conversations ----------------------------------------------------------------------
NEW_ENTRY = "id: qgkj\nname_zh: 启明光电\nname_en: Qiming Optics\nmarks: QIMINGGUANG | 启明光\nclasses: 9"


def test_watch_add_cancel_then_confirm_with_retro_match(running_bot: RunningBot) -> None:
    api = running_bot.api
    assert "id: siasun" in api.say(STAFF, "/watch add")
    proposal = api.ask(STAFF, NEW_ENTRY)[-1]
    assert "将新增" in proposal.params["text"]
    assert "QIMINGGUANG | 启明光" in proposal.params["text"]
    assert "已取消" in api.say(STAFF, "/cancel")
    assert entry(running_bot, "qgkj") is None
    # The Confirm button of the cancelled proposal no longer works.
    [stale] = api.press(STAFF, f"flow:ok:{confirm_token(proposal)}", count=1)
    assert "已失效" in stale.params["text"]
    assert entry(running_bot, "qgkj") is None

    api.say(STAFF, "/watch add")
    proposal = api.ask(STAFF, NEW_ENTRY)[-1]
    replies = api.press(STAFF, f"flow:ok:{confirm_token(proposal)}", count=4)
    texts = [r.params.get("text", "") for r in replies]
    assert any("新增 1" in t for t in texts), texts
    assert any("回溯检索" in t for t in texts), texts
    saved = entry(running_bot, "qgkj")
    assert saved is not None
    assert saved.marks == ["QIMINGGUANG", "启明光"]
    assert ("watchlist.add", "enterprise", "qgkj") in audit_actions(running_bot, f"telegram:{STAFF}:centre")
    # The /check index is rebuilt for the new entry.
    assert "(qgkj)" in api.say(ENFORCER, "/check QIMINGGUANG")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: bad id\nname_en: X", "without spaces"),
        ("id: zz1\nname_en: X\nclasses: 99", "not a Nice class"),
        ("id: zz2\ncolour: red", "Cannot read the line"),
        ("id: acme\nname_en: Dup", "already exists"),
        ("id: zz3\nname_en: A\u0007B", "U+0007"),
    ],
)
def test_watch_add_refuses_bad_entries_and_asks_again(
    running_bot: RunningBot, text: str, message: str
) -> None:
    api = running_bot.api
    api.say(STAFF, "/lang en")
    try:
        api.say(STAFF, "/watch add")
        reply = api.say(STAFF, text)
        assert message in reply
        assert "again" in reply
        assert "Nothing to cancel" not in api.say(STAFF, "/cancel")
    finally:
        api.say(STAFF, "/lang zh")
    assert entry(running_bot, "zz1") is None
    assert entry(running_bot, "zz2") is None


def test_watch_edit_show_remove(running_bot: RunningBot) -> None:
    api = running_bot.api
    assert "填充企业3" in api.say(STAFF, "/watch show filler03")
    api.say(STAFF, "/watch edit filler03")
    proposal = api.ask(STAFF, "name_en: Filler Three\nclasses: 12 | 7")[-1]
    assert "Filler Three" in proposal.params["text"]
    api.press(STAFF, f"flow:ok:{confirm_token(proposal)}", count=4)  # answer, buttons off, saved, retro
    edited = entry(running_bot, "filler03")
    assert edited is not None
    assert (edited.name_en, edited.classes) == ("Filler Three", [7, 12])

    proposal = api.ask(STAFF, "/watch remove filler04")[-1]
    api.press(STAFF, f"flow:ok:{confirm_token(proposal)}", count=3)
    removed = entry(running_bot, "filler04")
    assert removed is not None
    assert removed.active is False
    assert "没有企业编号 filler04" in api.say(STAFF, "/watch show filler04")
    assert "没有企业编号 nosuch" in api.say(STAFF, "/watch edit nosuch")
    assert "用法" in api.say(STAFF, "/watch frobnicate")


def test_mark_and_affiliate_flows(running_bot: RunningBot) -> None:
    api = running_bot.api
    proposal = api.ask(STAFF, "/mark add filler05 NEWMARKX")[-1]
    assert "NEWMARKX" in proposal.params["text"]
    api.press(STAFF, f"flow:ok:{confirm_token(proposal)}", count=4)
    saved = entry(running_bot, "filler05")
    assert saved is not None
    assert "NEWMARKX" in saved.marks
    proposal = api.ask(STAFF, "/affiliate add filler05 Filler Five Trading Ltd")[-1]
    api.press(STAFF, f"flow:ok:{confirm_token(proposal)}", count=4)
    saved = entry(running_bot, "filler05")
    assert saved is not None
    assert saved.affiliates == ["Filler Five Trading Ltd"]
    proposal = api.ask(STAFF, "/mark remove filler05 NEWMARKX")[-1]
    replies = api.press(STAFF, f"flow:no:{confirm_token(proposal)}", count=3)  # answer, buttons off, reply
    [answer] = [r for r in replies if r.method == "answerCallbackQuery"]
    assert "已取消" in answer.params["text"]
    saved = entry(running_bot, "filler05")
    assert saved is not None
    assert "NEWMARKX" in saved.marks  # Cancel changed nothing
    assert "没有商标" in api.say(STAFF, "/mark remove filler05 NOSUCHMARK")
    assert "已有商标" in api.say(STAFF, "/mark add filler05 NEWMARKX")
    assert "不能包含" in api.say(STAFF, "/mark add filler05 A|B")


# -- /import and /export ------------------------------------------------------------------------------------------
def xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_with_bad_rows_changes_nothing(running_bot: RunningBot) -> None:
    api = running_bot.api
    assert "CSV 或 XLSX" in api.say(STAFF, "/import")
    bad = b"id,name_en,marks,classes\nimp1,Import One,IMPONE,7\nimp2,,,\nimp3,Three,THREE,77\n"
    [reply] = api.upload(STAFF, "list.csv", bad)
    text = reply.params["text"]
    assert "2 处问题" in text
    assert "row 3" in text
    assert "row 4, field classes" in text
    assert "未做任何更改" in text
    assert entry(running_bot, "imp1") is None


def test_import_good_rows_summary_then_confirm(running_bot: RunningBot) -> None:
    api = running_bot.api
    data = xlsx(
        [
            ["id", "name_zh", "name_en", "marks", "classes"],
            ["imp1", "导入一", "Import One", "IMPONEX", "7"],
            ["acme", "ACME机械", "ACME Machinery", "ACME|ACMEPRO", "7"],
        ]
    )
    [summary] = api.upload(STAFF, "list.xlsx", data)
    assert "将新增 1，更新 1" in summary.params["text"]
    assert entry(running_bot, "imp1") is None  # nothing before Confirm
    api.press(STAFF, f"flow:ok:{confirm_token(summary)}", count=4)
    added = entry(running_bot, "imp1")
    assert added is not None
    assert added.marks == ["IMPONEX"]
    acme = entry(running_bot, "acme")
    assert acme is not None
    assert acme.marks == ["ACME", "ACMEPRO"]
    actions = audit_actions(running_bot, f"telegram:{STAFF}:centre")
    assert ("watchlist.add", "enterprise", "imp1") in actions
    assert ("watchlist.update", "enterprise", "acme") in actions


@pytest.mark.parametrize(
    ("name", "size", "message"),
    [
        ("big.csv", 20 * 1024 * 1024, "文件太大"),
        ("list.txt", None, "不是 CSV 或 XLSX"),
        ("broken.xlsx", None, "问题"),
    ],
)
def test_import_refuses_big_foreign_and_broken_files(
    running_bot: RunningBot, name: str, size: int | None, message: str
) -> None:
    [reply] = running_bot.api.upload(STAFF, name, b"id,name_en\nbig1,Big\n", size=size)
    assert message in reply.params["text"]
    assert entry(running_bot, "big1") is None


def test_export_sends_the_watchlist_as_xlsx(running_bot: RunningBot) -> None:
    [document] = running_bot.api.ask(STAFF, "/export")
    assert document.method == "sendDocument"
    filename, data = document.files["document"]
    assert filename == "watchlist.xlsx"
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("id", "name_zh", "name_en", "marks")
    assert ("siasun", "沈阳新松机器人自动化股份有限公司") in [r[:2] for r in rows]


# -- users, settings, staff tools -------------------------------------------------------------------------------
def test_users_role_and_revoke(running_bot: RunningBot) -> None:
    api = running_bot.api
    listing = api.say(STAFF, "/users")
    assert "501  centre  staff" in listing
    assert "505  group-ip  enterprise  blower,siasun" in listing
    reply = api.say(9001, "/start")  # still a stranger
    assert "not registered" in reply
    code = re.search(r"/start (\S+)</code>", api.say(STAFF, "/invite enforcement"))
    assert code is not None
    api.say(9010, f"/start {code.group(1)}")
    assert "enterprise  acme" in api.say(STAFF, "/role 9010 enterprise acme")
    assert "ACME" in api.say(9010, "/whoami")
    assert "需要至少一个企业编号" in api.say(STAFF, "/role 9010 enterprise")
    assert "不是 Telegram 用户编号" in api.say(STAFF, "/role abc staff")
    assert "已撤销" in api.say(STAFF, "/revoke 9010")
    assert "not registered" in api.say(9010, "/whoami")
    assert "没有已登记的用户 9010" in api.say(STAFF, "/revoke 9010")
    assert "最后一名工作人员" in api.say(STAFF, f"/revoke {STAFF}")
    actions = audit_actions(running_bot, f"telegram:{STAFF}:centre")
    assert ("user.role", "subscriber") in [a[:2] for a in actions]
    assert ("user.revoke", "subscriber") in [a[:2] for a in actions]


def test_settings_buttons_and_arguments(running_bot: RunningBot) -> None:
    api = running_bot.api
    shown = api.ask(MULTI, "/settings")[-1]
    assert "最低风险：低风险" in shown.params["text"]
    assert ("高风险", "set:risk:high") in buttons(shown)
    answer, edit = api.press(MULTI, "set:risk:high", count=2)
    assert answer.params["text"] == "已保存"
    assert "最低风险：高风险" in edit.params["text"]
    api.say(MULTI, "/settings mode daily")
    assert "每日摘要（摘要时间 07:15）" in api.say(MULTI, "/settings time 7:15")
    assert "不是有效时间" in api.say(MULTI, "/settings time 25:00")
    assert "不是有效的邮箱" in api.say(MULTI, "/settings email not-an-address")
    with running_bot.factory() as session:
        me = session.exec(select(Subscriber).where(Subscriber.telegram_user_id == MULTI)).one()
        assert (me.min_risk, me.digest, me.digest_time) == ("high", "daily", "07:15")
    [refused] = api.press(MULTI, "set:risk:extreme")
    assert "不存在" in refused.params["text"]


@pytest.mark.parametrize("weekday", ["7", "0", "SUN"])
def test_schedule_takes_crontab_weekdays_as_the_service_does(running_bot: RunningBot, weekday: str) -> None:
    """Crontab's weekday 7 (and 0, SUN) is Sunday: the bot accepts what the service's validator accepts and
    says when the schedule runs next."""
    cron = f"0 21 * * {weekday}"
    validate_cron(cron, running_bot.settings.timezone)  # the service would accept it
    answer = running_bot.api.say(STAFF, f"/schedule uspto_tm_daily {cron}")
    assert "无效的定时表达式" not in answer
    assert cron in answer
    tz = ZoneInfo(running_bot.settings.timezone)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    fire = next_cron_time(cron, before, running_bot.settings.timezone)
    assert fire is not None
    local = fire.astimezone(tz)
    assert local.weekday() == 6  # Sunday
    assert f"{local:%Y-%m-%d} 21:00 (周日)" in answer


def test_staff_service_commands_say_what_they_would_do(running_bot: RunningBot) -> None:
    api = running_bot.api
    assert "将立即抓取 uspto_tm_daily" in api.say(STAFF, "/crawl uspto_tm_daily")
    assert "0 6 * * *" in api.say(STAFF, "/schedule uspto_tm_daily 0 6 * * *")
    assert "无效的定时表达式" in api.say(STAFF, "/schedule uspto_tm_daily 99 6 * * *")
    assert "不是有效的数据源名称" in api.say(STAFF, "/crawl ../etc")
    assert "https://example.org/exhibitors" in api.say(
        STAFF, "/expo set-url cieme-2026 https://example.org/exhibitors"
    )
    assert "不是 http(s) 网址" in api.say(STAFF, "/expo set-url cieme-2026 javascript:alert(1)")


def test_stats_audit_and_paging(running_bot: RunningBot) -> None:
    api = running_bot.api
    stats = api.say(STAFF, "/stats")
    assert "监测企业：" in stats
    assert "用户：" in stats
    audit = api.say(STAFF, "/audit 5")
    assert "审计日志" in audit
    assert audit.count("\n") <= 6
    assert "数量应为" in api.say(STAFF, "/audit 5000")
    first = api.ask(STAFF, "/watch list")[-1]
    pages = [data for _, data in buttons(first) if data.startswith("page:")]
    assert len(pages) >= 2, f"{FILLER_ENTRIES} fillers make more than one page"
    _answer, edit = api.press(STAFF, pages[-1], count=2)
    assert edit.method == "editMessageText"
    assert edit.params["text"] != first.params["text"]
    for request in api.calls("sendMessage") + api.calls("editMessageText"):
        assert len(request.params.get("text", "")) <= 4096


def test_unknown_commands_and_plain_text_get_a_hint(running_bot: RunningBot) -> None:
    assert "/help" in running_bot.api.say(ACME, "/frobnicate")
    assert "/help" in running_bot.api.say(ACME, "just some words")


def test_the_standin_serves_only_known_files() -> None:
    with BotStandIn() as api:
        assert api.serve_file(f"/file/bot{api.token}/documents/nope") == (404, b"not found")
        file_id = api.add_file(b"abc")
        assert api.serve_file(f"/file/bot{api.token}/documents/{file_id}") == (200, b"abc")
        assert api.serve_file(f"/bot{api.token}/getMe") is None


# -- the show floor: /expo, /flagged, /booth, on-site triage --------------------------------------------------------
def test_expo_lists_the_editions_with_crawl_status(running_bot: RunningBot) -> None:
    text = running_bot.api.say(ENFORCER, "/expo")
    assert "<b>cieme-2026</b>" in text
    assert "<b>giic-2026</b>" in text
    assert "exhibitors 3 · flagged 1" in text
    assert "抓取：" in running_bot.api.say(STAFF, "/expo")


def test_flagged_booths_of_the_current_show_by_hall(running_bot: RunningBot) -> None:
    api = running_bot.api
    text = api.say(ENFORCER, "/flagged")
    assert "flagged booths: 1" in text
    assert "<b>Hall E10</b>" in text
    assert "E10-A2 · 新淞智能装备有限公司" in text
    assert "(siasun)" in text
    assert "W1-A320" not in text
    assert "No flagged booth" in api.say(ENFORCER, "/flagged W1")
    assert "E10-A2" in api.say(STAFF, "/flagged e10")
    assert "U+0007" in api.say(ENFORCER, "/flagged E\u00071")


def test_booth_says_who_is_there_and_what_they_matched(running_bot: RunningBot) -> None:
    api = running_bot.api
    flagged = api.say(ENFORCER, "/booth E10-A2")
    assert "新淞智能装备有限公司" in flagged
    assert "(siasun)" in flagged
    clean = api.say(ENFORCER, "/booth W1-A320")
    assert "营口恒信液压设备有限公司" in clean
    assert "matches no watched enterprise" in clean
    assert "No exhibitor is listed" in api.say(ENFORCER, "/booth Z9-Z999")
    assert "Usage: /booth" in api.say(ENFORCER, "/booth <script>")


def test_enforcement_triages_exhibitor_alerts_with_on_site_buttons(running_bot: RunningBot) -> None:
    api = running_bot.api
    _header, card = api.ask(ENFORCER, "/alerts", count=2)
    assert "E10-A2" in card.params["text"]
    labels = buttons(card)
    assert [text for text, _ in labels] == ["Action taken", "Not found", "Escalate"]
    alert_id = int(labels[0][1].split(":")[2])
    answer, edit = api.press(ENFORCER, f"alert:confirm:{alert_id}", count=2)
    assert answer.params["text"] == "confirmed"
    assert [text for text, _ in buttons(edit)] == ["Not found", "Escalate"]
    # A trademark alert is not the floor team's to triage: the same answer as a missing one.
    [refused] = api.press(ENFORCER, f"alert:dismiss:{running_bot.acme_alert}")
    assert refused.params["text"] == "This item does not exist or is not yours to see."
    # Nor is an exhibitor alert of siasun an enterprise's business unless it is siasun's own.
    [foreign] = api.press(ACME, f"alert:dismiss:{alert_id}")
    assert foreign.params["text"] == "This item does not exist or is not yours to see."
    with running_bot.factory() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert alert.status == "confirmed"


# -- /sources and /report ---------------------------------------------------------------------------------------------
def test_sources_lists_each_source_with_its_last_run(running_bot: RunningBot) -> None:
    text = running_bot.api.say(STAFF, "/sources")
    assert "<b>数据源</b>" in text
    assert "giic-2026" in text or "uspto_tm_daily" in text


def documents_after(api: BotStandIn, start: int, user: int, settle: float = 2.0) -> list[object]:
    """Every document sent to ``user`` since ``start``, once none has arrived for ``settle`` seconds."""
    seen, quiet_since = -1, time.monotonic()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        sent = [r for r in api.requests[start:] if r.method == "sendDocument" and r.chat_id == str(user)]
        if len(sent) != seen:
            seen, quiet_since = len(sent), time.monotonic()
        elif sent and time.monotonic() - quiet_since > settle:
            return list(sent)
        time.sleep(0.1)
    raise AssertionError("no report documents arrived")


def cells(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return " ".join(
        str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
    )


def test_report_staff_whole_centre_enterprise_only_its_own(running_bot: RunningBot) -> None:
    api = running_bot.api
    period = dt.date.today().strftime("%Y-%m")
    start = api.request_count()
    assert "正在生成" in api.say(STAFF, f"/report {period}")
    staff_docs = documents_after(api, start, STAFF)
    [staff_xlsx] = [d for d in staff_docs if d.files["document"][0].endswith(".xlsx")]  # type: ignore[attr-defined]
    everything = cells(staff_xlsx.files["document"][1])  # type: ignore[attr-defined]
    assert "acme" in everything.lower()
    assert "blower" in everything.lower() or "沈阳鼓风机" in everything

    start = api.request_count()
    assert "Making the report" in api.say(ACME, f"/report {period}")
    acme_docs = documents_after(api, start, ACME)
    [acme_xlsx] = [d for d in acme_docs if d.files["document"][0].endswith(".xlsx")]  # type: ignore[attr-defined]
    own = cells(acme_xlsx.files["document"][1])  # type: ignore[attr-defined]
    assert "ACME" in own
    assert "SHENGU" not in own
    assert "沈阳鼓风机" not in own
    assert "Cannot make the report" in api.say(ACME, "/report last-tuesday", count=2)


def test_commands_in_a_group_get_no_reply(running_bot: RunningBot) -> None:
    """An enterprise's data never lands in a group chat: commands count in private chats only."""
    api = running_bot.api
    group = -100_777
    api.push_update(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": group, "type": "supergroup", "title": "expo team"},
                "from": BotStandIn.user(MULTI),
                "text": "/mywatch",
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            }
        }
    )
    assert "我的监测" in api.say(MULTI, "/mywatch")
    time.sleep(0.5)
    assert [r for r in api.requests if r.chat_id == str(group)] == []


BOTH_LANGUAGES = [
    # (user, command, replies) — commands that change nothing, so each can run twice
    (STAFF, "/help", 1),
    (STAFF, "/whoami", 1),
    (STAFF, "/lang", 1),
    (STAFF, "/cancel", 1),
    (STAFF, "/alerts 1", 2),
    (STAFF, "/settings", 1),
    (STAFF, "/check Totally Unrelated Pumps", 1),
    (STAFF, "/flagged", 1),
    (STAFF, "/booth W1-A320", 1),
    (STAFF, "/expo", 1),
    (STAFF, "/watch list", 1),
    (STAFF, "/watch show acme", 1),
    (STAFF, "/mark", 1),
    (STAFF, "/affiliate", 1),
    (STAFF, "/import", 1),
    (STAFF, "/users", 1),
    (STAFF, "/invite", 1),
    (STAFF, "/role", 1),
    (STAFF, "/revoke", 1),
    (STAFF, "/sources", 1),
    (STAFF, "/crawl uspto_tm_daily", 1),
    (STAFF, "/schedule", 1),
    (STAFF, "/expo set-url", 1),
    (STAFF, "/stats", 1),
    (STAFF, "/audit 3", 1),
    (STAFF, "/report 1999-13", 2),
    (STAFF, "/nosuchcommand", 1),
    (MULTI, "/mywatch", 1),
]


WORDING_KEYS = [
    key
    for key in json.loads((Path(__file__).parents[2] / "alertbot/templates/strings.json").read_text("utf-8"))[
        "en"
    ]
    if key.startswith("bot.")
]


def test_every_command_answers_in_both_languages(running_bot: RunningBot) -> None:
    """Each reply differs between Chinese and English and no wording key leaks through untranslated."""
    api = running_bot.api
    answers: dict[str, list[str]] = {}
    try:
        for lang in ("zh", "en"):
            for user in (STAFF, MULTI):
                api.say(user, f"/lang {lang}")
            for user, command, count in BOTH_LANGUAGES:
                text = " ".join(r.params.get("text", "") for r in api.ask(user, command, count=count))
                assert not [key for key in WORDING_KEYS if key in text], (command, text)
                answers.setdefault(command, []).append(text)
            caption = api.ask(STAFF, "/export")[0].params["caption"]
            answers.setdefault("/export", []).append(caption)
    finally:
        for user in (STAFF, MULTI):
            api.say(user, "/lang zh")
    same = [command for command, (zh, en) in answers.items() if zh == en]
    assert same == []
    assert all(re.search(r"[\u4e00-\u9fff]", zh) for zh, _ in answers.values())
