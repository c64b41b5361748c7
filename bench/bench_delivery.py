"""Delivery benchmark: N alerts to 500 Telegram chats drained through the Bot API stand-in.

The stand-in enforces Telegram's flood limits (30 messages/s overall, 1 message/s per chat) and answers 429
when they are broken, so the figure that matters is throughput as a share of the rate-limit ceiling, with zero
429s. Two baselines come from the same run:

* the ceiling, computed from the limits the stand-in enforces (min(overall, chats x per-chat));
* the dispatcher's unthrottled capacity: the same dispatcher, channel and stand-in with the limits lifted,
  on a smaller sample, to show how far below its own capacity the rate limit holds it.

The stand-in runs in its own process (as Telegram would), so the dispatcher's threads cannot skew its clock.
The client's limiter holds each send's slot until its response arrives (TelegramRateLimiter.hold), so the
figures include the in-flight time as well as the margin.

Usage::

    .venv/bin/python bench/bench_delivery.py --alerts 1000          # ~35 s
    .venv/bin/python bench/bench_delivery.py --alerts 10000         # the full run, ~5.7 min
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from pydantic import SecretStr  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from alertbot import db  # noqa: E402
from alertbot.models import Alert, Delivery, Enterprise, Record, Role, Subscriber  # noqa: E402
from alertbot.notify.ratelimit import SendSlot, TelegramRateLimiter  # noqa: E402
from alertbot.notify.telegram import TelegramChannel  # noqa: E402
from alertbot.outbox import Dispatcher, DispatchStats  # noqa: E402
from alertbot.settings import Settings  # noqa: E402
from tests.notify.botapi_standin import BotApiStandIn, FloodLimits  # noqa: E402


class RemoteStandIn:
    """The Bot API stand-in in its own process, as Telegram would be: the dispatcher's threads cannot delay
    the stand-in's clock (same-process GIL contention would make sends look closer together than they
    were sent). Its figures come back through a pipe when it stops."""

    def __init__(self, enforce_limits: FloodLimits | None) -> None:
        self._parent, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(child, enforce_limits), daemon=True
        )
        self.enforce_limits = enforce_limits
        self.token = ""
        self.base_url = ""
        self.figures: dict[str, Any] = {}

    def __enter__(self) -> RemoteStandIn:
        self._process.start()
        self.token, self.base_url = self._parent.recv()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._parent.send("stop")
        self.figures = self._parent.recv()
        self._process.join(10)


def _serve(conn: Any, enforce_limits: FloodLimits | None) -> None:
    with BotApiStandIn(enforce_limits=enforce_limits) as api:
        conn.send((api.token, api.base_url))
        conn.recv()
        violations = api.rate_limit_violations(enforce_limits) if enforce_limits else []
        conn.send(
            {
                "accepted": len(api.calls("sendMessage", accepted_only=True)),
                "flood_rejections": api.flood_rejections,
                "violations": len(violations),
                "rejections": _explain_rejections(api),
            }
        )


def _explain_rejections(api: BotApiStandIn) -> list[str]:
    # Which limit each 429 guarded: sends accepted in the second before it, and the gap to its chat's last one.
    accepted = [r for r in api.calls("sendMessage") if r.status == 200]
    notes = []
    for request in api.calls("sendMessage"):
        if request.status != 429:
            continue
        window = [r for r in accepted if 0 <= request.received_at - r.received_at < 1.0]
        same_chat = [
            r.received_at
            for r in accepted
            if r.chat_id == request.chat_id and r.received_at <= request.received_at
        ]
        gap = request.received_at - max(same_chat) if same_chat else float("inf")
        notes.append(
            f"chat {request.chat_id}: {len(window)} sends in the second before, {gap:.3f} s since this chat's last"
        )
    return notes


class _TimedSlot:
    """A held slot that notes how long its send was in flight (the time it kept its place in the windows)."""

    def __init__(self, slot: SendSlot, durations: list[float]) -> None:
        self._slot = slot
        self._durations = durations
        self._taken = time.monotonic()

    def __enter__(self) -> _TimedSlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._slot.released:
            self._durations.append(time.monotonic() - self._taken)
        self._slot.release()


class TimedLimiter(TelegramRateLimiter):
    """The real limiter, also measuring each send's in-flight time: what holding slots costs in throughput."""

    def __init__(self, **limits: Any) -> None:
        super().__init__(**limits)
        self.in_flight_seconds: list[float] = []

    async def hold(self, chat_id: int | str, *, max_wait: float | None = None) -> Any:
        return _TimedSlot(await super().hold(chat_id, max_wait=max_wait), self.in_flight_seconds)


