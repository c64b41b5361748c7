"""Who may use the bot: the first staff member, one-time invite codes, joining, roles and revocation.

The CLI (``alertbot users``) and the staff commands (``/invite``, ``/role``, ``/revoke``, ``/users``) both call
these functions inside the caller's transaction; every change is audit-logged with the actor. Errors carry a
message key from ``alertbot/templates/strings.json`` so each side words them in its user's language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, col, select

from alertbot.models import AuditLog, Enterprise, Invite, Risk, Role, Subscriber, utcnow
from alertbot.notify.render import translate

INVITE_CODE_BYTES = 12
"""16 URL-safe characters: fits a ``t.me/<bot>?start=CODE`` deep link (64 characters, ``[A-Za-z0-9_-]``)."""


class MembershipError(ValueError):
    """A user-management request that cannot be carried out; ``key`` names the wording in strings.json."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(translate(key, "en", **values))

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return translate(self.key, lang, **self.values)


def code_hash(code: str) -> str:
    """What the database stores of an invite code."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


def parse_role(value: str) -> Role:
    """A role from user input, or :class:`MembershipError`."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise MembershipError("bot.err.role", role=value[:40]) from None


def check_enterprises(session: Session, role: Role, enterprise_ids: Sequence[str]) -> list[str]:
    """The validated enterprise list for ``role``: one or more existing ids for an enterprise user, none else."""
    ids = list(dict.fromkeys(e.strip() for e in enterprise_ids if e.strip()))
    if role != Role.ENTERPRISE:
        if ids:
            raise MembershipError("bot.err.enterprise_for_role", role=role.value)
        return []
    if not ids:
        raise MembershipError("bot.err.enterprise_needed")
    known = set(session.exec(select(Enterprise.id).where(col(Enterprise.id).in_(ids))).all())
    missing = [e for e in ids if e not in known]
    if missing:
        raise MembershipError("bot.err.enterprise_unknown", id=", ".join(m[:64] for m in missing))
    return ids


def _snapshot(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "name": subscriber.name,
        "role": subscriber.role,
        "enterprise_ids": sorted(subscriber.linked_enterprises()),
        "active": subscriber.active,
        "telegram_user_id": subscriber.telegram_user_id,
    }


def audit_subscriber(
    session: Session,
    actor: str,
    action: str,
    subscriber: Subscriber,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None = None,
) -> None:
    """One audit row for a change to a subscriber (``after`` defaults to its membership snapshot)."""
    session.flush()
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity_type="subscriber",
            entity_id=str(subscriber.id),
            before=before,
            after=after if after is not None else _snapshot(subscriber),
        )
    )


def by_telegram_id(session: Session, telegram_user_id: int, *, active_only: bool = True) -> Subscriber | None:
    """The subscriber registered with this Telegram user id."""
    query = select(Subscriber).where(Subscriber.telegram_user_id == telegram_user_id)
    if active_only:
        query = query.where(Subscriber.active == True)  # noqa: E712
    return session.exec(query.order_by(col(Subscriber.id).desc())).first()


def add_staff(session: Session, telegram_user_id: int, name: str, *, actor: str) -> Subscriber:
    """Register (or promote) a Telegram user as staff, with Telegram alerts to that chat."""
    subscriber = by_telegram_id(session, telegram_user_id, active_only=False)
    before = _snapshot(subscriber) if subscriber is not None else None
    if subscriber is None:
        subscriber = Subscriber(
            name=name or f"staff {telegram_user_id}",
            telegram_user_id=telegram_user_id,
            channels={"telegram": str(telegram_user_id)},
        )
    if name:
        subscriber.name = name
    subscriber.role = Role.STAFF.value
    subscriber.enterprise_id = None
    subscriber.enterprise_ids = []
    subscriber.active = True
    session.add(subscriber)
    audit_subscriber(session, actor, "user.add_staff", subscriber, before)
    return subscriber


