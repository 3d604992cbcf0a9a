"""Settings: everything the bot is configured with, read from the environment or `.env`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ASYNC_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
# What Telegram accepts as a webhook's secret_token.
_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_WEB_PORT = 8080

MISSING_TOKEN_HELP = (
    "BOT_TOKEN is not set, so the bot cannot talk to Telegram. To get a token, open "
    "Telegram, start a chat with @BotFather, send /newbot and follow its questions; it "
    "answers with a token like 123456789:AAH... Put it in a file named .env in this "
    "directory as the line BOT_TOKEN=<your token> (copy .env.example to start from), or "
    "export BOT_TOKEN in your shell, then run the command again. Keep the token secret: "
    "anyone who has it controls your bot."
)


class ConfigError(Exception):
    """Raised when the configuration is invalid; its lines name each variable and problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class Settings(BaseSettings):
    """The bot's configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    # A folder of the practice's own translation catalogs (<language>/LC_MESSAGES/messages.po),
    # read before the shipped ones: how a language is added without changing the code.
    extra_locales_dir: Path | None = None
    # Updates handled at once (one chat's updates always in order). Each waits on its
    # database work and its Bot API calls; more helps when Telegram is far away.
    update_concurrency: int = Field(default=16, ge=1, le=256)

    # Delivery of queued messages (see jobs/delivery.py).
    delivery_max_per_second: float = Field(default=25.0, gt=0, le=1000)
    delivery_concurrency: int = Field(default=8, ge=1, le=256)
    delivery_max_attempts: int = Field(default=5, ge=1, le=100)
    delivery_retry_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    delivery_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    delivery_tick_seconds: float = Field(default=2.0, gt=0, le=300)
    # How often reminders that fell due are looked for (they go out within this of due).
    reminder_tick_seconds: float = Field(default=10.0, gt=0, le=300)
    # How often tips that fell due are looked for.
    tip_tick_seconds: float = Field(default=300.0, gt=0, le=3600)
    # How long a place is held for a client whose screening asks for a doctor's OK before
    # it goes back to the waitlist (issue 12).
    clearance_hold_hours: int = Field(default=48, ge=1, le=14 * 24)

    # Running as a service (see bot/runtime.py and README "Running as a service").
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_host: str = "127.0.0.1"
    # None: no web server in polling mode, DEFAULT_WEB_PORT in webhook mode. 0: any free port.
    web_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_token: SecretStr | None = None
    # How long handled updates stay in the inbox (for looking into what happened). Under six
    # days: after a week without updates Telegram may start update ids anywhere, and a
    # new update must not meet an old one's id.
    inbox_retention_hours: float = Field(default=48.0, gt=0, le=144)
    # How long a claimed update waits for a replica that died while handling it.
    inbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # On SIGTERM: how long updates in flight may take to finish before the process exits.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, le=600)
    log_format: Literal["text", "json"] = "text"
    # Where the web pages (Mini App, calendar feeds) are reached from outside: an https URL
    # (http only for localhost, in development). Unset: no Dashboard buttons, no feeds.
    public_base_url: str | None = None
    # How old Telegram's signed Mini App init data may be before a request is refused.
    webapp_auth_max_age: float = Field(default=3600.0, ge=60, le=7 * 24 * 3600)

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token_format(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _TOKEN_PATTERN.match(text.strip()):
            # Never echo the value: it may be a real token with a typo.
            raise ValueError(
                "does not look like a bot token (expected digits, a colon and letters, "
                "as @BotFather gives it)"
            )
        return text.strip()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL (expected sqlite+aiosqlite:///path/to/file.db "
                "or postgresql+asyncpg://user@host/db)"
            ) from None
        if url.drivername not in _ASYNC_DRIVERS:
            raise ValueError(
                f"driver {url.drivername!r} is not supported "
                f"(use one of: {', '.join(_ASYNC_DRIVERS)})"
            )
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{value!r} is not an http(s) URL (the default is https://api.telegram.org/bot)"
            )
        return value

    @field_validator("extra_locales_dir", mode="before")
    @classmethod
    def _no_locales_dir(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("extra_locales_dir")
    @classmethod
    def _locales_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{str(value)!r} is not a folder")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            ids: set[int] = set()
            for part in value.replace(" ", "").split(","):
                if not part:
                    continue
                if not part.isdigit():
                    raise ValueError(
                        f"{part!r} is not a Telegram user id (expected comma-separated numbers)"
                    )
                ids.add(int(part))
            return frozenset(ids)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone (examples: UTC, Europe/Berlin, "
                "America/New_York)"
            ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        text = str(value).strip().upper()
        if text not in _LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level (use one of: {', '.join(_LOG_LEVELS)})")
        return text

    @field_validator("bot_mode", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("web_port", mode="before")
    @classmethod
    def _web_port(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None  # WEB_PORT= in .env: unset
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{text!r} is not an http(s) URL (example: https://bot.example.org/telegram)"
            )
        return text

    @field_validator("public_base_url", mode="before")
    @classmethod
    def _public_base_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip().rstrip("/")
        parts = urlsplit(text)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if not parts.hostname or not (
            parts.scheme == "https" or (parts.scheme == "http" and local)
        ):
            raise ValueError(
                f"{text!r} is not an https URL (example: https://bot.example.org; "
                "http only for localhost)"
            )
        if parts.query or parts.fragment:
            raise ValueError(f"{text!r}: give the URL without ? or #")
        return text

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _SECRET_PATTERN.match(text):
            # Never echo the value: it is a secret.
            raise ValueError(
                "must be 1 to 256 characters, each a letter A-Z or a-z, a digit, _ or - "
                "(what Telegram accepts as a secret token)"
            )
        return text

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _metrics_token(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value).strip()
        if len(text) < 16 or any(c.isspace() for c in text):
            raise ValueError("must be at least 16 characters without spaces (a long random string)")
        return text

    @model_validator(mode="after")
    def _webhook_needs(self) -> Settings:
        if self.bot_mode == "webhook":
            if self.webhook_url is None:
                raise ValueError(
                    "WEBHOOK_URL: is required when BOT_MODE=webhook (the public URL Telegram "
                    "sends updates to, e.g. https://bot.example.org/telegram)"
                )
            if self.webhook_secret is None:
                raise ValueError(
                    "WEBHOOK_SECRET: is required when BOT_MODE=webhook (1 to 256 letters, "
                    "digits, _ or -; Telegram sends it with every update)"
                )
        return self

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL: the route the web server receives updates on."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def serves_web(self) -> bool:
        """True when this process runs the web server (webhook mode, or WEB_PORT set)."""
        return (
            self.bot_mode == "webhook"
            or self.web_port is not None
            or self.public_base_url is not None
        )

    @property
    def listen_port(self) -> int:
        """The port the web server listens on."""
        return DEFAULT_WEB_PORT if self.web_port is None else self.web_port

    def token(self) -> str:
        """Return the bot token, or raise ConfigError with the BotFather help when it is unset."""
        if self.bot_token is None:
            raise ConfigError([MISSING_TOKEN_HELP])
        return self.bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment and `.env`; raise ConfigError naming each problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            if not error["loc"]:  # a rule across variables names them itself
                lines.append(message)
                continue
            variable = "_".join(str(part) for part in error["loc"][:1]).upper()
            lines.append(f"{variable}: {message}")
        raise ConfigError(lines) from None
