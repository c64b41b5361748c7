"""README "Set up the bot", tried as a newcomer on a fresh machine: its CLI steps, in the README's order,
all succeed (the watchlist is imported before an enterprise user is invited)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("alertbot users add-staff", "alertbot watchlist import", "alertbot users invite")
"""The section's commands that change state from the shell (`alertbot bot` runs until stopped)."""


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Set up the bot")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_readme_setup_steps_work_in_order_on_a_fresh_machine(tmp_path: Path) -> None:
    section = _section()
    spans = re.findall(r"`([^`]+)`", section)
    commands: list[str] = []
    for span in spans:
        for command in re.findall(r"alertbot [^|)`]+", span):
            command = command.strip()
            if command.startswith(STEPS) and command not in commands:
                commands.append(command)
    assert [next(step for step in STEPS if c.startswith(step)) for c in commands] == list(STEPS), commands
    assert "https://t.me/<bot>?start=CODE" in section
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(
        ALERTBOT_DATA_DIR=str(tmp_path / "data"),
        ALERTBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'alertbot.sqlite'}",
        ALERTBOT_OUTBOX_DIR=str(tmp_path / "outbox"),
    )
    alertbot = str(Path(sys.executable).parent / "alertbot")
    output = ""
    for command in commands:
        result = subprocess.run(
            [alertbot, *shlex.split(command)[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        output = result.stdout
    code = output.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", code), output
