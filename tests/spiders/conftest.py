"""Fixtures for the spider tests: a loopback HTTP server per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.spiders.standins import LocalServer, start_server


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A ThreadingHTTPServer on 127.0.0.1:0 serving ``tmp_path / 'www'`` plus scripted routes."""
    root = tmp_path / "www"
    root.mkdir()
    state, server, thread = start_server(root)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
