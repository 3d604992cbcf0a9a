"""Tip tests want the tip tick running fast."""

from __future__ import annotations

import pytest

from tests.catalogs import catalog  # noqa: F401 (a fixture for the tests here)
from tests.harness import test_settings


@pytest.fixture
def bot_settings(tg, database_url, admin_id):
    """Settings of the bot under test, with a fast tip and community tick."""
    return test_settings(
        tg.api_url, database_url, admin_ids=frozenset({admin_id}), tip_tick_seconds=0.2
    )