@dataclass
class Run:
    """One drain of the outbox."""

    label: str
    messages: int
    seconds: float
    stats: DispatchStats
    flood_rejections: int
    violations: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def seed(url: str, alerts: int, chats: int) -> None:
    """``chats`` enterprises with one Telegram subscriber each; alert i goes to chat i % chats (one delivery)."""
    db.upgrade(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        session.add_all(
            Enterprise(id=f"e{i}", name_zh=f"企业{i}", name_en=f"Enterprise {i}", marks=[f"MARK{i}"])
            for i in range(chats)
        )
        subscribers = [
            Subscriber(
                name=f"chat{i}",
                role=Role.ENTERPRISE.value,
                enterprise_id=f"e{i}",
                language="zh" if i % 2 else "en",
                channels={"telegram": str(100_000 + i)},
            )
            for i in range(chats)
        ]
        session.add_all(subscribers)
        records = [
            Record(
                source_key="uspto-tm",
                native_id=str(90_000_000 + n),
                kind="trademark",
                text=f"MARK{n % chats}",
                applicant="Copycat Trading Ltd",
                applicant_country="CN",
                classes=[9],
                office="US",
                url=f"https://tsdr.uspto.gov/#caseNumber={90_000_000 + n}",
            )
            for n in range(alerts)
        ]
        session.add_all(records)
        session.flush()
        rows = [
            Alert(
                record_id=record.id,  # type: ignore[arg-type]
                enterprise_id=f"e{n % chats}",
                risk="high",
                mark=f"MARK{n % chats}",
                variant=f"MARK{n % chats}",
                reasons=["exact"],
            )
            for n, record in enumerate(records)
        ]
        session.add_all(rows)
        session.flush()
        session.add_all(
            Delivery(
                dedupe_key=f"alert:{alert.id}:new|{subscribers[n % chats].id}|telegram",
                alert_id=alert.id,
                subscriber_id=subscribers[n % chats].id,
                channel="telegram",
                target=str(100_000 + n % chats),
                kind="alert",
            )
            for n, alert in enumerate(rows)
        )
        session.commit()
    engine.dispose()


async def drain(
    label: str, settings: Settings, api: RemoteStandIn, limiter: TelegramRateLimiter, concurrency: int
) -> tuple[int, float, DispatchStats]:
    factory = db.session_factory(settings)
    channel = TelegramChannel(api.token, base_url=api.base_url, limiter=limiter)
    dispatcher = Dispatcher(
        settings, channels={"telegram": channel}, concurrency=concurrency, lease_seconds=120
    )
    await channel.bot.initialize()  # getMe once, outside the timed part
    started = time.perf_counter()
    stats = await dispatcher.drain(limit=200)
    seconds = time.perf_counter() - started
    await channel.aclose()
    with factory() as session:
        sent = session.exec(select(func.count()).select_from(Delivery).where(Delivery.status == "sent")).one()
    return int(sent), seconds, stats


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=1000, help="alerts to deliver under the real limits")
    parser.add_argument("--chats", type=int, default=500, help="subscribers (one Telegram chat each)")
    parser.add_argument(
        "--capacity-alerts", type=int, default=1000, help="alerts for the unthrottled baseline"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--margin",
        type=float,
        default=0.01,
        help="seconds added to every rate-limit window by the client (TelegramRateLimiter margin); sends are "
        "counted at their response, so it only absorbs the server's own timing slack",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    limits = FloodLimits()
    ceiling = min(limits.overall_limit / limits.overall_period, args.chats / limits.per_chat_interval)
    results: dict[str, Any] = {
        "alerts": args.alerts,
        "chats": args.chats,
        "margin": args.margin,
        "ceiling_msgs_per_s": ceiling,
    }

    with tempfile.TemporaryDirectory() as tmp:
        # Baseline: the dispatcher's own capacity, limits lifted on both sides.
        url = f"sqlite:///{tmp}/capacity.sqlite"
        seed(url, args.capacity_alerts, args.chats)
        with RemoteStandIn(None) as api:
            settings = Settings(database_url=url, telegram_token=SecretStr(api.token))
            unlimited = TelegramRateLimiter(overall_limit=1_000_000, per_chat_interval=1e-6, margin=0.0)
            sent, seconds, stats = await drain("unthrottled", settings, api, unlimited, args.concurrency)
        capacity = Run("unthrottled", sent, seconds, stats, api.figures["flood_rejections"], 0)

        # The measured run: Telegram's real limits, enforced by the stand-in.
        url = f"sqlite:///{tmp}/limited.sqlite"
        seed(url, args.alerts, args.chats)
        with RemoteStandIn(limits) as api:
            settings = Settings(database_url=url, telegram_token=SecretStr(api.token))
            timed = TimedLimiter(margin=args.margin)
            sent, seconds, stats = await drain("telegram limits", settings, api, timed, args.concurrency)
        limited = Run(
            "telegram limits",
            sent,
            seconds,
            stats,
            api.figures["flood_rejections"],
            api.figures["violations"],
        )
        for note in api.figures["rejections"][:10]:
            print("429:", note)
        if api.figures["accepted"] != sent:
            print(f"stand-in accepted {api.figures['accepted']} messages, the outbox marked {sent} sent")

    print(
        f"delivery benchmark: {args.alerts} alerts to {args.chats} chats (1 delivery each), "
        f"client margin {args.margin:g} s, concurrency {args.concurrency}"
    )
    print(f"{'run':<18}{'messages':>10}{'seconds':>10}{'msg/s':>10}{'429s':>7}{'limit breaks':>14}")
    for run in (capacity, limited):
        print(
            f"{run.label:<18}{run.messages:>10}{run.seconds:>10.1f}{run.rate:>10.1f}"
            f"{run.flood_rejections:>7}{run.violations:>14}"
        )
    share = limited.rate / ceiling
    print(f"ceiling (computed from the enforced limits): {ceiling:.1f} msg/s")
    print(
        f"throughput under the limits: {limited.rate:.2f} msg/s = {share:.1%} of the ceiling (target >= 90%)"
    )
    print(f"unthrottled capacity: {capacity.rate:.0f} msg/s = {capacity.rate / ceiling:.1f}x the ceiling")
    in_flight = sorted(timed.in_flight_seconds) or [0.0]
    mean_in_flight = sum(in_flight) / len(in_flight)
    # Each send keeps its place for period + margin + its in-flight time, so this is the best the client could do.
    held_ceiling = limits.overall_limit / (limits.overall_period + args.margin + mean_in_flight)
    print(
        f"in flight per send: mean {mean_in_flight * 1000:.1f} ms, median {in_flight[len(in_flight) // 2] * 1000:.1f}"
        f" ms, p99 {in_flight[int(len(in_flight) * 0.99)] * 1000:.1f} ms; limiter's own ceiling with margin and "
        f"in-flight hold: {held_ceiling:.2f} msg/s = {held_ceiling / ceiling:.1%} of the ceiling"
    )
    complete = limited.messages == args.alerts and capacity.messages == args.capacity_alerts
    ok = complete and share >= 0.9 and limited.flood_rejections == 0 and limited.violations == 0
    print("result:", "PASS" if ok else "FAIL")
    results.update(
        {
            "limited": {"messages": limited.messages, "seconds": limited.seconds, "rate": limited.rate,
                        "share_of_ceiling": share, "flood_429s": limited.flood_rejections,
                        "limit_violations": limited.violations, "stats": limited.stats.as_dict()},
            "in_flight_mean_s": mean_in_flight,
            "limiter_ceiling_with_hold": held_ceiling,
            "unthrottled": {"messages": capacity.messages, "seconds": capacity.seconds, "rate": capacity.rate},
            "pass": ok,
        }
    )  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
