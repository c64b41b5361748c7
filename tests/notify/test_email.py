"""The email channel against a real aiosmtpd server on 127.0.0.1 (plain, login, STARTTLS, implicit TLS)."""

from __future__ import annotations

import datetime as dt
import email
import io
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from openpyxl import load_workbook

from alertbot.notify.base import (
    AlertView,
    ConfigurationDeliveryError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownTargetError,
)
from alertbot.notify.email import EmailChannel
from alertbot.notify.render import XLSX_MIMETYPE, render_alert, render_digest
from alertbot.settings import Settings
from tests.notify.conftest import free_port

USER, PASSWORD = "alertbot", "s3cret-密码"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class RecordingHandler:
    """Records every accepted message; refuses recipients listed in ``refuse``."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data
        tls = server.transport.get_extra_info("ssl_object") is not None or session.ssl is not None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls, login)
        )
        return "250 Message accepted"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    ):
        return AuthResult(success=True, auth_data=auth_data.login)
    return AuthResult(success=False, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with ``cryptography``."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def _client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[RecordingHandler, int]]]:
    """Start aiosmtpd servers on pre-picked free ports (port=0 does not work, notes §7)."""
    controllers: list[Controller] = []

    def start(port: int | None = None, **options: Any) -> tuple[RecordingHandler, int]:
        handler = RecordingHandler()
        chosen = port or free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=chosen, **options)
        controller.start()
        controllers.append(controller)
        return handler, chosen

    yield start
    for controller in controllers:
        controller.stop()


async def test_alert_mail_has_encoded_chinese_subject_and_both_parts(
    smtp_server: Callable[..., tuple[RecordingHandler, int]], alert_view: Callable[..., AlertView]
) -> None:
    handler, port = smtp_server()
    channel = EmailChannel("127.0.0.1", port=port, sender="alerts@ipr-sy.example", tls="none")
    message = render_alert(alert_view(), "zh")

    message_id = await channel.send("legal@enterprise.example", message)

    (received,) = handler.received
    assert received.mail_from == "alerts@ipr-sy.example"
    assert received.rcpt_tos == ["legal@enterprise.example"]
    raw_headers = received.content.split(b"\r\n\r\n", 1)[0].decode("ascii")  # 7-bit clean on the wire
    assert "Subject: =?utf-8?" in raw_headers
    parsed = received.parsed()
    assert parsed["Subject"] == message.subject == "[高风险] 商标预警：SHENGU — 沈阳鼓风机集团股份有限公司"
    assert parsed["From"] == "alerts@ipr-sy.example"
    assert parsed["To"] == "legal@enterprise.example"
    assert parsed["Message-ID"] == message_id
    assert message_id.endswith("@ipr-sy.example>")
    assert parsed["Date"].datetime.tzinfo is not None
    assert parsed["Content-Language"] == "zh-CN"
    assert parsed["X-Alertbot-Alert-Ids"] == "4711"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, rich = parsed.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert rich.get_content_type() == "text/html"
    assert plain.get_content().replace("\r\n", "\n") == message.text
    assert rich.get_content().replace("\r\n", "\n") == message.html
    assert "申请人" in plain.get_content()


async def test_digest_mail_carries_the_xlsx(
    smtp_server: Callable[..., tuple[RecordingHandler, int]], alert_view: Callable[..., AlertView]
) -> None:
    handler, port = smtp_server()
    channel = EmailChannel("127.0.0.1", port=port, tls="none")
    message = render_digest([alert_view(alert_id=1), alert_view(alert_id=2, risk="low")], "en")
    await channel.send("staff@centre.example", message)

    parsed = handler.received[0].parsed()
    assert parsed.get_content_type() == "multipart/mixed"
    body, attachment = parsed.iter_parts()
    assert [part.get_content_type() for part in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == XLSX_MIMETYPE
    assert attachment.get_filename() == message.attachments[0].filename
    content = attachment.get_content()
    assert content == message.attachments[0].content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [1, 2]
    assert parsed["Subject"] == "Alert digest: 2 alerts (1 high risk)"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_login_on_a_plain_connection(
    smtp_server: Callable[..., tuple[RecordingHandler, int]], alert_view: Callable[..., AlertView]
) -> None:
    handler, port = smtp_server(authenticator=_authenticator, auth_require_tls=False, auth_required=True)
    channel = EmailChannel("127.0.0.1", port=port, tls="none", username=USER, password=PASSWORD)
    await channel.send("a@b.example", render_alert(alert_view(), "en"))
    assert handler.received[0].login == USER

    wrong = EmailChannel("127.0.0.1", port=port, tls="none", username=USER, password="nope")
    # A refused login is our configuration, not the message's or the recipient's fault: the rows wait.
    with pytest.raises(ConfigurationDeliveryError, match="535"):
        await wrong.send("a@b.example", render_alert(alert_view(), "en"))
    assert len(handler.received) == 1


async def test_starttls_with_login(
    smtp_server: Callable[..., tuple[RecordingHandler, int]],
    alert_view: Callable[..., AlertView],
    certificate: tuple[Path, Path],
) -> None:
    handler, port = smtp_server(
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    channel = EmailChannel(
        "127.0.0.1",
        port=port,
        tls="starttls",
        username=USER,
        password=PASSWORD,
        tls_context=_client_context(certificate),
    )
    await channel.send("a@b.example", render_alert(alert_view(), "zh"))
    (received,) = handler.received
    assert received.tls is True
    assert received.login == USER


async def test_starttls_refuses_an_untrusted_certificate(
    smtp_server: Callable[..., tuple[RecordingHandler, int]],
    alert_view: Callable[..., AlertView],
    certificate: tuple[Path, Path],
) -> None:
    handler, port = smtp_server(tls_context=_server_context(certificate), require_starttls=True)
    channel = EmailChannel("127.0.0.1", port=port, tls="starttls", timeout=5)
    with pytest.raises(TransientDeliveryError, match="unavailable"):
        await channel.send("a@b.example", render_alert(alert_view(), "zh"))
    assert handler.received == []


async def test_implicit_tls(
    smtp_server: Callable[..., tuple[RecordingHandler, int]],
    alert_view: Callable[..., AlertView],
    certificate: tuple[Path, Path],
) -> None:
    handler, port = smtp_server(ssl_context=_server_context(certificate))
    channel = EmailChannel("127.0.0.1", port=port, tls="ssl", tls_context=_client_context(certificate))
    await channel.send("a@b.example", render_alert(alert_view(), "en"))
    assert handler.received[0].tls is True


async def test_recipient_refusals(
    smtp_server: Callable[..., tuple[RecordingHandler, int]], alert_view: Callable[..., AlertView]
) -> None:
    handler, port = smtp_server()
    handler.refuse = {
        "gone@b.example": "550 5.1.1 No such user",
        "old@b.example": "550 Requested action not taken: user unknown",
        "full@b.example": "452 4.2.2 Mailbox full, try later",
        "any@b.example": "550 5.7.1 Relaying denied",
        "spam@b.example": "554 5.6.0 Message rejected as spam",
    }
    channel = EmailChannel("127.0.0.1", port=port, tls="none")
    # (address, error class the refusal must be read as)
    cases: list[tuple[str, type[Exception]]] = [
        ("gone@b.example", UnknownTargetError),  # one strike against that address, no more
        ("old@b.example", UnknownTargetError),
        ("full@b.example", TransientDeliveryError),
        ("any@b.example", ConfigurationDeliveryError),  # the server's policy, never the mailbox's fault
        ("spam@b.example", PermanentDeliveryError),  # this message refused: failed, address kept
    ]
    for address, expected in cases:
        with pytest.raises(DeliveryError) as caught:
            await channel.send(address, render_alert(alert_view(), "en"))
        assert type(caught.value) is expected, (address, caught.value)
        assert not getattr(caught.value, "deactivate_target", False)
    assert handler.received == []


async def test_smtp_down_then_up_delivers_exactly_once(
    smtp_server: Callable[..., tuple[RecordingHandler, int]], alert_view: Callable[..., AlertView]
) -> None:
    port = free_port()
    channel = EmailChannel("127.0.0.1", port=port, tls="none", timeout=5)
    message = render_alert(alert_view(), "zh")
    for _ in range(3):
        with pytest.raises(TransientDeliveryError, match="unavailable"):
            await channel.send("a@b.example", message)
    handler, _ = smtp_server(port=port)
    first_id = await channel.send("a@b.example", message)
    assert len(handler.received) == 1
    assert handler.received[0].parsed()["Message-ID"] == first_id
    # A retry of the same message carries the same Message-ID, so mail clients show it once.
    assert await channel.send("a@b.example", message) == first_id


async def test_bad_address_is_permanent_without_connecting(alert_view: Callable[..., AlertView]) -> None:
    channel = EmailChannel("127.0.0.1", port=free_port(), tls="none")
    for target in ("", "no-at-sign", "a@"):
        with pytest.raises(PermanentDeliveryError, match="not an email address"):
            await channel.send(target, render_alert(alert_view(), "en"))


def test_from_settings() -> None:
    assert EmailChannel.from_settings(Settings(_env_file=None)) is None
    channel = EmailChannel.from_settings(
        Settings(
            _env_file=None,
            smtp_host="mail.example",
            smtp_port=465,
            smtp_tls="ssl",
            smtp_user="u",
            smtp_password="p",
            smtp_from="x@y.example",
        )
    )
    assert channel is not None
    assert (channel.host, channel.port, channel.tls, channel.username, channel.password, channel.sender) == (
        "mail.example",
        465,
        "ssl",
        "u",
        "p",
        "x@y.example",
    )
