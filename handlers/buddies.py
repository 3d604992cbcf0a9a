"""/buddy: weekly class buddies. Introductions, "Did you two connect?", and the gentle
nudge when someone misses two sessions in a row."""

from __future__ import annotations

import datetime as dt
import random
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import translator
from bot.models import Priority, User
from bot.services import buddies, classes, outbox, users
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.formatting import short_when
from bot.views.keyboards import button, column, grid
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

# TODO(i18n): scheduled messages are rendered in English until they become templates.
ENGLISH = translator(None)

PREFIX = "bud"
STARTERS = (
    "Which exercise do you secretly like best?",
    "What got you to join the class?",
    "What's one small win from this week?",
    "Coffee or tea after class?",
    "Which stretch do you do at home, if any?",
)


def _status(user: User) -> tuple[str, object]:
    if user.buddy_opt_in:
        return (
            "🤝 <b>Class buddies</b>: you're in. Each Monday I pair you with another member of "
            "your class (a trio when numbers are odd) and introduce you privately.",
            column(button("Stop pairing me", pack(PREFIX, "off"))),
        )
    return (
        "🤝 <b>Class buddies</b>: each Monday I pair members of a class who want a buddy, and "
        "introduce you privately with a conversation starter. Your buddy sees your first name "
        "and Telegram username (or a link to message you). Nothing about your check-ins.",
        column(button("Yes, find me a buddy", pack(PREFIX, "on"))),
    )


async def show_buddy(update: Update, context: BotContext) -> None:
    """/buddy: opt in or out."""
    text, keyboard = _status(context.actor)
    await respond(update, context, text, reply_markup=keyboard)


@guard(private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Opt in / out, and the answers to "Did you two connect?"."""
    args = unpack(update.callback_query.data)[1:]
    now = context.deps.clock.now()
    if args in (["on"], ["off"]):
        async with context.deps.db.transaction() as session:
            context.actor = await buddies.set_opt_in(
                session, context.actor.id, args == ["on"], now=now
            )
        text, keyboard = _status(context.actor)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if len(args) == 2 and args[0] in ("yes", "notyet") and args[1].isdigit():
        async with context.deps.db.transaction() as session:
            ok = await buddies.answer(session, context.actor.id, int(args[1]), args[0] == "yes")
        if not ok:
            raise stale_button()
        await answer_query(update, context, "Thanks for letting me know!")
        await edit_or_send(
            update,
            context,
            "🙌 Lovely, keep it going!"
            if args[0] == "yes"
            else "No worries: there's always next class.",
        )
        return
    raise stale_button()


def _mention(person: User) -> str:
    if person.username:
        return f"{escape(person.first_name)} (@{escape(person.username)})"
    return f'<a href="tg://user?id={person.id}">{escape(person.first_name)}</a> (tap to message)'


def introductions(match: buddies.Match, *, now: dt.datetime) -> list[outbox.Notice]:
    """A private introduction for each member of a new pair or trio."""
    starter = random.Random(match.pair_id).choice(STARTERS)
    notices = []
    for member in match.members:
        others = [m for m in match.members if m.id != member.id]
        names = " and ".join(_mention(o) for o in others)
        notices.append(
            outbox.Notice(
                chat_id=member.id,
                text=(
                    f"🤝 Your buddy this week in <b>{escape(match.series.title)}</b>: {names}.\n\n"
                    f"Say hello! A conversation starter: <i>{escape(starter)}</i>"
                ),
                dedupe_key=f"buddy-intro:{match.pair_id}:{member.id}",
                kind="buddy",
                priority=Priority.BACKGROUND,
                subjects=tuple(other.id for other in others),
            )
        )
    return notices


def question(item: buddies.Question) -> outbox.Notice:
    """ "Did you two connect?" three days after the introduction, naming the buddies who
    are still members."""
    names = " and ".join(escape(b.first_name) for b in item.buddies)
    return outbox.Notice(
        chat_id=item.user.id,
        text=f"🤝 Did you and {names} connect this week?",
        dedupe_key=f"buddy-ask:{item.pair_id}:{item.user.id}",
        kind="buddy",
        priority=Priority.BACKGROUND,
        subjects=tuple(b.id for b in item.buddies),
        reply_markup=grid(
            [
                button("Yes 🙌", pack(PREFIX, "yes", item.pair_id)),
                button("Not yet", pack(PREFIX, "notyet", item.pair_id)),
            ]
        ).to_dict(),
    )


async def missed_twice_notices(
    session: AsyncSession, user_id: int, series_id: int, *, now: dt.datetime
) -> list[outbox.Notice]:
    """After a second no-show in a row: a warm "we missed you" with a one-tap rebook for
    the client, and a gentle nudge suggestion for their buddy."""
    if not await buddies.missed_twice(session, user_id, series_id):
        return []
    person = await users.get_user(session, user_id)
    zone = person.timezone or "UTC"
    ahead = await classes.upcoming(session, now=now, days=21, series_id=series_id, limit=1)
    series = ahead[0].series if ahead else None
    title = escape(series.title) if series else "your class"
    rebook = (
        {
            "reply_markup": column(
                button(
                    f"Book {short_when(ENGLISH, ahead[0].session.starts_at, zone)}",
                    pack("cl", "b", ahead[0].session.id),
                )
            ).to_dict()
        }
        if ahead
        else {}
    )
    notices = [
        outbox.Notice(
            chat_id=user_id,
            text=(
                f"💛 We missed you at {title}! No pressure: life happens. Whenever you're ready, "
                "your place in the group is waiting."
            ),
            dedupe_key=f"missed:{user_id}:{series_id}:{now.date().isoformat()}",
            kind="missed",
            priority=Priority.BACKGROUND,
            **rebook,
        )
    ]
    for buddy in await buddies.current_buddies(session, user_id, series_id, now=now):
        notices.append(
            outbox.Notice(
                chat_id=buddy.id,
                text=(
                    f"🤝 Your buddy {escape(person.first_name)} hasn't made it to {title} the last "
                    "two times. A friendly hello might be just the thing."
                ),
                dedupe_key=f"missed-buddy:{user_id}:{series_id}:{buddy.id}:{now.date().isoformat()}",
                kind="buddy",
                priority=Priority.BACKGROUND,
                subjects=(user_id,),
            )
        )
    return notices


def register(application: Application) -> None:
    """Add /buddy and its buttons."""
    application.add_handler(command("buddy", show_buddy))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
