"""The file channel writes parseable .eml files, once per message and target, atomically."""
# ruff: noqa: ASYNC240 - the tests inspect the written files; blocking a test loop briefly is fine.

from __future__ import annotations

import asyncio
import email
import io
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alertbot.notify.base import AlertView, TransientDeliveryError
from alertbot.notify.file import DEFAULT_RECIPIENT, FileChannel
from alertbot.notify.render import render_alert, render_digest, render_notice
from alertbot.settings import Settings


def _read(path: str) -> EmailMessage:
    message = email.message_from_bytes(Path(path).read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


async def test_writes_a_parseable_eml(tmp_path: Path, alert_view: Callable[..., AlertView]) -> None:
    channel = FileChannel(tmp_path / "outbox")
    message = render_alert(alert_view(), "zh")
    path = await channel.send("legal@enterprise.example", message)

    assert Path(path).parent == tmp_path / "outbox"
    assert Path(path).name.startswith("alert-4711-")
    assert Path(path).suffix == ".eml"
    parsed = _read(path)
    assert parsed["Subject"] == message.subject
    assert parsed["To"] == "legal@enterprise.example"
    assert parsed["Message-ID"]
    plain, rich = parsed.iter_parts()
    assert plain.get_content().replace("\r\n", "\n") == message.text
    assert rich.get_content_type() == "text/html"
    assert [entry.name for entry in (tmp_path / "outbox").iterdir()] == [
        Path(path).name
    ]  # no temp files left


async def test_a_retry_never_writes_twice(tmp_path: Path, alert_view: Callable[..., AlertView]) -> None:
    channel = FileChannel(tmp_path)
    message = render_alert(alert_view(), "en")
    first = await channel.send("", message)
    before = Path(first).stat().st_mtime_ns
    results = await asyncio.gather(*(channel.send("", message) for _ in range(5)))
    assert set(results) == {first}
    assert Path(first).stat().st_mtime_ns == before
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert _read(first)["To"] == DEFAULT_RECIPIENT
    # Another target or another message is another file.
    await channel.send("b@x.example", message)
    await channel.send("", render_alert(alert_view(status="confirmed"), "en"))
    assert len(list(tmp_path.glob("*.eml"))) == 3


async def test_digest_eml_carries_the_workbook(tmp_path: Path, alert_view: Callable[..., AlertView]) -> None:
    channel = FileChannel(tmp_path)
    message = render_digest([alert_view(alert_id=index) for index in (3, 1, 2)], "zh")
    path = await channel.send("", message)
    assert Path(path).name.startswith("alert-1-2-3-") or Path(path).name.startswith("alert-3-1-2-")
    attachment = next(_read(path).iter_attachments())
    rows = list(load_workbook(io.BytesIO(attachment.get_content())).active.iter_rows(values_only=True))
    assert len(rows) == 4


async def test_many_alert_ids_keep_the_file_name_short(
    tmp_path: Path, alert_view: Callable[..., AlertView]
) -> None:
    message = render_digest([alert_view(alert_id=index) for index in range(200)], "en")
    path = await FileChannel(tmp_path).send("", message)
    assert "-and-195-more-" in Path(path).name
    assert len(Path(path).name) < 100


async def test_unwritable_folder_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(TransientDeliveryError, match="cannot write"):
        await FileChannel(blocker / "outbox").send("", render_notice("a", "b"))


def test_always_configured_from_settings(tmp_path: Path) -> None:
    channel = FileChannel.from_settings(Settings(_env_file=None, outbox_dir=tmp_path / "o"))
    assert channel.directory == tmp_path / "o"
