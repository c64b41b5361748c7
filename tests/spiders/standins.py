"""A real HTTP server on 127.0.0.1 for spider tests (static fixture files plus scripted API stand-ins), and helpers."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclass
class SeenRequest:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[SeenRequest], Reply]


@dataclass
class LocalServer:
    """Serves files from ``root`` and answers scripted ``routes`` (path → function); logs every request."""

    root: Path
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    base_url: str = ""

    def url(self, path: str) -> str:
        """Absolute URL for a server path."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def hits(self, path: str) -> list[SeenRequest]:
        """Requests received for one path."""
        return [r for r in self.requests if r.path == path]


def _handler(server_state: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            parsed = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = SeenRequest(
                method=method,
                path=parsed.path,
                query=parse_qs(parsed.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            server_state.requests.append(seen)
            route = server_state.routes.get(parsed.path)
            if route is not None:
                status, headers, body = route(seen)
            else:
                target = (server_state.root / parsed.path.lstrip("/")).resolve()
                if server_state.root.resolve() in target.parents and target.is_file():
                    status, headers, body = 200, {"ETag": f'"{target.stat().st_size}"'}, target.read_bytes()
                else:
                    status, headers, body = 404, {}, b"not found"
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up on purpose (timeout tests) are not server errors.
        return


def start_server(root: Path) -> tuple[LocalServer, ThreadingHTTPServer, threading.Thread]:
    """Start a server for ``root`` on 127.0.0.1:0."""
    state = LocalServer(root=root)
    server = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return state, server, thread


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A deflated zip holding the given members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def fixture_bytes(spider: str, name: str) -> bytes:
    """Bytes of ``tests/fixtures/<spider>/<name>``."""
    return (FIXTURES / spider / name).read_bytes()


@dataclass
class Stored:
    """What a crawl left in the database."""

    records: dict[tuple[str, str], Any]
    runs: list[Any]
    quarantine: list[Any]
    states: dict[str, dict[str, Any]]


def stored(database_url: str) -> Stored:
    """Read records (by (source, native id)), crawl runs, quarantine rows and source states."""
    from sqlmodel import Session, select

    from alertbot.db import make_engine
    from alertbot.models import CrawlRun, Quarantine, Record, Source

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return Stored(
                records={(r.source_key, r.native_id): r for r in session.exec(select(Record)).all()},
                runs=list(session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()),  # type: ignore[arg-type]
                quarantine=list(session.exec(select(Quarantine)).all()),
                states={s.key: dict(s.state) for s in session.exec(select(Source)).all()},
            )
    finally:
        engine.dispose()


FAST_CRAWL = {"DOWNLOAD_DELAY": "0", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "20"}
