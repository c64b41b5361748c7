"""README "Running it for real" step 2, run as a script on a fresh machine: the watchlist import, then the
`alertbot subscribers` commands exactly as written (the bundled watchlist stands in for `directory.xlsx`)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from alertbot.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BUNDLED = "watchlists/liaoning-export-enterprises.csv"


def _step_two() -> list[str]:
    section = README.split("## Running it for real", 1)[1].split("\n## ", 1)[0]
    step = section.split("\n2. ", 1)[1].split("\n3. ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", step, flags=re.DOTALL)
    assert block is not None, step
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_step_two_runs_in_order_on_a_fresh_machine(tmp_path: Path) -> None:
    commands = _step_two()
    assert commands[0] == "alertbot watchlist import directory.xlsx"
    assert sum(c.startswith("alertbot subscribers add") for c in commands) == 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(ALERTBOT_DATA_DIR=str(tmp_path / "data"), ALERTBOT_OUTBOX_DIR=str(tmp_path / "outbox"))
    alertbot = str(Path(sys.executable).parent / "alertbot")
    for command in commands:
        args = [BUNDLED if arg == "directory.xlsx" else arg for arg in shlex.split(command)[1:]]
        result = subprocess.run(
            [alertbot, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    listed = subprocess.run(
        [alertbot, "subscribers", "list", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    rows = {row["role"]: row for row in json.loads(listed.stdout)}
    assert rows["staff"]["channels"] == {"email": "ipr@centre.example"}
    assert rows["enterprise"]["enterprise_ids"] == ["siasun"]
    assert set(rows["enterprise"]["channels"]) == {"email", "wecom"}
    assert set(rows["enforcement"]["channels"]) == {"dingtalk"}


def test_the_commands_table_row_lists_the_subcommands() -> None:
    row = re.search(r"^\| `alertbot subscribers ([\w|\\-]+)`", README, flags=re.MULTILINE)
    assert row is not None
    result = CliRunner().invoke(app, ["subscribers", "--help"], env={"COLUMNS": "200"})
    listed = re.findall(r"^│ (\w[\w-]*) ", result.output.split("Commands", 1)[1], flags=re.MULTILINE)
    assert row.group(1).replace("\\|", "|").split("|") == listed
