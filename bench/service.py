"""Benchmark: the bot as a service on PostgreSQL: CPU per update through the inbox, beside an
echo bot on the same harness; one replica against three; long polling against webhook.

Run:  .venv/bin/python -m bench.service                       (everything, ~10 minutes)
      .venv/bin/python -m bench.service --updates 300 --skip-replicas
      .venv/bin/python -m bench.service --baseline /tmp/base      (also another checkout,
          in every round: `git archive <commit> | (mkdir -p /tmp/base && tar -x -C /tmp/base)`)
      .venv/bin/python -m bench.service --telegram-latency 100 --workloads /help
          (each reply waits 100 ms for Telegram's answer, as across a real network: what
          one replica and three can handle when waiting, not CPU, is the limit)

The harness is kept out of the bot's way: the fake Bot API runs as its own process
(`python -m tests.fake_telegram`), the simulated people in this one, the bot (or the echo
bot, bench/echo_bot.py) in its own. The figure that matters is the bot's own cost: its
process's CPU time (utime + stime from /proc/<pid>/stat, summed over replicas) over the
measured phase, divided by the updates handled in it. The echo bot runs twice: on
python-telegram-bot's default HTTP client (the baseline of the ratios) and on the bot's own
(bot/telegram_http.py), which shows how much of the difference is the client. Data: 10,000
clients, 50 trainers, 200 weekly series and 20,000 bookings (bench/classes.py's seed).

Workloads, each a closed loop of simulated clients (IN_FLIGHT at once) for `--updates`:
`/help` and `/classes` (a command answered by a message), and Book (a press on a session
of a /classes listing that each client fetched before the measured phase; answered when
the bot answers the press). The echo bot answers a text with a message and a press with an
answer and an edit: the same exchanges, with nothing behind them. Then a paced run: 50
updates a second (a mix of the three), for reply latency measured on the fake server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.broadcast import percentile
from bench.classes import CLIENTS, FIRST_CLIENT, seed
from bot.db import Database
from bot.migrations import PROJECT_ROOT
from bot.models import ClassSession
from tests.fake_telegram import TelegramControl

TOKEN = "123456789:AAFakeTokenForBenchmarksOnly_abcdef"
SECRET = "bench-secret"
IN_FLIGHT = 32
# What the bot and the echo bot call to answer: slowed by --telegram-latency.
REPLY_METHODS = ("sendMessage", "editMessageText", "answerCallbackQuery")
PACED_RATE = 50.0
# The configurations the bot is compared with: the baseline, and the same on its client.
ECHO = "echo bot, polling"
ECHO_AIOHTTP = "echo bot on aiohttp, polling"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    """What one measured phase gave: updates, seconds, CPU seconds of the bot, latencies."""

    updates: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    kernel: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / max(self.updates, 1)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """utime + stime of the processes, and stime alone (the kernel's part: system calls such
    as each socket write), in seconds."""
    total = kernel = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        kernel += int(fields[12])
    return total / TICKS, kernel / TICKS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FakeServer:
    """The fake Bot API as its own process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_telegram", "--token", TOKEN, "--port", "0"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Bots:
    """One or more bot processes (or the echo bot) started for one configuration."""

    def __init__(
        self,
        kind: str,
        url: str,
        server: FakeServer,
        workdir: Path,
        *,
        replicas: int = 1,
        mode: str = "polling",
        checkout: Path = PROJECT_ROOT,
        echo_http: str = "httpx",
    ) -> None:
        self.ports = [free_port() for _ in range(replicas)]
        self.processes: list[subprocess.Popen] = []
        self.hook = f"http://127.0.0.1:{self.ports[0]}/hook"
        for index in range(replicas):
            env = {
                **os.environ,
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": f"{server.base_url}/bot",
                "DATABASE_URL": url,
                "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(checkout),
                "BOT_MODE": mode,
                "TIP_TICK_SECONDS": "3600",
                "ECHO_HTTP": echo_http,
            }
            if mode == "webhook":
                env.update(
                    WEBHOOK_URL=self.hook, WEBHOOK_SECRET=SECRET, WEB_PORT=str(self.ports[index])
                )
            module = ["bench.echo_bot"] if kind == "echo" else ["bot", "run"]
            profile = os.environ.get("BENCH_PROFILE")
            if profile and checkout == PROJECT_ROOT:
                # bench/profiled.py: a CPU-time cProfile of the whole run, written at exit.
                module = (
                    ["bench.profiled", f"{profile}.echo", "bench.echo_bot"]
                    if kind == "echo"
                    else ["bench.profiled", f"{profile}.{mode}.{replicas}.{index}"]
                )
            log = (workdir / f"{kind}-{mode}-{replicas}-{index}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", *module],
                    cwd=checkout,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


