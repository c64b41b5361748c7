"""Subscribers that are not bot users: e-mail, WeCom, DingTalk, Feishu, Apprise and file recipients.

A subscriber is the row the alerting fan-out and the outbox dispatcher read (:class:`alertbot.models.Subscriber`:
role, enterprises, ``channels`` {channel name: target}). Telegram users join through invites
(:mod:`alertbot.bot.members`); everyone else is added here (``alertbot subscribers``). Every change is
audit-logged with the actor, like the bot's user management. Errors are Chinese first, then English.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from alertbot.bot.members import MembershipError, audit_subscriber, check_enterprises, parse_role
from alertbot.models import Risk, Role, Subscriber
from alertbot.notify import CHANNELS, PermanentDeliveryError
from alertbot.notify.email import _check_address
from alertbot.notify.telegram import _chat_id
from alertbot.textsafety import control_characters, hidden_characters

NAME_MAX = 100
TARGET_MAX = 500
ROBOT_CHANNELS = frozenset({"wecom", "dingtalk", "feishu"})
"""Channels whose target is a robot key or token (a secret): '' means the robot configured in the environment."""
ADDRESS_CHANNELS = frozenset({"email", "file"})
LANGUAGES = ("zh", "en")
DIGESTS = ("instant", "daily")


class SubscriberError(ValueError):
    """A request that cannot be carried out; the message is Chinese, then `` / `` and English."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")


def _from_membership(error: MembershipError) -> SubscriberError:
    return SubscriberError(error.text("zh"), error.text("en"))


def shown_target(channel: str, target: str) -> str:
    """A target as it may be printed or audit-logged: robot keys are secrets and show only their last 4."""
    if channel not in ROBOT_CHANNELS:
        return target
    if not target:
        return "(默认机器人 default robot)"
    return "***" + target[-4:] if len(target) > 8 else "***"


def _check_text(value: str, zh_field: str, en_field: str, limit: int) -> str:
    text = value.strip()
    bad = hidden_characters(text) + control_characters(text)
    if bad:
        raise SubscriberError(
            f"{zh_field}含有不可见或控制字符 {', '.join(bad)}",
            f"the {en_field} holds hidden or control characters",
        )
    if len(text) > limit:
        raise SubscriberError(
            f"{zh_field}超过 {limit} 个字符", f"the {en_field} is longer than {limit} characters"
        )
    return text


def parse_channel(value: str) -> tuple[str, str]:
    """``NAME=TARGET`` checked against the channel registry and the channel's kind of target."""
    name, separator, target = value.partition("=")
    name = name.strip().lower()
    known = ", ".join(CHANNELS)
    if not separator:
        raise SubscriberError(
            f"渠道「{value[:60]}」应写成 渠道=目标，如 email=ip@siasun.com",
            f"channel {value[:60]!r} must be NAME=TARGET, e.g. email=ip@siasun.com",
        )
    if name not in CHANNELS:
        raise SubscriberError(
            f"未知渠道「{name[:40]}」，可选：{known}", f"unknown channel {name[:40]!r}; use one of {known}"
        )
    target = _check_text(target, f"{name} 目标", f"{name} target", TARGET_MAX)
    try:
        if name in ADDRESS_CHANNELS:
            target = _check_address(target)
        elif name == "telegram":
            _chat_id(target)
    except PermanentDeliveryError:
        kind = "邮箱地址" if name in ADDRESS_CHANNELS else "会话 id 或 @频道名"
        english = "an e-mail address" if name in ADDRESS_CHANNELS else "a chat id or @channel name"
        raise SubscriberError(
            f"{name} 目标「{target[:80]}」不是有效的{kind}", f"{name} target {target[:80]!r} is not {english}"
        ) from None
    if name == "apprise" and not target:
        raise SubscriberError(
            "apprise 目标应为 ALERTBOT_APPRISE_URLS 中的名称",
            "an apprise target is a NAME from ALERTBOT_APPRISE_URLS",
        )
    if name in ROBOT_CHANNELS and any(ch.isspace() for ch in target):
        raise SubscriberError(f"{name} 机器人密钥不能含空格", f"a {name} robot key holds no spaces")
    return name, target


