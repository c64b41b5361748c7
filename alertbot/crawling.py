"""Running gazette spiders: one subprocess per crawl (``python -m scrapy crawl NAME -a …``).

alertbot never imports the ``spiders`` package: a crawl runs in its own interpreter with
``SCRAPY_SETTINGS_MODULE=spiders.settings``, which isolates parser CPU, memory and Twisted's reactor from
the bot and the scheduler, and makes a timeout a clean kill. The spider stores its records through the
ingest pipeline; its outcome (status, counts, errors, CrawlRun ids) comes back in a small JSON summary
file written by the ``RunSummary`` extension.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alertbot.redact import redact

SETTINGS_MODULE = "spiders.settings"
DEFAULT_TIMEOUT_S = 3 * 3600.0
TERMINATE_GRACE_S = 15.0
LOG_TAIL_CHARS = 4000
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlResult:
    """What one crawl did: ``status`` is ok | partial | error | timeout | crashed."""

    spider: str
    exit_code: int | None
    status: str
    timed_out: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    crawl_run_ids: list[int] = field(default_factory=list)
    ingest: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    duration_s: float = 0.0
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        """True when the crawl finished without recorded errors."""
        return self.status == "ok"


def crawl_command(
    name: str,
    *,
    since: dt.date | str | None = None,
    file: str | None = None,
    args: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    summary_path: Path | None = None,
) -> list[str]:
    """The ``scrapy crawl`` argv for a spider run."""
    command = [sys.executable, "-m", "scrapy", "crawl", name]
    spider_args = dict(args or {})
    if since is not None:
        spider_args["since"] = since.isoformat() if isinstance(since, dt.date) else str(since)
    if file is not None:
        spider_args["file"] = file
    for key, value in spider_args.items():
        command += ["-a", f"{key}={value}"]
    crawl_settings = dict(settings or {})
    if summary_path is not None:
        crawl_settings["ALERTBOT_RUN_SUMMARY"] = str(summary_path)
    for key, value in crawl_settings.items():
        command += ["-s", f"{key}={value}"]
    return command


def crawl_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ours (ALERTBOT_* secrets and database URL) plus the Scrapy settings module."""
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = SETTINGS_MODULE
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def _result(
    name: str, exit_code: int | None, timed_out: bool, summary_path: Path, log_path: Path, started: float
) -> CrawlResult:
    summary: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    log_tail = ""
    with contextlib.suppress(OSError):
        log_tail = log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
    if timed_out:
        status = "timeout"
    elif not summary:
        status = "crashed"
    else:
        status = str(summary.get("status", "error"))
        if exit_code not in (0, None) and status == "ok":
            status = "error"
    # The run's errors and log come from another process: mask secrets (a KIPRIS ServiceKey in a URL).
    log_tail = redact(log_tail)
    errors = [redact(error) for error in summary.get("errors", [])]
    if timed_out:
        errors.append(f"{name}: killed after the timeout")
    elif not summary:
        errors.append(f"{name}: exited with code {exit_code} without a run summary; see log_tail")
    return CrawlResult(
        spider=name,
        exit_code=exit_code,
        status=status,
        timed_out=timed_out,
        stats=dict(summary.get("stats", {})),
        errors=errors,
        crawl_run_ids=list(summary.get("crawl_run_ids", [])),
        ingest=dict(summary.get("ingest", {})),
        finish_reason=summary.get("finish_reason"),
        duration_s=time.monotonic() - started,
        log_tail=log_tail,
    )


def run_crawl(
    name: str,
    *,
    since: dt.date | str | None = None,
    file: str | None = None,
    args: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> CrawlResult:
    """Run one spider to completion (blocking); after ``timeout_s`` terminate it, then kill it.

    For callers without an event loop (the CLI, the demo); the scheduler and the bot await
    :func:`run_crawl_async` instead.
    """
    return asyncio.run(
        run_crawl_async(
            name, since=since, file=file, args=args, settings=settings, env=env, timeout_s=timeout_s
        )
    )


async def run_crawl_async(
    name: str,
    *,
    since: dt.date | str | None = None,
    file: str | None = None,
    args: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    terminate_grace_s: float = TERMINATE_GRACE_S,
) -> CrawlResult:
    """Run one spider as a subprocess without blocking the event loop; after ``timeout_s`` SIGTERM its process
    group (Scrapy then closes the run cleanly), and SIGKILL it if it lingers ``terminate_grace_s``.

    Cancelling the awaiting task (service shutdown) stops the process the same way before re-raising, so no
    crawl outlives the service."""
    with tempfile.TemporaryDirectory(prefix=f"alertbot-crawl-{name}-") as workdir:
        summary_path, log_path = Path(workdir) / "summary.json", Path(workdir) / "crawl.log"
        command = crawl_command(
            name, since=since, file=file, args=args, settings=settings, summary_path=summary_path
        )
        started = time.monotonic()
        timed_out = False
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command, stdout=log, stderr=subprocess.STDOUT, env=crawl_env(env), start_new_session=True
            )
            try:
                exit_code: int | None = await asyncio.wait_for(process.wait(), timeout_s)
            except TimeoutError:
                timed_out = True
                exit_code = await _stop_process(process, terminate_grace_s)
            except asyncio.CancelledError:
                await asyncio.shield(_stop_process(process, terminate_grace_s))
                raise
        return _result(name, exit_code, timed_out, summary_path, log_path, started)


