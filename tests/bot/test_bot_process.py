"""``alertbot bot`` as a process: a stop at any moment of the start-up exits 0, and a base URL that is not a
Bot API gets one clear line (Chinese, then English; token masked) and exit 1, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.bot.standin import BotStandIn

ALERTBOT = str(Path(sys.executable).parent / "alertbot")
TOKEN = "7012345678:AAFakeTokenForTestsOnly_abcdefghijklmn"


def _env(folder: Path, base_url: str, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(
        ALERTBOT_DATABASE_URL=f"sqlite:///{folder / 'alertbot.sqlite'}",
        ALERTBOT_DATA_DIR=str(folder / "data"),
        ALERTBOT_OUTBOX_DIR=str(folder / "outbox"),
        ALERTBOT_TELEGRAM_TOKEN=token,
        ALERTBOT_TELEGRAM_BASE_URL=base_url,
    )
    return env


def _handles_sigterm(pid: int) -> bool:
    """The process has its own SIGTERM handler (Linux: the SigCgt mask in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


@pytest.mark.parametrize("delay", [0.5, 1.5])
def test_sigterm_during_start_up_exits_cleanly(tmp_path: Path, delay: float) -> None:
    with BotStandIn() as api:
        process = subprocess.Popen(
            [ALERTBOT, "bot"],
            env=_env(tmp_path, api.base_url, api.token),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        time.sleep(delay)
        # Before its first line of our code runs the interpreter itself is still starting (slowly on a loaded
        # machine); the signal goes as soon as the command listens, and the start-up is still far from done.
        deadline = time.monotonic() + 30
        while not _handles_sigterm(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        polling_before_stop = bool(api.calls("getUpdates"))
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert "Traceback" not in text, text
    assert "bot stopped" in text
    if delay < 1 and not polling_before_stop:
        # A stop during the start-up skips the rest of it: the bot never begins to poll.
        assert not api.calls("getUpdates"), text


class _NotFound(BaseHTTPRequestHandler):
    """A web server that knows no Bot API method."""

    def do_POST(self) -> None:
        body = b"<html><body>nothing here</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _Quiet(SimpleHTTPRequestHandler):
    """``python -m http.server``: answers POST with 501."""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(params=[(_Quiet, "501"), (_NotFound, "404")], ids=["501", "404"])
def plain_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    handler, status = request.param
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/bot", status
    finally:
        server.shutdown()
        server.server_close()


def test_a_base_url_that_is_not_a_bot_api_gets_one_clear_line(
    tmp_path: Path, plain_server: tuple[str, str]
) -> None:
    base_url, status = plain_server
    result = subprocess.run(
        [ALERTBOT, "bot"], env=_env(tmp_path, base_url, TOKEN), capture_output=True, timeout=120
    )
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr + result.stdout.decode(errors="replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    (line,) = lines
    assert TOKEN not in line
    assert TOKEN.split(":")[1] not in line
    assert f"{base_url}***/getMe" in line
    assert status in line
    chinese, english = line.index("无法使用 Bot API"), line.index("The Bot API at")
    assert chinese < english
