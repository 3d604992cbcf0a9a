"""Settings: defaults, parsing, and one clear line per bad value."""

from __future__ import annotations

import pytest

from bot.config import MISSING_TOKEN_HELP, ConfigError, load_settings


def load(monkeypatch, tmp_path, **env: str):
    monkeypatch.chdir(tmp_path)  # no .env here unless the test writes one
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_defaults(monkeypatch, tmp_path):
    settings = load(monkeypatch, tmp_path)
    assert settings.database_url == "sqlite+aiosqlite:///data/bot.db"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.admin_ids == frozenset()
    assert settings.default_timezone == "UTC"
    assert settings.log_level == "INFO"
    assert settings.bot_token is None
    with pytest.raises(ConfigError) as error:
        settings.token()
    assert error.value.lines == [MISSING_TOKEN_HELP]


def test_values_from_the_environment(monkeypatch, tmp_path):
    settings = load(
        monkeypatch,
        tmp_path,
        BOT_TOKEN="123:abc-DEF_ghi",
        ADMIN_IDS=" 12, 34 ,56,",
        DEFAULT_TIMEZONE="Europe/Berlin",
        LOG_LEVEL="debug",
        DATABASE_URL="postgresql+asyncpg://u:p@db/bot",
        TELEGRAM_API_BASE_URL="http://localhost:8081/bot",
    )
    assert settings.token() == "123:abc-DEF_ghi"
    assert settings.admin_ids == frozenset({12, 34, 56})
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.log_level == "DEBUG"
    assert "abc-DEF" not in repr(settings)


def test_values_from_a_dotenv_file(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("BOT_TOKEN=999:fromfile\nADMIN_IDS=7\n")
    settings = load(monkeypatch, tmp_path)
    assert settings.token() == "999:fromfile"
    assert settings.admin_ids == frozenset({7})


def test_an_empty_token_counts_as_missing(monkeypatch, tmp_path):
    settings = load(monkeypatch, tmp_path, BOT_TOKEN="  ")
    assert settings.bot_token is None


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS: 'abc' is not a Telegram user id"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE: 'Mars/Olympus' is not an IANA"),
        ("DEFAULT_TIMEZONE", "../etc/passwd", "DEFAULT_TIMEZONE: '../etc/passwd' is not an IANA"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org", "TELEGRAM_API_BASE_URL: 'api.telegram.org'"),
        ("TELEGRAM_API_BASE_URL", "ftp://x/bot", "TELEGRAM_API_BASE_URL: 'ftp://x/bot' is not"),
        ("DATABASE_URL", "not a url", "DATABASE_URL: is not a database URL"),
        ("DATABASE_URL", "mysql://root@db/x", "DATABASE_URL: driver 'mysql' is not supported"),
        ("DATABASE_URL", "sqlite:///x.db", "DATABASE_URL: driver 'sqlite' is not supported"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: 'LOUD' is not a log level"),
        ("BOT_TOKEN", "secret-token-typo", "BOT_TOKEN: does not look like a bot token"),
        ("EXTRA_LOCALES_DIR", "/no/such/folder", "EXTRA_LOCALES_DIR: '/no/such/folder' is not a"),
        ("BOT_MODE", "push", "BOT_MODE: Input should be 'polling' or 'webhook'"),
        ("WEBHOOK_URL", "bot.example.org/hook", "WEBHOOK_URL: 'bot.example.org/hook' is not"),
        ("WEBHOOK_SECRET", "has spaces", "WEBHOOK_SECRET: must be 1 to 256 characters"),
        ("WEBHOOK_SECRET", "x" * 257, "WEBHOOK_SECRET: must be 1 to 256 characters"),
        ("WEB_PORT", "http", "WEB_PORT: Input should be a valid integer"),
        ("WEB_PORT", "70000", "WEB_PORT: Input should be less than or equal to 65535"),
        ("METRICS_TOKEN", "short", "METRICS_TOKEN: must be at least 16 characters"),
        ("INBOX_RETENTION_HOURS", "0", "INBOX_RETENTION_HOURS: Input should be greater than 0"),
        ("SHUTDOWN_GRACE_SECONDS", "-1", "SHUTDOWN_GRACE_SECONDS: Input should be greater"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: Input should be 'text' or 'json'"),
    ],
)
def test_a_bad_value_gives_one_line_naming_variable_and_problem(
    monkeypatch, tmp_path, variable, value, expected
):
    with pytest.raises(ConfigError) as error:
        load(monkeypatch, tmp_path, **{variable: value})
    assert len(error.value.lines) == 1
    assert error.value.lines[0].startswith(expected), error.value.lines[0]


def test_a_bad_token_is_never_echoed(monkeypatch, tmp_path):
    with pytest.raises(ConfigError) as error:
        load(monkeypatch, tmp_path, BOT_TOKEN="12345:has spaces in it")
    assert "has spaces" not in str(error.value)


def test_several_bad_values_give_one_line_each(monkeypatch, tmp_path):
    with pytest.raises(ConfigError) as error:
        load(monkeypatch, tmp_path, ADMIN_IDS="x", LOG_LEVEL="LOUD")
    assert [line.split(":")[0] for line in error.value.lines] == ["ADMIN_IDS", "LOG_LEVEL"]


def test_an_empty_extra_locales_dir_means_none(monkeypatch, tmp_path):
    assert load(monkeypatch, tmp_path, EXTRA_LOCALES_DIR="").extra_locales_dir is None


def test_service_defaults(monkeypatch, tmp_path):
    settings = load(monkeypatch, tmp_path, WEB_PORT="")
    assert settings.bot_mode == "polling"
    assert not settings.serves_web, "polling without WEB_PORT: no web server"
    assert settings.inbox_retention_hours == 48
    assert settings.log_format == "text"
    assert settings.metrics_token is None


def test_webhook_mode(monkeypatch, tmp_path):
    settings = load(
        monkeypatch,
        tmp_path,
        BOT_MODE="Webhook",
        WEBHOOK_URL="http://localhost:8081/bot/updates",
        WEBHOOK_SECRET="Abc_123-xyz",
        LOG_FORMAT="JSON",
    )
    assert settings.bot_mode == "webhook"
    assert settings.webhook_path == "/bot/updates"
    assert settings.serves_web and settings.listen_port == 8080
    assert settings.log_format == "json"
    assert "Abc_123" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL: is required when BOT_MODE=webhook"),
        ({"WEBHOOK_URL": "https://x.org/h"}, "WEBHOOK_SECRET: is required when BOT_MODE=webhook"),
    ],
)
def test_webhook_mode_needs_url_and_secret(monkeypatch, tmp_path, env, expected):
    with pytest.raises(ConfigError) as error:
        load(monkeypatch, tmp_path, BOT_MODE="webhook", **env)
    assert len(error.value.lines) == 1
    assert error.value.lines[0].startswith(expected), error.value.lines[0]


