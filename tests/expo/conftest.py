"""Fixtures for the expo tests: a loopback "show site" serving every list format, test edition files pointed
at it, and the bundled watchlist in the test database."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alertbot import db
from alertbot.settings import Settings
from alertbot.watchlist import apply_watchlist, read_watchlist
from tests.spiders.standins import LocalServer, SeenRequest, start_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "expo"
REPO = Path(__file__).resolve().parents[2]
WATCHLIST = REPO / "watchlists" / "liaoning-export-enterprises.csv"
FAST = {"DOWNLOAD_DELAY": "0", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "20"}


def expected_rows() -> list[dict[str, Any]]:
    """The dataset every fixture list was generated from (tests/expo/fixture_data.py)."""
    rows: list[dict[str, Any]] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    return rows


def _json_api(root: Path) -> dict[str, Any]:
    def shops(request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        page = request.query.get("page", ["1"])[0]
        path = root / "api" / f"list-{page}.json"
        if not path.is_file():
            empty = {"arrayData": {"0": {"_embedded": {"b2b:shops": []}, "page": {"totalPages": 0}}}}
            return 200, {"Content-Type": "application/json"}, json.dumps(empty).encode()
        return 200, {"Content-Type": "application/json; charset=utf-8"}, path.read_bytes()

    def shop(request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        code = request.query.get("shopCode", [""])[0]
        path = root / "api" / f"detail-{code}.json"
        if not path.is_file():
            return 404, {}, b"{}"
        return 200, {"Content-Type": "application/json; charset=utf-8"}, path.read_bytes()

    return {"/api/shops": shops, "/api/shop": shop}


@pytest.fixture
def expo_site(tmp_path: Path) -> Iterator[LocalServer]:
    """A loopback server over a copy of tests/fixtures/expo (tests may change files) with the JSON API."""
    root = tmp_path / "site"
    shutil.copytree(FIXTURES, root)
    state, server, thread = start_server(root)
    state.routes.update(_json_api(root))
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def edition_file(name: str, site: LocalServer, folder: Path, **replace: str) -> Path:
    """A test edition file (tests/fixtures/expo/editions/NAME.yaml) with ``{base}`` set to the site."""
    text = (
        (FIXTURES / "editions" / f"{name}.yaml").read_text(encoding="utf-8").replace("{base}", site.base_url)
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def watched(settings: Settings) -> Settings:
    """The bundled watchlist of Liaoning export enterprises in the test database, plus a staff subscriber."""
    from alertbot.models import Role, Subscriber

    db.upgrade(settings.resolved_database_url())
    factory = db.session_factory(settings)
    with db.transaction(factory) as session:
        apply_watchlist(session, read_watchlist(WATCHLIST), actor="test")
        session.add(Subscriber(name="staff", role=Role.STAFF.value, channels={"file": "staff@example.cn"}))
        session.add(
            Subscriber(name="on-site team", role=Role.ENFORCEMENT.value, channels={"file": "team@example.cn"})
        )
    return settings
