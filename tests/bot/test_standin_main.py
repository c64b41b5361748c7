"""``python -m tests.bot.standin --port N``: the stand-in a newcomer runs by hand to try the bot without
Telegram (docs/bot.md, "Trying it without Telegram"). It starts, answers getMe, and relays typed lines to a
real ``alertbot bot`` process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALERTBOT = str(Path(sys.executable).parent / "alertbot")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_until(process: subprocess.Popen[str], prefix: str, timeout: float = 30) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line.strip()
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no line starting {prefix!r} from the stand-in (exit {process.poll()})")


@pytest.fixture
def standin() -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    with subprocess.Popen(
        # --wait 60, not the 15 s default: the bot is started after /start is typed, and on a loaded machine
        # (the suite's parallel workers) its start-up alone can take longer than 15 s.
        [sys.executable, "-m", "tests.bot.standin", "--port", str(_free_port()), "--wait", "60"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            exported = {}
            for name in ("ALERTBOT_TELEGRAM_TOKEN", "ALERTBOT_TELEGRAM_BASE_URL"):
                line = _read_until(process, f"export {name}=")
                key, _, value = line.removeprefix("export ").partition("=")
                exported[key] = value
            yield process, exported
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)


def test_it_starts_on_the_port_and_answers_get_me(
    standin: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    process, exported = standin
    url = exported["ALERTBOT_TELEGRAM_BASE_URL"] + exported["ALERTBOT_TELEGRAM_TOKEN"] + "/getMe"
    with urllib.request.urlopen(urllib.request.Request(url, data=b""), timeout=10) as response:
        answer = json.loads(response.read())
    assert answer["ok"] is True
    assert answer["result"]["is_bot"] is True
    assert answer["result"]["id"] == int(exported["ALERTBOT_TELEGRAM_TOKEN"].split(":")[0])
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


def test_a_typed_start_reaches_the_bot_and_the_reply_is_printed(
    standin: tuple[subprocess.Popen[str], dict[str, str]], tmp_path: Path
) -> None:
    process, exported = standin
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(
        exported, ALERTBOT_DATA_DIR=str(tmp_path / "data"), ALERTBOT_OUTBOX_DIR=str(tmp_path / "outbox")
    )
    # The steps docs/bot.md gives: the first staff member, then `alertbot bot`, then type /start.
    subprocess.run([ALERTBOT, "users", "add-staff", "111222333", "--name", "Wang Li"], env=env, check=True)
    bot = subprocess.Popen([ALERTBOT, "bot"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert process.stdin is not None
        process.stdin.write("/start\n")
        process.stdin.flush()
        reply = _read_until(process, "[111222333]", timeout=90)
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=60)
    assert "欢迎" in reply, reply
