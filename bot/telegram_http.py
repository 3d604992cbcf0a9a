"""How the bot talks HTTP to the Bot API: python-telegram-bot's request interface on aiohttp.

python-telegram-bot's default backend (HTTPXRequest) spends more of a reply's CPU than the
bot's own work does: httpx form-encodes every parameter in pure Python (the keyboard of a
/classes page byte by byte), and httpcore's pool checks every idle connection with a system
call on every request. This backend sends each call as one JSON body, as the Bot API accepts
(multipart only when a file goes with it), over aiohttp's connection pool and C-accelerated
HTTP parser. It keeps PTB's semantics: the same timeouts (read, write, connect, pool) with
the same defaults, TimedOut for a timeout and NetworkError for a connection that failed, and
the status and body of every answer handed back for PTB to read.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# httpx's default (and so PTB's): an idle connection older than this is not reused.
KEEPALIVE_SECONDS = 5.0


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp session: JSON bodies, pooled keep-alive connections.

    The arguments mean what they mean for PTB's HTTPXRequest, with its defaults: at most
    `connection_pool_size` connections at once; `pool_timeout` seconds to wait for one of
    them and `connect_timeout` to open it (aiohttp bounds the two together, by their sum),
    `read_timeout` to wait for each part of the answer; the whole call is bounded by those
    and `write_timeout` (`media_write_timeout` when a file goes with the call).
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default seconds to wait for an answer (PTB adds it to getUpdates' own)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS
                ),
                # PTB reads the body and decides; a 4xx or 5xx is not an exception here.
                raise_for_status=False,
                # The bot's calls carry no cookies; Telegram sets none.
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent",),
                headers={"User-Agent": self.USER_AGENT},
            )

    def _proxy(self, url: str) -> str | None:
        """The proxy for `url` from HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (as httpx
        honours them), looked up once per scheme and host: aiohttp's own `trust_env` looks
        again on every request, reading ~/.netrc in a thread each time."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            found = getproxies()
            proxy = found.get(parts.scheme) or found.get("all")
            self._proxies[key] = None if proxy is None or proxy_bypass(key[1]) else proxy
        return self._proxies[key]

    async def shutdown(self) -> None:
        """Close the session and its connections; a later initialize opens a new one."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one call; return the answer's status and body (PTB's contract: it reads
        both). A timeout raises TimedOut, a failed connection NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        body: Any = None
        headers = None
        if request_data is not None and files:
            body = _multipart(request_data)
        elif request_data is not None:
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json"}
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            # Waiting for a free connection and opening it; then each read of the answer.
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
            # aiohttp has no write timeout of its own: the whole call is bounded by all four.
            total=_sum(pool, connect, write, read),
        )
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        except OSError as err:  # a connection refused or reset below aiohttp's own errors
            raise NetworkError(f"{err.__class__.__name__}: {err}") from err


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """The timeout passed for this call, or the request's own when none was (PTB passes a
    DefaultValue then, as HTTPXRequest checks)."""
    return default if isinstance(value, DefaultValue) else value


def _sum(*parts: float | None) -> float | None:
    """The parts added up; None (no limit) when any part is None."""
    return None if any(part is None for part in parts) else sum(parts)  # type: ignore[arg-type]


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """The call as multipart/form-data: each parameter JSON-encoded as PTB encodes it, then
    each file with its name and type."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
