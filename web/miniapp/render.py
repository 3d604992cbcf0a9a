"""Pages from the Jinja2 templates in web/templates, in the reader's language.

The environment is made once, with autoescaping and the i18n extension; the translation
functions are bound per page to the reader's Translator: `_("text {x}", x=...)`,
`n_(singular, plural, n, ...)` and `p_("button", "label")`, the same markers as the Python
code (so `make messages` finds the templates' words, babel.cfg reads web/templates).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from bot.i18n import Translator, translator

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.cache
def environment() -> Environment:
    """The one template environment (templates are compiled once per process)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )


def words(t: Translator) -> dict[str, Any]:
    """The translation functions a template calls, bound to the reader `t`."""
    return {
        "_": t._,
        "gettext": t._,
        "n_": t.n_,
        "ngettext": t.n_,
        "p_": t.p_,
        "pgettext": t.p_,
        "t": t,
        "lang": t.language,
    }


def page(
    template: str,
    t: Translator | None = None,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """The rendered `template` for the reader `t` (English without one), as HTML."""
    reader = t or translator(None)
    html = environment().get_template(template).render(**words(reader), **values)
    return HTMLResponse(html, status_code=status_code)
