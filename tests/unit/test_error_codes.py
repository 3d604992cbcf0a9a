"""Every reason a service or handler gives for a refusal has its sentence, and each sentence
names only parameters that the place raising it passes."""

from __future__ import annotations

import ast
import datetime as dt
import string
from pathlib import Path

import pytest

from bot.i18n import translator
from bot.services import classes
from bot.services.errors import InvalidInput
from bot.views.errors import MESSAGES, error_text

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {"DomainError", "InvalidInput", "NotFound", "NotAllowed"}


def _raised() -> list[tuple[str, str, frozenset[str]]]:
    """(where, code, parameter names) of every error raised with a literal code."""
    found = []
    for folder in ("bot", "handlers", "jobs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS):
                    continue
                if not node.args or not isinstance(node.args[0], ast.Constant):
                    continue
                code = node.args[0].value
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.append((where, code, frozenset(k.arg for k in node.keywords if k.arg)))
    for not_a_number, out_of_range in classes.NUMBER_ERRORS.values():
        found.append(("classes.parse_whole_number", not_a_number, frozenset({"low", "high"})))
        found.append(
            ("classes.parse_whole_number", out_of_range, frozenset({"low", "high", "value"}))
        )
    return found


def _placeholders(msgid: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(msgid) if name}


RAISED = _raised()


def test_codes_are_found():
    assert {"class_not_found", "booking_overlaps", "places_out_of_range"} <= {
        code for _, code, _ in RAISED
    }


@pytest.mark.parametrize(("where", "code", "params"), RAISED, ids=[w for w, _, _ in RAISED])
def test_each_raised_code_has_a_sentence_with_its_parameters(where, code, params):
    assert code in MESSAGES, f"{where}: no message for {code!r} in bot/views/errors.py"
    missing = _placeholders(MESSAGES[code]) - params
    assert not missing, f"{where}: {code!r} is raised without {sorted(missing)}"


def test_a_reason_is_said_in_the_readers_words():
    problem = InvalidInput("capacity_below_booked_on", booked=7, day=dt.date(2026, 11, 30))
    assert error_text(translator("en"), problem) == (
        "Already booked on Mon 30 Nov: 7, so the capacity can't go below 7. Nobody is dropped "
        "without being asked."
    )
    assert "Mo." in error_text(translator("de"), problem)


def test_codes_are_codes_not_sentences():
    """Services say why with a code; the words are the views' (issue 11)."""
    assert all(code.isidentifier() and code.islower() for _, code, _ in RAISED), [
        (where, code) for where, code, _ in RAISED if not code.isidentifier()
    ]
