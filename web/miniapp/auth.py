"""Who is asking: the session cookie, the reader it stands for, and the checks on every POST.

The cookie holds the user's id and a random nonce, signed (itsdangerous, HMAC-SHA1 over a
key derived from the bot token, so that no other secret needs configuring) with the time it
was issued; it is HttpOnly, honoured for 12 hours, and behind https Secure, SameSite=None and
Partitioned (Telegram Web frames the app; see `start_session`), SameSite=Strict otherwise.
The role, language and zone are read from the users table on every request.

A POST must carry the session's CSRF token (HMAC of the nonce) in the `csrf` field or the
X-CSRF-Token header, and come from this site (Origin, or Referer when a browser sends no
Origin): a cross-site form can neither read the token nor pass the origin check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from bot.config import Settings
from bot.i18n import Translator, reader_language, translator
from bot.models import Role, User
from bot.services import users
from bot.views.formatting import zone_of
from web.context import context_of

COOKIE = "miniapp"
MAX_FORM = 64 * 1024
SESSION_SECONDS = 12 * 3600


def _key(settings: Settings, purpose: str) -> bytes:
    """A key for `purpose`, derived from the bot token (never the token itself)."""
    label = f"miniapp:{purpose}".encode()
    return hmac.new(settings.token().encode(), label, hashlib.sha256).digest()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_key(settings, "session"), salt="miniapp-session")


@dataclass
class Viewer:
    """The signed-in reader: their stored record, words, time zone, and CSRF token."""

    user: User
    t: Translator
    zone: str
    csrf: str

    @property
    def is_trainer(self) -> bool:
        """True for trainers and admins (who see the trainer pages)."""
        return self.user.role.at_least(Role.TRAINER)

    @property
    def is_admin(self) -> bool:
        """True for admins (who see every trainer's classes)."""
        return self.user.role == Role.ADMIN


def csrf_token(settings: Settings, nonce: str) -> str:
    """The CSRF token bound to the session with `nonce`."""
    return hmac.new(_key(settings, "csrf"), nonce.encode(), hashlib.sha256).hexdigest()


def start_session(response: Response, settings: Settings, user_id: int) -> None:
    """Set the signed session cookie for `user_id` on `response` (a fresh nonce each time)."""
    value = _serializer(settings).dumps({"u": user_id, "n": secrets.token_urlsafe(16)})
    secure = (settings.public_base_url or "").startswith("https://")
    # Telegram Web shows the app in a frame of web.telegram.org, another site: a Strict or
    # Lax cookie is never sent there, and every page would ask to sign in again. Behind
    # https the cookie is SameSite=None, Secure and Partitioned (kept apart for each site
    # that frames it); POSTs stay guarded by the CSRF token and the Origin check, and only
    # Telegram may frame the pages (the CSP's frame-ancestors). Plain http (development on
    # this machine) keeps Strict: browsers refuse SameSite=None without Secure.
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path="/app",
        httponly=True,
        samesite="none" if secure else "strict",
        secure=secure,
    )
    if secure:
        # Starlette sets Partitioned only on Python 3.14 and later.
        name, header = response.raw_headers[-1]
        response.raw_headers[-1] = (name, header + b"; Partitioned")


def _session(request: Request) -> tuple[int, str] | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    settings = context_of(request).deps.settings
    try:
        data = _serializer(settings).loads(raw, max_age=SESSION_SECONDS)
        return int(data["u"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


async def viewer_of(request: Request) -> Viewer | None:
    """The reader behind the request's session cookie, as the database knows them now;
    None without a valid cookie or when the user is gone."""
    found = _session(request)
    if found is None:
        return None
    user_id, nonce = found
    deps = context_of(request).deps
    async with deps.db.reading() as session:
        user = await users.get_user(session, user_id)
    if user is None:
        return None
    return Viewer(
        user=user,
        t=translator(reader_language(user.language, user.language_code)),
        zone=zone_of(user, deps.settings.default_timezone),
        csrf=csrf_token(deps.settings, nonce),
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request) -> bool:
    """True when the request comes from a page of this site: its Origin (or, without one,
    its Referer) is this server's own address or PUBLIC_BASE_URL's."""
    allowed = {_origin(str(request.base_url))}
    public = context_of(request).deps.settings.public_base_url
    if public:
        allowed.add(_origin(public))
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.lower() in allowed
    referer = request.headers.get("referer")
    return bool(referer) and _origin(referer) in allowed


async def csrf_ok(request: Request, viewer: Viewer) -> bool:
    """True when a POST carries the viewer's CSRF token and comes from this site."""
    if not same_origin(request):
        return False
    given = request.headers.get("x-csrf-token")
    if given is None:
        given = (await form_of(request)).get("csrf", "")
    return hmac.compare_digest(given.encode(), viewer.csrf.encode())


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a POSTed form (application/x-www-form-urlencoded, what the pages send;
    the first value of each name), read once per request; empty beyond 64 KiB."""
    if not hasattr(request.state, "form"):
        body = await request.body()
        fields: dict[str, str] = {}
        if len(body) <= MAX_FORM:
            for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                fields.setdefault(name, value)
        request.state.form = fields
    return request.state.form