def create_invite(
    session: Session,
    role: Role | str,
    enterprise_ids: Sequence[str],
    *,
    actor: str,
    ttl: dt.timedelta,
    now: dt.datetime | None = None,
) -> tuple[str, Invite]:
    """A new one-time invite code (returned once, stored hashed) and its row."""
    role = parse_role(str(role))
    ids = check_enterprises(session, role, enterprise_ids)
    code = secrets.token_urlsafe(INVITE_CODE_BYTES)
    now = now or utcnow()
    invite = Invite(
        code_hash=code_hash(code),
        role=role.value,
        enterprise_ids=ids,
        created_by=actor,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    session.add(
        AuditLog(
            actor=actor,
            action="user.invite",
            entity_type="invite",
            entity_id=invite.code_hash[:12],
            after={"role": role.value, "enterprise_ids": ids, "expires_at": invite.expires_at.isoformat()},
        )
    )
    return code, invite


def redeem_invite(
    session: Session,
    code: str,
    *,
    telegram_user_id: int,
    chat_id: int,
    name: str,
    language: str,
    now: dt.datetime | None = None,
) -> Subscriber:
    """Join with ``code``: a new subscriber with the invite's role, Telegram alerts to ``chat_id``, instantly,
    from the lowest risk up. A used, expired or unknown code is refused, the same way."""
    now = now or utcnow()
    invite = session.get(Invite, code_hash(code)) if code and len(code) <= 64 else None
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise MembershipError("bot.err.invite")
    if by_telegram_id(session, telegram_user_id) is not None:
        raise MembershipError("bot.err.already_member")
    ids = list(invite.enterprise_ids)
    subscriber = Subscriber(
        name=name[:100] or f"user {telegram_user_id}",
        role=invite.role,
        enterprise_id=ids[0] if ids else None,
        enterprise_ids=ids,
        language=language if language in ("zh", "en") else "zh",
        min_risk=Risk.LOW.value,
        digest="instant",
        channels={"telegram": str(chat_id)},
        telegram_user_id=telegram_user_id,
    )
    invite.used_at = now
    invite.used_by = telegram_user_id
    session.add(invite)
    session.add(subscriber)
    audit_subscriber(session, f"telegram:{telegram_user_id}:{subscriber.name}", "user.join", subscriber, None)
    return subscriber


def _active_staff(session: Session) -> list[Subscriber]:
    return list(
        session.exec(
            select(Subscriber).where(Subscriber.role == Role.STAFF.value, Subscriber.active == True)  # noqa: E712
        ).all()
    )


def _keep_one_staff(session: Session, subscriber: Subscriber) -> None:
    staff = _active_staff(session)
    if subscriber.role == Role.STAFF.value and [s.id for s in staff] == [subscriber.id]:
        raise MembershipError("bot.err.last_staff")


def revoke(session: Session, telegram_user_id: int, *, actor: str) -> Subscriber:
    """Deactivate a user: no more alerts, no more commands. The last staff member cannot be revoked."""
    subscriber = by_telegram_id(session, telegram_user_id)
    if subscriber is None:
        raise MembershipError("bot.err.user_unknown", id=telegram_user_id)
    _keep_one_staff(session, subscriber)
    before = _snapshot(subscriber)
    subscriber.active = False
    session.add(subscriber)
    audit_subscriber(session, actor, "user.revoke", subscriber, before)
    return subscriber


def set_role(
    session: Session, telegram_user_id: int, role: Role | str, enterprise_ids: Sequence[str], *, actor: str
) -> Subscriber:
    """Change a user's role (and enterprises); the last staff member keeps staff."""
    role = parse_role(str(role))
    subscriber = by_telegram_id(session, telegram_user_id)
    if subscriber is None:
        raise MembershipError("bot.err.user_unknown", id=telegram_user_id)
    ids = check_enterprises(session, role, enterprise_ids)
    if role != Role.STAFF:
        _keep_one_staff(session, subscriber)
    before = _snapshot(subscriber)
    subscriber.role = role.value
    subscriber.enterprise_ids = ids
    subscriber.enterprise_id = ids[0] if ids else None
    session.add(subscriber)
    audit_subscriber(session, actor, "user.role", subscriber, before)
    return subscriber


def list_users(session: Session, *, include_inactive: bool = False) -> list[Subscriber]:
    """Subscribers by role, then id."""
    query = select(Subscriber)
    if not include_inactive:
        query = query.where(Subscriber.active == True)  # noqa: E712
    rows = session.exec(query.order_by(col(Subscriber.id))).all()
    order = {Role.STAFF.value: 0, Role.ENFORCEMENT.value: 1, Role.ENTERPRISE.value: 2}
    return sorted(rows, key=lambda s: (order.get(s.role, 9), s.id or 0))


def describe_user(subscriber: Subscriber) -> str:
    """One plain-text line: Telegram id, name, role, enterprises."""
    enterprises = ",".join(sorted(subscriber.linked_enterprises()))
    state = "" if subscriber.active else " (revoked)"
    return (
        f"{subscriber.telegram_user_id or '-'}  {subscriber.name}  {subscriber.role}"
        f"{'  ' + enterprises if enterprises else ''}{state}"
    )


def update_subscriber(
    session: Session, subscriber_id: int, changes: dict[str, Any], *, actor: str, action: str
) -> Subscriber:
    """Apply preference changes (language, risk, digest, channels) to a subscriber, audit-logged."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise MembershipError("bot.err.user_unknown", id=subscriber_id)
    before = {key: getattr(subscriber, key) for key in changes}
    for key, value in changes.items():
        setattr(subscriber, key, value)
    session.add(subscriber)
    session.flush()
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity_type="subscriber",
            entity_id=str(subscriber.id),
            before=before,
            after=dict(changes),
        )
    )
    return subscriber


def split_ids(values: Iterable[str]) -> list[str]:
    """Enterprise ids from arguments separated by spaces or commas."""
    return [part for value in values for part in value.replace(",", " ").split() if part]