async def warm_up(tg: TelegramControl, bots: Bots, people: list[dict]) -> None:
    """Until each process answers (each replica in turn takes its first updates)."""
    deadline = time.monotonic() + 120
    answered = 0
    for person in people:
        while time.monotonic() < deadline:
            for process in bots.processes:
                if process.poll() is not None:
                    raise RuntimeError("a bot process exited during start-up (see its log)")
            sent = await tg.call("message", **{"from": person, "text": "/help"})
            if await tg.wait_event(person["id"], sent["seq"], kinds=["message"], timeout=2):
                answered += 1
                break
    if answered < len(people):
        raise RuntimeError("the bot did not answer")


async def exchange(tg: TelegramControl, person: dict, step: dict) -> float:
    """One update and the bot's answer; the server-side latency."""
    if "text" in step:
        sent = await tg.call("message", **{"from": person, "text": step["text"]})
        event = await tg.wait_event(person["id"], sent["seq"], kinds=["message"], timeout=30)
        if event is None:
            raise RuntimeError(f"no answer to {step['text']}")
        return event["at"] - sent["at"]
    sent = await tg.call(
        "callback",
        **{
            "from": person,
            "chat_id": person["id"],
            "message_id": step["message_id"],
            "data": step["data"],
        },
    )
    answer = (await tg.call("answer", query_id=sent["query_id"], timeout=30))["answer"]
    if answer is None:
        raise RuntimeError(f"no answer to {step['data']}")
    return answer["at"] - sent["at"]


async def run_phase(
    tg: TelegramControl, bots: Bots, steps: list[tuple[dict, dict]], *, paced: float | None
) -> Phase:
    """Run `steps` ((person, step) pairs), IN_FLIGHT at once or at `paced` per second; the
    bot's CPU over exactly this phase."""
    phase = Phase()
    gate = asyncio.Semaphore(IN_FLIGHT if paced is None else 10_000)

    async def one(person: dict, step: dict) -> None:
        async with gate:  # each person appears once per phase
            try:
                phase.latencies.append(await exchange(tg, person, step))
                phase.updates += 1
            except Exception as error:
                phase.failures += 1
                print(f"  failed: {type(error).__name__}: {error}", flush=True)

    await asyncio.sleep(0.5)  # let start-up work settle before measuring
    (cpu_before, kernel_before), started = cpu_seconds(bots.pids), time.monotonic()
    tasks = []
    for person, step in steps:
        tasks.append(asyncio.create_task(one(person, step)))
        if paced:
            await asyncio.sleep(1 / paced)
    await asyncio.gather(*tasks)
    phase.seconds = time.monotonic() - started
    # Let the bot finish what follows the answer (recording outcomes) inside the phase.
    await asyncio.sleep(0.3)
    cpu_after, kernel_after = cpu_seconds(bots.pids)
    phase.cpu, phase.kernel = cpu_after - cpu_before, kernel_after - kernel_before
    return phase


def person(user_id: int) -> dict:
    return {"id": user_id, "first_name": f"Client{user_id - FIRST_CLIENT}"}


async def book_steps(tg: TelegramControl, people: list[dict], sessions: list[int]) -> list:
    """Each person fetches /classes (not measured); a Book press on one session each."""
    steps = []
    rng = random.Random(5)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def fetch(who: dict) -> None:
        async with gate:
            sent = await tg.call("message", **{"from": who, "text": "/classes"})
            event = await tg.wait_event(who["id"], sent["seq"], kinds=["message"], timeout=30)
            if event is None:
                return
            steps.append(
                (
                    who,
                    {
                        "message_id": event["message"]["message_id"],
                        "data": f"cl:b:{rng.choice(sessions)}",
                    },
                )
            )

    await asyncio.gather(*(fetch(who) for who in people))
    return steps


