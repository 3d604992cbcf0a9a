"""Benchmark: CPU per Bot API call of python-telegram-bot's default HTTP client (httpx)
against the bot's (bot/telegram_http.py, aiohttp with JSON bodies).

Run:  .venv/bin/python -m bench.http_client                 (~1 minute)
      .venv/bin/python -m bench.http_client --calls 3200 --rounds 5

The fake Bot API runs as its own process; this process is a Bot sending messages with 16
calls in flight (a replica's UPDATE_CONCURRENCY), first "hello" (the echo bot's /help
reply), then a timetable page (eight session buttons and two to page: what /classes
sends). The figure is this process's CPU time (time.process_time) per call, everything
python-telegram-bot does for a call included (building the request, the HTTP exchange,
parsing the answered Message). The two clients alternate, round by round.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.request import BaseRequest, HTTPXRequest

from bench.service import TOKEN, FakeServer
from bot.telegram_http import AiohttpRequest
from tests.fake_telegram import TelegramControl

IN_FLIGHT = 16
PERSON = {"id": 5_000_001, "first_name": "Alex"}
PAGE_TEXT = "<b>Upcoming classes</b> (times in Europe/Berlin)\n\n" + "\n".join(
    f"Mon 7 Dec 09:{n:02d} · <b>Back care</b> with Anna: 3 of 12 places left" for n in range(8)
)
PAGE_KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(f"Mon 7 Dec 09:{n:02d} Back care", callback_data=f"c:s:{n}")]
        for n in range(8)
    ]
    + [
        [
            InlineKeyboardButton("« Earlier", callback_data="c:p:0"),
            InlineKeyboardButton("Later »", callback_data="c:p:2"),
        ]
    ]
)


async def per_call(base_url: str, request: BaseRequest, calls: int, *, page: bool) -> float:
    """CPU seconds per sendMessage through `request`, IN_FLIGHT at a time (after a warm-up
    that opens the connections)."""
    bot = Bot(TOKEN, base_url=f"{base_url}/bot", request=request)

    async def sender(count: int) -> None:
        for _ in range(count):
            if page:
                await bot.send_message(PERSON["id"], PAGE_TEXT, reply_markup=PAGE_KEYBOARD)
            else:
                await bot.send_message(PERSON["id"], "hello")

    async with bot:
        await asyncio.gather(*(sender(4) for _ in range(IN_FLIGHT)))
        started = time.process_time()
        await asyncio.gather(*(sender(calls // IN_FLIGHT) for _ in range(IN_FLIGHT)))
        return (time.process_time() - started) / (calls // IN_FLIGHT * IN_FLIGHT)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1600, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = FakeServer()
    try:
        await TelegramControl(server.base_url).call("message", **{"from": PERSON, "text": "hi"})
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for reply in ("hello", "page"):
                for client, make in (
                    ("httpx (PTB's default)", lambda: HTTPXRequest(connection_pool_size=256)),
                    ("aiohttp (the bot's)", AiohttpRequest),
                ):
                    found = await per_call(
                        server.base_url, make(), args.calls, page=reply == "page"
                    )
                    results.setdefault((client, reply), []).append(found)
                    print(f"[{client}] {reply}: {1000 * found:.3f} ms CPU per call", flush=True)
    finally:
        server.stop()
    print()
    print(f"CPU per sendMessage, {IN_FLIGHT} in flight; median of {args.rounds} rounds (range)")
    print('| client | "hello" | a timetable page |')
    print("|---|---|---|")
    for client in ("httpx (PTB's default)", "aiohttp (the bot's)"):
        cells = []
        for reply in ("hello", "page"):
            found = results[client, reply]
            cells.append(
                f"{1000 * statistics.median(found):.2f} ms "
                f"({1000 * min(found):.2f}–{1000 * max(found):.2f})"
            )
        print(f"| {client} | {' | '.join(cells)} |")


if __name__ == "__main__":
    asyncio.run(main())
