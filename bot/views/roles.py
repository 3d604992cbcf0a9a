"""Roles as people read about them: who may do what, and a changed role told to its owner."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, Translator
from bot.models import Role
from bot.views.notices import Reader, Rendered, rendered, template

# One whole sentence per role, so that each language words "only trainers" its own way.
_REFUSALS = {
    Role.TRAINER: N_(
        "Sorry, only trainers can do that. If you think you should be able to, please ask an "
        "admin of your practice."
    ),
    Role.ADMIN: N_(
        "Sorry, only admins can do that. If you think you should be able to, please ask an "
        "admin of your practice."
    ),
}


def refusal(t: Translator, role: Role) -> str:
    """Why someone below `role` may not do what they asked, and whom to ask."""
    return t._(_REFUSALS[role])


# What a person is told when an admin changes their role, by their new role.
_NEW_ROLE = {
    Role.TRAINER: N_(
        "🎉 You're now a trainer here. Your menu has the trainer commands: /newclass creates a "
        "class, and /help lists everything you can do."
    ),
    Role.CLIENT: N_(
        "An admin has made you a client again, so the trainer commands are gone from your "
        "menu. /help shows what you can do. If this is a mistake, please ask an admin of your "
        "practice."
    ),
}


@template("role_changed")
def role_changed(reader: Reader, params: dict[str, Any]) -> Rendered:
    """Told to a person whose role an admin changed (their menu changes at the same moment).

    params: role (the new role's value: "trainer" or "client").
    """
    return rendered(reader.t._(_NEW_ROLE[Role(params["role"])]))
