"""Safety tests use the class tests' trainer and client factories."""

from __future__ import annotations

from tests.classes.conftest import client, trainer  # noqa: F401 (fixtures for the tests here)