def parse_channels(values: Sequence[str]) -> dict[str, str]:
    """Every ``NAME=TARGET``; at least one, each channel once."""
    channels: dict[str, str] = {}
    for value in values:
        name, target = parse_channel(value)
        if name in channels:
            raise SubscriberError(f"渠道 {name} 给了两次", f"channel {name} is given twice")
        channels[name] = target
    if not channels:
        raise SubscriberError(
            "至少需要一个渠道（--channel 渠道=目标），否则收不到预警",
            "give at least one channel (--channel NAME=TARGET); without one nothing is delivered",
        )
    return channels


def snapshot(subscriber: Subscriber) -> dict[str, Any]:
    """What the audit log keeps of a subscriber (robot keys masked)."""
    return {
        "name": subscriber.name,
        "role": subscriber.role,
        "enterprise_ids": sorted(subscriber.linked_enterprises()),
        "channels": {
            name: shown_target(name, target) for name, target in sorted(subscriber.channels.items())
        },
        "language": subscriber.language,
        "min_risk": subscriber.min_risk,
        "digest": subscriber.digest,
        "active": subscriber.active,
    }


def add_subscriber(
    session: Session,
    *,
    name: str,
    role: str,
    enterprise_ids: Sequence[str],
    channels: Sequence[str],
    language: str = "zh",
    min_risk: str = Risk.LOW.value,
    digest: str = "instant",
    actor: str,
) -> Subscriber:
    """Add an active subscriber receiving alerts on ``channels`` (``NAME=TARGET`` each), audit-logged."""
    clean_name = _check_text(name, "名称", "name", NAME_MAX)
    if not clean_name:
        raise SubscriberError("名称不能为空", "the name is empty")
    try:
        parsed_role = parse_role(role)
        ids = check_enterprises(session, parsed_role, enterprise_ids)
    except MembershipError as error:
        raise _from_membership(error) from None
    if language not in LANGUAGES:
        raise SubscriberError(
            f"语言「{language[:10]}」应为 zh 或 en", f"language {language[:10]!r} must be zh or en"
        )
    if min_risk not in tuple(Risk):
        raise SubscriberError(
            f"最低风险「{min_risk[:10]}」应为 low、medium 或 high",
            f"minimum risk {min_risk[:10]!r}: low, medium or high",
        )
    if digest not in DIGESTS:
        raise SubscriberError(
            f"推送方式「{digest[:10]}」应为 instant 或 daily", f"digest {digest[:10]!r}: instant or daily"
        )
    targets = parse_channels(channels)
    for other in session.exec(select(Subscriber).where(Subscriber.active == True)).all():  # noqa: E712
        for channel, target in targets.items():
            # An address on two subscribers gets every alert twice; robot '' (the configured robot) is shared.
            if target and other.channels.get(channel) == target:
                shown = shown_target(channel, target)
                raise SubscriberError(
                    f"{channel} {shown} 已属于订阅者 #{other.id}（{other.name}）",
                    f"{channel} {shown} already belongs to subscriber #{other.id} ({other.name})",
                )
    subscriber = Subscriber(
        name=clean_name,
        role=parsed_role.value,
        enterprise_id=ids[0] if ids else None,
        enterprise_ids=ids,
        language=language,
        min_risk=min_risk,
        digest=digest,
        channels=targets,
    )
    session.add(subscriber)
    audit_subscriber(session, actor, "subscriber.add", subscriber, None, snapshot(subscriber))
    return subscriber


def list_subscribers(session: Session, *, include_inactive: bool = False) -> list[Subscriber]:
    """Every subscriber (bot users too), by id."""
    query = select(Subscriber)
    if not include_inactive:
        query = query.where(Subscriber.active == True)  # noqa: E712
    return list(session.exec(query.order_by(col(Subscriber.id))).all())


def remove_subscriber(session: Session, subscriber_id: int, *, actor: str) -> Subscriber:
    """Deactivate a subscriber: nothing more is queued for them (the row stays for the delivery history).
    The last active staff member stays."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or not subscriber.active:
        raise SubscriberError(f"没有有效的订阅者 #{subscriber_id}", f"no active subscriber #{subscriber_id}")
    if subscriber.role == Role.STAFF.value:
        staff = session.exec(
            select(Subscriber.id).where(Subscriber.role == Role.STAFF.value, Subscriber.active == True)  # noqa: E712
        ).all()
        if list(staff) == [subscriber.id]:
            raise _from_membership(MembershipError("bot.err.last_staff"))
    before = snapshot(subscriber)
    subscriber.active = False
    session.add(subscriber)
    audit_subscriber(session, actor, "subscriber.remove", subscriber, before, snapshot(subscriber))
    return subscriber
