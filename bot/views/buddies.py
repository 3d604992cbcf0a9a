"""Class buddies as people read about them, privately: the weekly introduction with a
conversation starter, "Did you connect?", and after two missed sessions a warm word for the
client and a nudge for their buddy."""

from __future__ import annotations

import random
from html import escape
from typing import Any

from bot.i18n import N_, Translator
from bot.models import User
from bot.views.callbacks import pack
from bot.views.classes import LIST
from bot.views.formatting import short_when
from bot.views.keyboards import button, column, grid
from bot.views.notices import Reader, Rendered, rendered, template, when

# Callback prefix of the buddy buttons (handled in handlers/buddies.py).
BUDDY = "bud"
# Callback prefix that shows a session with its Book button (handlers/classes.py `LIST`).

STARTERS = (
    N_("Which exercise do you secretly like best?"),
    N_("What got you to join the class?"),
    N_("What's one small win from this week?"),
    N_("Coffee or tea after class?"),
    N_("Which stretch do you do at home, if any?"),
)


def starter_for(pair_id: int) -> int:
    """Which conversation starter a pair gets (the same for each of its members)."""
    return random.Random(pair_id).randrange(len(STARTERS))


def person_params(person: User) -> dict[str, Any]:
    """What an introduction keeps of a buddy: id, first name and username."""
    return {"id": person.id, "name": person.first_name, "username": person.username}


def _mention(t: Translator, person: dict[str, Any]) -> str:
    """A buddy by name, with their username, or a link that opens a chat with them."""
    name = escape(person["name"])
    if person.get("username"):
        return f"{name} (@{escape(person['username'])})"
    link = f'<a href="tg://user?id={person["id"]}">{name}</a>'
    # Translators: {name} is a link to the person; tapping it opens a chat with them.
    return t._("{name} (tap to message)", name=link)


@template("buddy_intro")
def introduction(reader: Reader, params: dict[str, Any]) -> Rendered:
    """This week's buddy (or two, in a trio), introduced privately.

    params: title (the class's), buddies (see `person_params`), starter (see `starter_for`).
    """
    t = reader.t
    names = t.list([_mention(t, person) for person in params["buddies"]])
    starter = t._(STARTERS[params["starter"]])
    return rendered(
        t.n_(
            "🤝 Your buddy this week in <b>{title}</b>: {names}.\n\nSay hello! A conversation "
            "starter: <i>{starter}</i>",
            "🤝 Your buddies this week in <b>{title}</b>: {names}.\n\nSay hello! A "
            "conversation starter: <i>{starter}</i>",
            len(params["buddies"]),
            title=escape(params["title"]),
            names=names,
            starter=escape(starter),
        )
    )


@template("buddy_question")
def question(reader: Reader, params: dict[str, Any]) -> Rendered:
    """ "Did you two connect?", three days after the introduction.

    params: pair (its id), buddies (first names of those still members).
    """
    t = reader.t
    names = t.list([escape(name) for name in params["buddies"]])
    return rendered(
        t._("🤝 Did you and {names} connect this week?", names=names),
        grid(
            [
                # Translators: the answer to "Did you and Ann connect this week?".
                button(t._("Yes 🙌"), pack(BUDDY, "yes", params["pair"])),
                button(t._("Not yet"), pack(BUDDY, "notyet", params["pair"])),
            ]
        ),
    )


@template("missed")
def missed(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A warm word after a client's second no-show in a row, with a one-tap rebook of the
    class's next session when there is one.

    params: title (the class's, or None when it has no session ahead), session (its next
    session's id) and starts_at (ISO), when there is one.
    """
    t = reader.t
    if params.get("title"):
        text = t._(
            "💛 We missed you at {title}! No pressure: life happens. Whenever you're ready, "
            "your place in the group is waiting.",
            title=escape(params["title"]),
        )
    else:
        text = t._(
            "💛 We missed you in class! No pressure: life happens. Whenever you're ready, "
            "your place in the group is waiting."
        )
    if not params.get("session"):
        return rendered(text)
    moment = short_when(t, when(params, "starts_at"), reader.timezone)
    # Translators: button, "Book Mon 30 Nov · 18:00".
    rebook = button(t._("Book {when}", when=moment), pack(LIST, "b", params["session"]))
    return rendered(text, column(rebook))


@template("missed_buddy")
def missed_buddy(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A nudge for the buddy of a client who missed two sessions in a row.

    params: name (the client's first name), title (the class's, or None).
    """
    t = reader.t
    name = escape(params["name"])
    if params.get("title"):
        text = t._(
            "🤝 Your buddy {name} hasn't made it to {title} the last two times. A friendly "
            "hello might be just the thing.",
            name=name,
            title=escape(params["title"]),
        )
    else:
        text = t._(
            "🤝 Your buddy {name} hasn't made it to class the last two times. A friendly hello "
            "might be just the thing.",
            name=name,
        )
    return rendered(text)
