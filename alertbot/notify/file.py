"""The file channel: every message becomes an RFC 5322 ``.eml`` file in ``ALERTBOT_OUTBOX_DIR``.

It is the demo's channel and is always configured (it needs no account). Any mail client opens the files.
The file name is built from the alert ids and a hash of the content and target, and the file is written to a
temporary name and hard-linked into place (never overwriting), so a retried send finds its file and never writes a second copy.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from alertbot.notify.base import Channel, Message, PermanentDeliveryError, TransientDeliveryError
from alertbot.notify.email import build_email, message_fingerprint

if TYPE_CHECKING:
    from alertbot.settings import Settings

DEFAULT_RECIPIENT = "outbox@localhost"


class FileChannel(Channel):
    """Writes .eml files into a folder (the demo's channel; always on); target = recipient shown in To:."""

    name: ClassVar[str] = "file"
    description: ClassVar[str] = ".eml files in ALERTBOT_OUTBOX_DIR (always on); target = To: address or ''"

    def __init__(self, directory: Path, *, sender: str = "alertbot@localhost") -> None:
        self.directory = directory
        self.sender = sender

    @classmethod
    def from_settings(cls, settings: Settings) -> FileChannel:
        """Always configured: the outbox folder has a default (``./outbox``)."""
        return cls(settings.outbox_dir, sender=settings.smtp_from)

    def config_identity(self) -> tuple[object, ...]:
        """The directory the files go to."""
        return (self.name, str(self.directory))

    def path_for(self, target: str, message: Message) -> Path:
        """Where ``message`` for ``target`` is (or will be) written."""
        ids = "-".join(map(str, message.alert_ids[:5])) or "notice"
        if len(message.alert_ids) > 5:
            ids += f"-and-{len(message.alert_ids) - 5}-more"
        return self.directory / f"alert-{ids}-{message_fingerprint(message, target)[:16]}.eml"

    async def send(self, target: str, message: Message) -> str:
        """Write the message (once) and return the file's path."""
        return await asyncio.to_thread(self._write, target, message)

    def _write(self, target: str, message: Message) -> str:
        path = self.path_for(target, message)
        if path.exists():
            return str(path)
        recipient = target.strip() or DEFAULT_RECIPIENT
        try:
            data = bytes(build_email(message, sender=self.sender, recipient=recipient))
        except (ValueError, TypeError) as error:
            raise PermanentDeliveryError(f"cannot build an email for {recipient!r}: {error}") from error
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.directory)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
                # link() refuses to overwrite, so of two concurrent writers of the same message only one wins.
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                Path(temporary).unlink(missing_ok=True)
        except OSError as error:
            raise TransientDeliveryError(f"cannot write {path}: {error}") from error
        return str(path)
