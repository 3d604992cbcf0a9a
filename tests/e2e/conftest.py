"""Helpers for end-to-end tests: people who have finished onboarding."""

from __future__ import annotations

import pytest

from tests.fake_telegram import TelegramControl, TelegramUser


async def onboard(user: TelegramUser, *, consent: bool = True, zone: str = "London") -> None:
    """Take `user` through /start: consent answer and a time-zone button."""
    await user.send("/start")
    await user.expect("Hi ")
    await user.press(await user.expect("May I store"), "Yes" if consent else "Not now")
    await user.press(await user.expect("Which time zone"), zone)
    await user.expect("You're all set!")


@pytest.fixture
def onboarded(tg: TelegramControl, bot):
    """A factory: `await onboarded("Anna", id=...)` returns a person who finished /start."""

    async def make(first_name: str = "Alex", **profile) -> TelegramUser:
        user = tg.user(first_name, **profile)
        await onboard(user)
        return user

    return make
