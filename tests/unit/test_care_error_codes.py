"""Every reason the care services (tips, check-ins, community, buddies, broadcasts, progress)
give for a refusal has its sentence in bot/views/errors.py, with exactly the placeholders
the service fills in; and each says something in every shipped language."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bot.i18n import available_languages, translator
from bot.services.errors import InvalidInput
from bot.views.errors import MESSAGES, error_text

SERVICES = Path(__file__).resolve().parents[2] / "bot" / "services"
CARE = ("tips", "checkins", "community", "buddies", "broadcasts", "progress")
ERRORS = {"DomainError", "InvalidInput", "NotAllowed", "NotFound", "ConsentNeeded"}


def raised(module: str) -> list[tuple[str, set[str], int]]:
    """(code, parameter names, line) of each domain error the module raises."""
    tree = ast.parse((SERVICES / f"{module}.py").read_text())
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ERRORS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.args[0].value, {k.arg for k in node.keywords}, node.lineno))
    return found


def placeholders(msgid: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(msgid) if name}


@pytest.mark.parametrize("module", CARE)
def test_every_code_has_its_sentence_with_the_same_placeholders(module):
    for code, params, line in raised(module):
        where = f"bot/services/{module}.py:{line}"
        assert " " not in code, f"{where} raises a sentence, not a code: {code!r}"
        assert code in MESSAGES, f"{where}: no message for {code!r} in bot/views/errors.py"
        assert placeholders(MESSAGES[code]) == params, where


def test_the_care_services_raise_something():
    assert sum(len(raised(module)) for module in CARE) >= 20


@pytest.mark.parametrize("language", available_languages())
def test_a_refusal_reads_in_every_language(language):
    error = InvalidInput("note_too_long", length=612, limit=500)
    text = error_text(translator(language), error)
    assert "612" in text and "500" in text
    assert "note_too_long" not in text