async def _stop_process(process: asyncio.subprocess.Process, grace_s: float) -> int | None:
    """SIGTERM the crawl's process group, SIGKILL it after ``grace_s``; the exit code."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), grace_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return await process.wait()


class CrawlBatch:
    """Several crawls in ONE Scrapy process (``scrapy crawlmany PLAN.json``, spiders/commands/crawlmany.py).

    A small crawl spends most of its time starting Scrapy and loading the matcher; the demo's samples share
    that cost this way. Each crawl still writes its own run summary, so each gets its own :class:`CrawlResult`.
    """

    def __init__(self, crawls: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        self.crawls = [(name, dict(args)) for name, args in crawls]

    def run(
        self, *, timeout_s: float = DEFAULT_TIMEOUT_S, env: Mapping[str, str] | None = None
    ) -> Iterator[tuple[tuple[str, dict[str, str]], CrawlResult]]:
        """Start the process and yield each crawl's result as soon as its summary is written; crawls left
        without a summary when the process ends (or is killed at ``timeout_s``) come last, as crashed or
        timed out."""
        with tempfile.TemporaryDirectory(prefix="alertbot-crawlmany-") as workdir:
            folder = Path(workdir)
            summaries = [folder / f"summary-{index}.json" for index in range(len(self.crawls))]
            plan = [
                {"spider": name, "args": args, "summary": str(summary)}
                for (name, args), summary in zip(self.crawls, summaries, strict=True)
            ]
            plan_path, log_path = folder / "plan.json", folder / "crawl.log"
            plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
            started = time.monotonic()
            pending = set(range(len(self.crawls)))
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "scrapy", "crawlmany", str(plan_path)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=crawl_env(env),
                    start_new_session=True,
                )
                timed_out = False
                while pending:
                    exit_code = process.poll()
                    for index in sorted(pending):
                        if summaries[index].exists() and _summary_complete(summaries[index]):
                            pending.discard(index)
                            name = self.crawls[index][0]
                            yield (
                                self.crawls[index],
                                _result(name, None, False, summaries[index], log_path, started),
                            )
                    if exit_code is not None:
                        break
                    if time.monotonic() - started > timeout_s:
                        timed_out = True
                        _stop_process_group(process)
                        break
                    time.sleep(0.1)
                exit_code = process.wait()
            for index in sorted(pending):
                name = self.crawls[index][0]
                yield (
                    self.crawls[index],
                    _result(name, exit_code, timed_out, summaries[index], log_path, started),
                )


def _summary_complete(path: Path) -> bool:
    # The summary is written in one call, but a reader may still catch it half-written.
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(TERMINATE_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


async def run_crawl_scrapyd(
    name: str,
    *,
    nodes: Sequence[str],
    project: str,
    since: dt.date | str | None = None,
    file: str | None = None,
    args: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    poll_s: float = 2.0,
    dead_after: int = 3,
    client: Any = None,
) -> CrawlResult:
    """Run one spider on a Scrapyd node (``schedule.json``) and poll ``status.json`` until it finishes.

    Nodes are tried in order; a node that refuses the job, or stops answering ``dead_after`` polls in a row
    while the job runs, is dropped and the job is scheduled again on the next node. After ``timeout_s`` the
    job is cancelled (``cancel.json``). The spider stores its records and its ``CrawlRun`` in the shared
    database, so the caller reads the outcome there; ``status`` here is ``ok`` (finished), ``timeout`` or
    ``crashed`` (no node could run it).
    """
    import httpx

    started = time.monotonic()
    params: dict[str, str] = {"project": project, "spider": name}
    spider_args = dict(args or {})
    if since is not None:
        spider_args["since"] = since.isoformat() if isinstance(since, dt.date) else str(since)
    if file is not None:
        spider_args["file"] = file
    params.update(spider_args)
    own_client = client is None
    http = client or httpx.AsyncClient(timeout=10.0)
    extra = [f"{key}={value}" for key, value in (settings or {}).items()]
    errors: list[str] = []
    try:
        for node in [url.rstrip("/") for url in nodes]:
            job = uuid.uuid4().hex
            try:
                form: dict[str, str | list[str]] = {**params, "jobid": job}
                if extra:
                    form["setting"] = extra
                response = await http.post(f"{node}/schedule.json", data=form)
                answer = response.json()
            except (httpx.HTTPError, ValueError) as error:
                errors.append(f"{node}: schedule failed: {type(error).__name__}: {error}")
                continue
            if answer.get("status") != "ok":
                errors.append(f"{node}: schedule refused: {str(answer.get('message', answer))[:300]}")
                continue
            outcome = await _poll_scrapyd(http, node, project, job, started, timeout_s, poll_s, dead_after)
            if outcome == "dead":
                errors.append(f"{node}: stopped answering while job {job} ran; retrying on another node")
                continue
            result = CrawlResult(spider=name, exit_code=0 if outcome == "finished" else None, status="ok")
            if outcome == "timeout":
                result.status, result.timed_out = "timeout", True
                errors.append(f"{name}: cancelled on {node} after the timeout")
            result.errors = errors
            result.stats = {"scrapyd_node": node, "scrapyd_job": job}
            result.duration_s = time.monotonic() - started
            return result
    finally:
        if own_client:
            await http.aclose()
    return CrawlResult(
        spider=name,
        exit_code=None,
        status="crashed",
        errors=[*errors, f"{name}: no Scrapyd node could run the job"],
        duration_s=time.monotonic() - started,
    )


async def _poll_scrapyd(
    http: Any,
    node: str,
    project: str,
    job: str,
    started: float,
    timeout_s: float,
    poll_s: float,
    dead_after: int,
) -> str:
    """``finished``, ``timeout`` (cancelled) or ``dead`` (the node stopped answering)."""
    import httpx

    misses = 0
    while True:
        if time.monotonic() - started > timeout_s:
            with contextlib.suppress(httpx.HTTPError):
                await http.post(f"{node}/cancel.json", data={"project": project, "job": job})
                # A second cancel sends SIGKILL to a job that ignored the first (Scrapyd's documented way).
                await asyncio.sleep(min(poll_s, 2.0))
                await http.post(f"{node}/cancel.json", data={"project": project, "job": job})
            return "timeout"
        try:
            response = await http.get(f"{node}/status.json", params={"job": job, "project": project})
            answer = response.json()
            state = str(answer.get("currstate", answer.get("currentstate", "unknown")))
        except (httpx.HTTPError, ValueError):
            state = "unreachable"
        # A node that does not answer, or no longer knows the job (restarted), has lost it.
        misses = misses + 1 if state in {"unreachable", "unknown"} else 0
        if misses >= dead_after:
            return "dead"
        if state == "finished":
            return "finished"
        await asyncio.sleep(poll_s)


def list_spiders(timeout: float = 120.0) -> list[str]:
    """Names of the available spiders, from ``scrapy list`` (run as a subprocess)."""
    completed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        capture_output=True,
        text=True,
        env=crawl_env(),
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"scrapy list failed (exit {completed.returncode}): {completed.stderr[-2000:]}")
    return [line.strip() for line in completed.stdout.splitlines() if line.strip()]


def samples_dir() -> Path:
    """The bundled samples folder (``spiders/samples``), located without importing the spiders package."""
    spec = importlib.util.find_spec("spiders")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the spiders package is not installed next to alertbot")
    return Path(next(iter(spec.submodule_search_locations))) / "samples"


def sample_sources() -> list[tuple[str, str]]:
    """(spider name, ``file://`` URL) for every bundled sample, for ``alertbot demo``.

    Samples live in ``spiders/samples/<spider_name>/``; each file there (README.md aside) is one input.
    """
    sources: list[tuple[str, str]] = []
    root = samples_dir()
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        for sample in sorted(folder.iterdir()):
            if sample.is_file() and sample.suffix.lower() in {".zip", ".xml"}:
                sources.append((folder.name, sample.resolve().as_uri()))
    return sources


__all__: Sequence[str] = [
    "CrawlBatch",
    "CrawlResult",
    "crawl_command",
    "list_spiders",
    "run_crawl",
    "run_crawl_async",
    "run_crawl_scrapyd",
    "sample_sources",
    "samples_dir",
]