def test_a_bad_webhook_secret_is_never_echoed(monkeypatch, tmp_path):
    with pytest.raises(ConfigError) as error:
        load(monkeypatch, tmp_path, WEBHOOK_SECRET="top secret!")
    assert "top secret" not in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://bot.example.org", "https://bot.example.org"),
        ("https://bot.example.org/therapy/", "https://bot.example.org/therapy"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ],
)
def test_public_base_url_https_or_local_http(monkeypatch, tmp_path, value, expected):
    settings = load(monkeypatch, tmp_path, WEB_PORT="", PUBLIC_BASE_URL=value)
    assert settings.public_base_url == expected
    assert settings.serves_web, "public pages need the web server"


def test_no_public_base_url_by_default(monkeypatch, tmp_path):
    settings = load(monkeypatch, tmp_path, PUBLIC_BASE_URL="")
    assert settings.public_base_url is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://example.org", "PUBLIC_BASE_URL: 'http://example.org' is not an https URL"),
        ("bot.example.org", "PUBLIC_BASE_URL: 'bot.example.org' is not an https URL"),
        ("ftp://bot.example.org", "PUBLIC_BASE_URL: 'ftp://bot.example.org' is not an https"),
        ("https://bot.example.org/?a=1", "PUBLIC_BASE_URL: 'https://bot.example.org/?a=1': give"),
        ("https://bot.example.org/#top", "PUBLIC_BASE_URL: 'https://bot.example.org/#top': give"),
    ],
)
def test_a_bad_public_base_url_is_refused(monkeypatch, tmp_path, value, expected):
    with pytest.raises(ConfigError) as error:
        load(monkeypatch, tmp_path, PUBLIC_BASE_URL=value)
    assert len(error.value.lines) == 1
    assert error.value.lines[0].startswith(expected), error.value.lines[0]