async def measure(
    name: str,
    url: str,
    server: FakeServer,
    workdir: Path,
    args: argparse.Namespace,
    *,
    kind: str = "bot",
    replicas: int = 1,
    mode: str = "polling",
    checkout: Path = PROJECT_ROOT,
    workloads: tuple[str, ...] = ("/help", "/classes", "Book", "paced"),
    round_index: int = 0,
    echo_http: str = "httpx",
) -> dict[str, Phase]:
    """Start one configuration, run its workloads, stop it. Each round draws other people
    (so that a second round's Book presses are new bookings too)."""
    tg = TelegramControl(server.base_url)
    await tg.call("reset", keep_update_ids=True)  # the same bot: new updates, new ids
    if args.telegram_latency:
        # Each reply waits for Telegram's answer, as it does across a real network.
        delay = args.telegram_latency / 1000
        await tg.call("faults", slow=dict.fromkeys(REPLY_METHODS, delay))
    rng = random.Random(f"{name}/{round_index}")
    warming = replicas * 3
    actors = rng.sample(range(FIRST_CLIENT, FIRST_CLIENT + CLIENTS), args.updates * 2 + warming)
    await tg.call("users", users=[person(u) for u in actors])
    # Warm-up asks again until each process answers, and answers to the repeats come later:
    # its people are not among the measured ones, whose next answer that would seem to be.
    warmers, actors = actors[:warming], actors[warming:]
    bots = Bots(
        kind,
        url,
        server,
        workdir,
        replicas=replicas,
        mode=mode,
        checkout=checkout,
        echo_http=echo_http,
    )
    if mode == "webhook":
        await tg.call(
            "webhook_targets", urls=[f"http://127.0.0.1:{port}/hook" for port in bots.ports]
        )
    results: dict[str, Phase] = {}
    try:
        await warm_up(tg, bots, [person(u) for u in warmers])
        people = [person(u) for u in actors]
        # Not measured: a burst with as many in flight as the workloads have, so that the
        # bot's connection pools are as large as the workloads need before measuring (a
        # connection costs a set-up and its own prepared statements: paid once, not per
        # update), and the first workload measured is not the one paying for it.
        burst = people[-2 * IN_FLIGHT :]
        await run_phase(
            tg,
            bots,
            [(who, {"text": "/help" if n % 2 else "/classes"}) for n, who in enumerate(burst)],
            paced=None,
        )
        for workload in workloads:
            if workload == "Book":
                if kind == "echo":
                    steps = await book_steps_echo(tg, people[: args.updates])
                else:
                    steps = await book_steps(tg, people[: args.updates], await sessions_of(url))
            elif workload == "paced":
                steps = await paced_steps(tg, kind, people[args.updates :], url, args)
            else:
                steps = [(who, {"text": workload}) for who in people[: args.updates]]
            spies = _spy(bots, name, workload)
            phase = await run_phase(
                tg, bots, steps, paced=PACED_RATE if workload == "paced" else None
            )
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            results[workload] = phase
            print(
                f"[{name}] {workload}: {phase.updates} updates in {phase.seconds:.1f}s "
                f"({phase.rate:.0f}/s), {phase.cpu_ms:.2f} ms CPU each "
                f"({100 * phase.kernel / max(phase.cpu, 1e-9):.0f}% in the kernel), "
                f"p50 {1000 * percentile(phase.latencies, 0.5):.0f} ms, "
                f"p99 {1000 * percentile(phase.latencies, 0.99):.0f} ms"
                + (f", {phase.failures} failed" if phase.failures else ""),
                flush=True,
            )
    finally:
        bots.stop()
        await tg.close()
    return results


