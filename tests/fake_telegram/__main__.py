"""Run the fake Bot API alone: `python -m tests.fake_telegram --token T --port 8081`."""

import argparse
import asyncio
import contextlib

from tests.fake_telegram.server import FakeTelegram


async def _serve(token: str, host: str, port: int) -> None:
    server = FakeTelegram(token)
    url = await server.start(host, port)
    print(url, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    """Parse the arguments, print the base URL and serve until interrupted."""
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server for tests.")
    parser.add_argument("--token", required=True, help="the bot token it accepts")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.token, args.host, args.port))


if __name__ == "__main__":
    main()
