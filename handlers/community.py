"""Community groups: linking a group to classes, welcoming members, and what the bot posts
there. Posts carry nothing personal: schedules, reminders, invitations to check in
privately, and anonymous averages of at least three people."""

from __future__ import annotations

import datetime as dt
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.i18n import translator
from bot.models import Priority, Role
from bot.services import classes, community, outbox, progress, users
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.formatting import short_when
from bot.views.keyboards import button, column, deep_link, link_button
from handlers.guards import command, guard
from handlers.replies import edit_or_send, respond

# TODO(i18n): scheduled messages are rendered in English until they become templates.
ENGLISH = translator(None)

PREFIX = "grp"


async def link_group(update: Update, context: BotContext) -> None:
    """/linkgroup (in the group): choose which of your classes this group belongs to."""
    async with context.deps.db.reading() as session:
        own = await classes.trainer_series(session, context.actor.id)
        linked = {s.id for s in await community.linked_series(session, update.effective_chat.id)}
    if not own:
        await respond(update, context, "You have no classes to link yet: /newclass creates one.")
        return
    await respond(
        update,
        context,
        "Which class is this group for? (You can link several.)",
        reply_markup=column(
            *(
                button(("✅ " if s.id in linked else "") + s.title, pack(PREFIX, "link", s.id))
                for s in own
            )
        ),
    )


async def unlink_group(update: Update, context: BotContext) -> None:
    """/unlinkgroup (in the group): unlink it from your classes."""
    async with context.deps.db.transaction() as session:
        removed = await community.unlink(session, context.actor, chat_id=update.effective_chat.id)
    await respond(
        update,
        context,
        f"Unlinked from {removed} class{'es' if removed != 1 else ''}. I'll post nothing more here "
        "for them."
        if removed
        else "This group isn't linked to any of your classes.",
    )


@guard(Role.TRAINER)
async def on_link_button(update: Update, context: BotContext) -> None:
    """A class chosen under /linkgroup; only a trainer (of that class) may press it."""
    args = unpack(update.callback_query.data)[1:]
    chat = update.effective_chat
    if len(args) != 2 or args[0] != "link" or not args[1].isdigit():
        raise stale_button()
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        raise stale_button()
    async with context.deps.db.transaction() as session:
        created = await community.link(
            session,
            context.actor,
            chat_id=chat.id,
            title=chat.title or "",
            series_id=int(args[1]),
            now=context.deps.clock.now(),
        )
        titles = [s.title for s in await community.linked_series(session, chat.id)]
    done = "Linked" if created else "Already linked"
    await edit_or_send(
        update,
        context,
        f"✅ {done}. This group now belongs to: {escape(', '.join(titles))}.\n\nI'll post the "
        "week's schedule on Mondays, a reminder on class days, a weekly invitation to check in "
        "privately, and an anonymous summary when enough people checked in. Nobody's check-in "
        "is ever shown here.",
    )


async def on_new_members(update: Update, context: BotContext) -> None:
    """Welcome people who join a group, with a button to start the bot privately."""
    message = update.effective_message
    people = [m for m in message.new_chat_members or [] if not m.is_bot]
    if not people:
        return
    names = ", ".join(escape(p.first_name) for p in people)
    await context.bot.send_message(
        message.chat_id,
        f"👋 Welcome, {names}! I'm the class assistant. Book classes, get reminders and check "
        "in privately with me: tap below to start.",
        reply_markup=column(link_button("Start the bot", deep_link(context.bot.username))),
    )


# --------------------------------------------------------------------- group posts


def render_post(
    post: community.GroupPost, bot_username: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A group post: text and buttons (deep links, so they work for people who never started
    the bot)."""
    zone = post.zone
    if post.kind in ("schedule", "class_day"):
        heading = "🗓 <b>This week's classes</b>" if post.kind == "schedule" else "📣 <b>Today</b>"
        lines = [heading, f"(times in {escape(zone)})", ""]
        buttons = []
        for info in post.sessions[:10]:
            when = short_when(ENGLISH, info.session.starts_at, zone)
            lines.append(f"• {when} – {escape(info.series.title)}, {escape(info.session.location)}")
            buttons.append(
                link_button(
                    f"Book {when} {info.series.title}"[:60],
                    deep_link(bot_username, f"book-{info.session.id}"),
                )
            )
        lines.append("\nSee you there! Booking continues in a private chat with me.")
        return "\n".join(lines), column(*buttons)
    if post.kind == "checkin":
        return (
            "💬 <b>How's your week going?</b>\n\nTake 20 seconds to check in privately with me "
            "(only you see it), and cheer each other on here! 💪",
            column(link_button("📝 Check in privately", deep_link(bot_username, "checkin"))),
        )
    summary = post.summary
    energy = f"average energy {summary.energy_now:.1f}"
    if summary.energy_before is not None:
        direction = (
            "up"
            if summary.energy_now > summary.energy_before
            else ("down" if summary.energy_now < summary.energy_before else "steady")
        )
        energy = (
            f"average energy {direction} from {summary.energy_before:.1f} "
            f"to {summary.energy_now:.1f}"
            if direction != "steady"
            else f"average energy steady at {summary.energy_now:.1f}"
        )
    return (
        f"🌟 <b>Our week</b>: {summary.checked_in} of {summary.members} checked in; {energy}. "
        "Thank you all for showing up for yourselves and each other!",
        None,
    )


async def tell_milestones(
    session: AsyncSession, user_id: int, reached: list[str], *, now: dt.datetime
) -> None:
    """Congratulate privately; announce in the class's group only if the client opted in."""
    if not reached:
        return
    from bot.models import Booking, ClassSession

    person = await users.get_user(session, user_id)
    notices = []
    for kind in reached:
        what = progress.milestone_text(kind)
        notices.append(
            outbox.Notice(
                chat_id=user_id,
                text=(
                    f"🎉 Congratulations: {what}! Every session counts. /progress shows your "
                    "journey."
                ),
                dedupe_key=f"milestone:{user_id}:{kind}",
                kind="milestone",
                priority=Priority.BACKGROUND,
            )
        )
        if person.share_milestones:
            from sqlalchemy import select

            series_ids = set(
                await session.scalars(
                    select(ClassSession.series_id)
                    .join(Booking, Booking.session_id == ClassSession.id)
                    .where(Booking.user_id == user_id)
                )
            )
            for series_id in series_ids:
                for group in await community.groups_of_series(session, series_id):
                    notices.append(
                        outbox.Notice(
                            chat_id=group.chat_id,
                            text=f"🎉 {escape(person.first_name)} reached {what}! 👏",
                            dedupe_key=f"milestone-group:{group.id}:{user_id}:{kind}",
                            kind="milestone_group",
                            priority=Priority.BACKGROUND,
                            subjects=(user_id,),
                        )
                    )
    await outbox.enqueue(session, notices, now=now)


def register(application: Application) -> None:
    """Add /linkgroup, /unlinkgroup, their buttons and the welcome for new members."""
    application.add_handler(command("linkgroup", link_group))
    application.add_handler(command("unlinkgroup", unlink_group))
    application.add_handler(CallbackQueryHandler(on_link_button, pattern=pattern(PREFIX)))
    application.add_handler(MessageHandler(filters.StatusUpdate.NEW_CHAT_MEMBERS, on_new_members))