def _spy(bots: Bots, name: str, workload: str) -> list[subprocess.Popen]:
    """With BENCH_PYSPY=<prefix> (and py-spy on PATH): sample each bot process with py-spy
    during one workload, into `<prefix>.<configuration>.<workload>.<pid>` (collapsed stacks,
    CPU samples only), for finding where the bot's time goes."""
    prefix = os.environ.get("BENCH_PYSPY")
    if not prefix:
        return []
    label = "".join(c if c.isalnum() else "-" for c in f"{name}.{workload}")
    return [
        subprocess.Popen(
            [
                *("py-spy", "record", "--format", "raw", "--rate", "500"),
                *("--pid", str(pid), "--output", f"{prefix}.{label}.{pid}", "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in bots.pids
    ]


async def book_steps_echo(tg: TelegramControl, people: list[dict]) -> list:
    """The echo bot's equivalent: a press on the message it sent each person."""
    steps = []
    for who in people:
        sent = await tg.call("message", **{"from": who, "text": "/classes"})
        event = await tg.wait_event(who["id"], sent["seq"], kinds=["message"], timeout=30)
        if event is not None:
            steps.append((who, {"message_id": event["message"]["message_id"], "data": "press"}))
    return steps


async def paced_steps(tg, kind: str, people: list[dict], url: str, args) -> list:
    """A mix for the paced run: /help, /classes and Book presses, shuffled."""
    third = max(1, len(people) // 3)
    steps = [(who, {"text": "/help"}) for who in people[:third]]
    steps += [(who, {"text": "/classes"}) for who in people[third : 2 * third]]
    presses = people[2 * third : 3 * third]
    if kind == "echo":
        steps += await book_steps_echo(tg, presses)
    else:
        steps += await book_steps(tg, presses, await sessions_of(url))
    random.Random(3).shuffle(steps)
    return steps


async def sessions_of(url: str) -> list[int]:
    db = Database(url)
    try:
        async with db.reading() as session:
            import datetime as dt

            now = dt.datetime.now(dt.UTC)
            return list(
                await session.scalars(
                    select(ClassSession.id)
                    .where(ClassSession.starts_at > now + dt.timedelta(days=1))
                    .where(ClassSession.starts_at < now + dt.timedelta(days=13))
                )
            )
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def empty_database(base: str):
    """A fresh, empty PostgreSQL database next to `base`; dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = make_url(base).set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    try:
        yield make_url(base).set(database=name).render_as_string(False)
    finally:
        connection = await asyncpg.connect(dsn)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


@contextlib.asynccontextmanager
async def database(base: str, *, checkout: Path = PROJECT_ROOT):
    """A fresh PostgreSQL database, migrated by `checkout` and seeded; dropped afterwards."""
    async with empty_database(base) as url:
        if checkout != PROJECT_ROOT:
            subprocess.run(  # noqa: ASYNC221 - once, before measuring
                [sys.executable, "-m", "bot", "migrate"],
                cwd=checkout,
                env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(checkout)},
                check=True,
                capture_output=True,
            )
        await seed(url, migrate=checkout == PROJECT_ROOT)
        yield url


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=600, help="updates per workload")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--skip-replicas", action="store_true")
    parser.add_argument(
        "--telegram-latency",
        type=float,
        default=0.0,
        help="milliseconds the fake server takes to answer each reply (the real Bot API is a "
        "network round trip away: 50-150 ms); then a replica's UPDATE_CONCURRENCY (16 "
        "updates at once) bounds what it handles, and replicas add theirs up",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated configuration names to run (substrings)"
    )
    parser.add_argument(
        "--workloads", default="/help,/classes,Book,paced", help="comma-separated workloads"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also measure the bot of this checkout (polling, one replica), in every round",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the configurations this many times, in turn, and report the median round "
        "(a shared machine's load moves between runs; alternating keeps the ratios fair)",
    )
    args = parser.parse_args()
    server = FakeServer()
    workdir = Path(tempfile.mkdtemp(prefix="bench-service-"))
    print(f"logs in {workdir}", flush=True)
    table: list[tuple[str, dict[str, Phase]]] = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            url = await stack.enter_async_context(database(args.postgres_url))
            configurations: list[tuple[str, dict]] = [
                (ECHO, {"kind": "echo"}),
                # The same echo bot on the bot's own HTTP client (bot/telegram_http.py):
                # how much of the bot's lead over PTB's default is the client alone.
                (ECHO_AIOHTTP, {"kind": "echo", "echo_http": "aiohttp"}),
                ("this bot, polling, 1 replica", {}),
                ("this bot, webhook, 1 replica", {"mode": "webhook"}),
            ]
            if not args.skip_replicas:
                configurations += [
                    ("this bot, polling, 3 replicas", {"replicas": 3}),
                    ("this bot, webhook, 3 replicas", {"mode": "webhook", "replicas": 3}),
                ]
            if args.baseline:
                # Its own database, migrated by that checkout (its schema may differ); in
                # every round, beside the others.
                checkout = args.baseline.resolve()
                configurations.append(
                    (
                        f"{args.baseline.name}, polling, 1 replica",
                        {
                            "checkout": checkout,
                            "url": await stack.enter_async_context(
                                database(args.postgres_url, checkout=checkout)
                            ),
                        },
                    )
                )
            wanted = [part for part in args.only.split(",") if part]
            workloads = tuple(args.workloads.split(","))
            rounds: dict[str, list[dict[str, Phase]]] = {}
            for round_index in range(max(1, args.rounds)):
                for name, options in configurations:
                    if wanted and not any(part in name for part in wanted):
                        continue
                    options = {"url": url, **options}
                    rounds.setdefault(name, []).append(
                        await measure(
                            name,
                            options.pop("url"),
                            server,
                            workdir,
                            args,
                            workloads=workloads,
                            round_index=round_index,
                            **options,
                        )
                    )
            table += [(name, median_round(found)) for name, found in rounds.items()]
    finally:
        server.stop()
    report(table, args, paired_ratios(rounds), paired_ratios(rounds, ECHO_AIOHTTP))


def paired_ratios(
    rounds: dict[str, list[dict[str, Phase]]], baseline: str = ECHO
) -> dict[tuple[str, str], float]:
    """Per configuration and workload, the median over rounds of its CPU per update divided
    by the baseline echo bot's in the same round: the two sides of each ratio were measured a
    minute apart, not the whole run, so a machine whose speed drifts moves both alike."""
    echo = rounds.get(baseline, [])
    ratios: dict[tuple[str, str], float] = {}
    for name, found in rounds.items():
        for workload in {w for phases in found for w in phases} - {"paced"}:
            pairs = [
                mine[workload].cpu_ms / theirs[workload].cpu_ms
                for mine, theirs in zip(found, echo, strict=False)
                if workload in mine and workload in theirs and theirs[workload].cpu_ms
            ]
            if pairs and name != baseline:
                ratios[name, workload] = statistics.median(pairs)
    return ratios


def median_round(found: list[dict[str, Phase]]) -> dict[str, Phase]:
    """Per workload, the round with the median CPU per update (for the paced run, the
    median p99 latency)."""

    def key(workload: str) -> Callable[[Phase], float]:
        if workload == "paced":
            return lambda phase: percentile(phase.latencies, 0.99)
        return lambda phase: phase.cpu_ms

    merged: dict[str, Phase] = {}
    for workload in {w for phases in found for w in phases}:
        ordered = sorted((p[workload] for p in found if workload in p), key=key(workload))
        merged[workload] = ordered[(len(ordered) - 1) // 2]
    return merged


def report(
    table: list[tuple[str, dict[str, Phase]]],
    args: argparse.Namespace,
    ratios: dict[tuple[str, str], float],
    to_aiohttp: dict[tuple[str, str], float],
) -> None:
    """The table: CPU per update of the median round, and beside it the ratio to the echo
    bot (with several rounds: the median of each round's own ratio, `paired_ratios`); for
    this bot, also the ratio to the echo bot on the same HTTP client."""
    echo = dict(table).get(ECHO, {})
    print()
    print(
        f"{CLIENTS:,} clients loaded; {args.updates} updates per workload, {IN_FLIGHT} in "
        f"flight; paced: {PACED_RATE:.0f} updates/s (a third each /help, /classes, Book)"
        + (
            f"; Telegram answers each reply in {args.telegram_latency:.0f} ms"
            if args.telegram_latency
            else ""
        )
        + (
            f"; median of {args.rounds} rounds (ratios: the median of each round's own)"
            if args.rounds > 1
            else ""
        )
    )
    print(
        "| configuration | /help CPU/update | /classes CPU/update | Book CPU/update "
        "| /help updates/s | p50 at 50/s | p99 at 50/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, phases in table:

        def cell(workload: str, phases=phases, name=name) -> str:
            phase = phases.get(workload)
            if phase is None:
                return "–"
            text = f"{phase.cpu_ms:.1f} ms"
            base = echo.get(workload)
            if (name, workload) in ratios:
                text += f" ({ratios[name, workload]:.2f}×"
                if name.startswith("this bot") and (name, workload) in to_aiohttp:
                    text += f"; {to_aiohttp[name, workload]:.2f}× on aiohttp"
                text += ")"
            elif base is not None and name != ECHO:
                text += f" ({phase.cpu_ms / base.cpu_ms:.2f}×)"
            return text

        paced = phases.get("paced")
        help_phase = phases.get("/help")
        print(
            f"| {name} | {cell('/help')} | {cell('/classes')} | {cell('Book')} | "
            f"{help_phase.rate if help_phase else 0:.0f} | "
            + (
                f"{1000 * percentile(paced.latencies, 0.5):.0f} ms | "
                f"{1000 * percentile(paced.latencies, 0.99):.0f} ms |"
                if paced
                else "– | – |"
            )
        )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
