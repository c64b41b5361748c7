"""Email over SMTP (aiosmtplib): multipart text + HTML, RFC 2047 subjects, attachments for digests.

The MIME builder :func:`build_email` is shared with the file channel, so the ``.eml`` files the demo writes
are exactly what would have been mailed.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import TYPE_CHECKING, ClassVar, Literal

import aiosmtplib

from alertbot.notify.base import (
    Channel,
    ConfigurationDeliveryError,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownTargetError,
)

if TYPE_CHECKING:
    from alertbot.settings import Settings

# 7-bit transfer encodings (base64 / quoted-printable) keep Chinese bodies intact through relays without
# 8BITMIME; headers get RFC 2047 encoded words.
MAIL_POLICY = SMTP.clone(cte_type="7bit")
# A 5xx at RCPT is only evidence of a dead mailbox when the reply says so: the enhanced status 5.1.1
# ("bad destination mailbox address", RFC 3463) / 5.1.10 (null MX), or the classic wordings. Other 5xx
# replies at RCPT (550 5.7.1 "Relaying denied", greylisting, spam policy) are about our server or message.
UNKNOWN_MAILBOX = re.compile(
    r"\b5\.1\.(?:1|10)\b|user unknown|unknown user|no such user|unknown recipient|recipient unknown"
    r"|mailbox (?:not found|does not exist)|no such mailbox|does not exist|no mailbox here|invalid recipient",
    re.IGNORECASE,
)
# Replies that say our server's policy refused the mail (relaying, authentication, sender not allowed).
POLICY_REFUSAL = re.compile(
    r"\b5\.7\.\d+\b|relay|not permitted|authentication required|access denied|sender .*(?:denied|rejected)",
    re.IGNORECASE,
)


def message_fingerprint(message: Message, target: str) -> str:
    """A stable hash of what is sent to whom: the same message to the same target always hashes the same."""
    digest = hashlib.sha256()
    for part in (target, message.subject, message.text, ",".join(map(str, message.alert_ids))):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    for attachment in message.attachments:
        digest.update(attachment.filename.encode("utf-8"))
    return digest.hexdigest()


def stable_message_id(message: Message, recipient: str, sender: str) -> str:
    """A Message-ID derived from the content, so a retried send carries the same id and clients dedupe it."""
    domain = sender.rpartition("@")[2] or "alertbot.invalid"
    ids = "-".join(map(str, message.alert_ids)) or "notice"
    return f"<alertbot.{ids}.{message_fingerprint(message, recipient)[:24]}@{domain}>"


def build_email(
    message: Message, *, sender: str, recipient: str, date: datetime | None = None
) -> EmailMessage:
    """The MIME message: ``multipart/mixed[alternative[text, html], attachments...]`` (no mixed if none)."""
    mime = EmailMessage(policy=MAIL_POLICY)
    mime["Subject"] = message.subject
    mime["From"] = sender
    mime["To"] = recipient
    mime["Date"] = format_datetime(date or datetime.now(tz=UTC))
    mime["Message-ID"] = stable_message_id(message, recipient, sender)
    if message.alert_ids:
        mime["X-Alertbot-Alert-Ids"] = ",".join(map(str, message.alert_ids))
    mime.set_content(message.text, charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    # An attachment with a content_id (alertbot.report.mail.InlineImage: a report's charts) is shown inside
    # the HTML body (<img src="cid:...">): it joins the HTML part as multipart/related instead of the list.
    inline = [attachment for attachment in message.attachments if getattr(attachment, "content_id", "")]
    html_part = mime.get_body(preferencelist=("html",)) if inline else None
    if html_part is not None:
        for image in inline:
            maintype, _, subtype = image.mimetype.partition("/")
            html_part.add_related(
                image.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                cid=f"<{getattr(image, 'content_id', '')}>",
                filename=image.filename,
                disposition="inline",
            )
    for attachment in message.attachments:
        if attachment in inline:
            continue
        maintype, _, subtype = attachment.mimetype.partition("/")
        mime.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    # Set last: set_content() and add_attachment() move or drop Content-* headers already present.
    mime["Content-Language"] = "zh-CN" if message.lang == "zh" else message.lang
    return mime


def _check_address(target: str) -> str:
    address = target.strip()
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError) as error:
        raise PermanentDeliveryError(f"not an email address: {target!r} ({error})") from error
    if not parsed.username or not parsed.domain:
        raise PermanentDeliveryError(f"not an email address: {target!r}")
    return address


class EmailChannel(Channel):
    """Email over SMTP with STARTTLS, implicit TLS (SSL) or no TLS, and login when a user is set."""

    name: ClassVar[str] = "email"
    description: ClassVar[str] = "SMTP email (ALERTBOT_SMTP_HOST ...); target = email address"

    def __init__(
        self,
        host: str,
        *,
        port: int = 587,
        sender: str = "alertbot@localhost",
        username: str | None = None,
        password: str | None = None,
        tls: Literal["starttls", "ssl", "none"] = "starttls",
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """``tls_context`` lets a deployment (or a test) trust a private CA; the default verifies certificates."""
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.tls = tls
        self.timeout = timeout
        self.tls_context = tls_context

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailChannel | None:
        """Off until ``ALERTBOT_SMTP_HOST`` is set."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_user or None,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
        )

    def config_identity(self) -> tuple[object, ...]:
        """Server, port, TLS mode, sender and login."""
        return (self.name, self.host, self.port, self.tls, self.sender, self.username, self.password)

    async def send(self, target: str, message: Message) -> str:
        """Mail ``message`` to the address ``target``; return its Message-ID."""
        recipient = _check_address(target)
        mime = build_email(message, sender=self.sender, recipient=recipient)
        try:
            await aiosmtplib.send(
                mime,
                sender=self.sender,
                recipients=[recipient],
                hostname=self.host,
                port=self.port,
                username=self.username if self.username else None,
                password=self.password if self.username else None,
                use_tls=self.tls == "ssl",
                start_tls=self.tls == "starttls",
                timeout=self.timeout,
                tls_context=self.tls_context,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refusal = error.recipients[0]
            raise self._refused(refusal.code, refusal.message, recipient, mailbox=True) from error
        except aiosmtplib.SMTPAuthenticationError as error:
            raise ConfigurationDeliveryError(
                f"SMTP server {self.host}:{self.port} refused the login (check ALERTBOT_SMTP_USER and "
                f"ALERTBOT_SMTP_PASSWORD): {error.code} {error.message}"
            ) from error
        except aiosmtplib.SMTPSenderRefused as error:
            raise ConfigurationDeliveryError(
                f"SMTP server {self.host}:{self.port} refused the sender {self.sender} (check "
                f"ALERTBOT_SMTP_FROM and the server's policy): {error.code} {error.message}"
            ) from error
        except aiosmtplib.SMTPResponseException as error:
            raise self._refused(error.code, error.message, recipient, mailbox=False) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            # Connection refused, server gone, timeouts, TLS handshake failures: the server may be back later.
            raise TransientDeliveryError(
                f"SMTP server {self.host}:{self.port} unavailable: {error}"
            ) from error
        return str(mime["Message-ID"])

    def _refused(self, code: int, reply: str, recipient: str, *, mailbox: bool) -> Exception:
        """4xx is temporary. A 5xx naming the mailbox as unknown is one strike against that address; a 5xx
        policy refusal (relaying denied, authentication required) is our configuration, so the rows wait;
        any other 5xx fails the message."""
        text = f"SMTP server {self.host}:{self.port} refused mail to {recipient}: {code} {reply}"
        if 400 <= code < 500:
            return TransientDeliveryError(text)
        if mailbox and code in (550, 551, 553) and UNKNOWN_MAILBOX.search(reply):
            return UnknownTargetError(text)
        if code in (530, 535, 538) or POLICY_REFUSAL.search(reply):
            return ConfigurationDeliveryError(f"{text} (a server policy refusal: check the SMTP settings)")
        return PermanentDeliveryError(text)
