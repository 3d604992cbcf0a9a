"""Tips: /tip, the Helpful / Not for me buttons, /tipstats and /addtip for trainers."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_, native_name
from bot.models import Role
from bot.services import tips, users
from bot.services.errors import InvalidInput
from bot.services.tip_library import CATEGORIES, MAX_TEXT
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.errors import error_text
from bot.views.formatting import percent
from bot.views.keyboards import button, column, grid
from bot.views.tips import FEEDBACK, MARKS, category_name, tip_message
from handlers import conversation
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, remove_buttons, respond

ADD = "addtip"


async def send_tip_now(update: Update, context: BotContext) -> None:
    """/tip: one tip now (it counts as seen)."""
    now, library = context.deps.clock.now(), context.deps.library
    async with context.deps.db.transaction() as session:
        tip = await tips.tip_now(session, context.actor, library, now=now)
    text, keyboard = tip_message(context.t, tips.in_language(tip, library, context.t.language))
    await respond(update, context, text, reply_markup=keyboard)


@guard(private=True)
async def on_feedback(update: Update, context: BotContext) -> None:
    """Helpful / Not for me: one answer per client and tip; a second press changes it."""
    args = unpack(update.callback_query.data)[1:]
    if len(args) != 2 or args[0] not in ("h", "n"):
        raise stale_button()
    helpful = args[0] == "h"
    async with context.deps.db.transaction() as session:
        await tips.answer(
            session,
            context.actor.id,
            args[1],
            helpful,
            context.deps.library,
            now=context.deps.clock.now(),
        )
    await answer_query(
        update,
        context,
        context.t._("Thanks! Glad it helped.")
        if helpful
        else context.t._("Thanks: you'll get fewer tips like this one."),
    )


async def show_stats(update: Update, context: BotContext) -> None:
    """/tipstats: per tip, how often it reached the trainer's clients and how they answered."""
    t = context.t
    async with context.deps.db.reading() as session:
        found = await tips.stats(session, context.actor, context.deps.library, t.language)
    per_category = tips.totals_by_category(found)
    lines = [
        t._("📊 <b>Tips among all clients</b>")
        if context.actor.role == Role.ADMIN
        else t._("📊 <b>Tips among your clients</b>"),
        "",
        t._(
            "What each rests on: 📚 research, 📋 facts and figures, 💬 encouragement, "
            "🔗 a trainer's own source"
        ),
        "",
        # Translators: the heading of the counts per category: sent, helpful, not for me.
        t._("<b>By category</b> (sent · 👍 · 🙅)"),
    ]
    for category in CATEGORIES:
        totals = per_category[category]
        sent, yes, no = totals["sent"], totals["helpful"], totals["not_for_me"]
        answered = yes + no
        kinds = Counter(item.source_kind for item in found if item.category == category)
        counts = {
            "category": category_name(t, category),
            "sent": sent,
            "helpful": yes,
            "not_for_me": no,
            "kinds": ", ".join(f"{MARKS[kind]} {kinds[kind]}" for kind in MARKS if kinds[kind]),
        }
        if answered:
            lines.append(
                # Translators: {share} is a percentage with its sign ("75%"); {kinds} counts the
                # tips by the mark of their source: "📚 7, 💬 5".
                t._(
                    "{category}: {sent} · {helpful} · {not_for_me}, {share} helpful ({kinds})",
                    share=percent(t, yes, answered),
                    **counts,
                )
            )
        else:
            lines.append(t._("{category}: {sent} · {helpful} · {not_for_me} ({kinds})", **counts))
    lines += ["", t._("<b>By tip</b> (sent · 👍 · 🙅)")]
    shown = sorted(found, key=lambda item: (-item.sent, item.title))
    for item in shown:
        lines.append(
            f"{MARKS[item.source_kind]} {escape(item.title)}: "
            f"{item.sent} · {item.helpful} · {item.not_for_me}"
        )
    if not any(item.sent for item in found):
        lines.append("\n" + t._("No tips have gone out yet."))
    await respond(update, context, "\n".join(lines)[:4000])


# --------------------------------------------------------------------- /addtip

STEPS = ("title", "text", "category", "source", "confirm")


async def _ask(
    update: Update,
    context: BotContext,
    step: str,
    draft: dict[str, Any],
    note: str = "",
    *,
    warning: bool = True,
) -> None:
    draft["_step"] = step
    async with context.deps.db.transaction() as session:
        user = await users.await_input(
            session,
            context.actor.id,
            f"{ADD}:{step}",
            now=context.deps.clock.now(),
        )
        users.set_draft(user, ADD, draft)
    t = context.t
    keyboard: InlineKeyboardMarkup | None = None
    if step == "title":
        text = t._("💡 <b>New tip for your clients</b>\n\nA short title?")
    elif step == "text":
        text = t._(
            "The tip itself, in plain words ({low} to {high} characters)?",
            low=tips.MIN_TEXT,
            high=MAX_TEXT,
        )
    elif step == "category":
        text = t._("Which category?")
        keyboard = grid(
            [button(category_name(t, c), pack(ADD, "category", c)) for c in CATEGORIES],
            per_row=2,
        )
    elif step == "source":
        text = t._("The source it rests on: a link to the study or page (required).")
    else:
        preview, _ = tip_message(
            t,
            tips.ChosenTip(
                tip_id="preview",
                category=draft["category"],
                title=draft["title"],
                text=draft["text"],
                source=tips.TrainerSource(
                    trainer_name=context.actor.first_name, link=draft["source"]
                ),
            ),
        )
        text = t._("Preview: your clients will see\n\n{preview}", preview=preview)
        keyboard = column(
            button(t._("✅ Save"), pack(ADD, "confirm", "save")),
            button(t._("✖️ Cancel"), pack(ADD, "confirm", "drop")),
        )
    await respond(
        update,
        context,
        f"{'⚠️ ' if warning else ''}{escape(note)}\n\n{text}" if note else text,
        reply_markup=keyboard,
    )


async def start_add_tip(update: Update, context: BotContext) -> None:
    """/addtip: a trainer writes a tip of their own, with its source (a draft left unfinished
    is picked up where it was)."""
    draft = users.draft_of(context.actor, ADD)
    if draft and draft.get("_step") in STEPS:
        note = context.t._("Picking up your unfinished tip.")
        await _ask(update, context, draft["_step"], draft, note, warning=False)
        return
    await _ask(update, context, "title", {})


async def on_add_text(update: Update, context: BotContext, step: str) -> None:
    """Typed answers of /addtip."""
    draft = users.draft_of(context.actor, ADD) or {}
    text = (update.effective_message.text or "").strip()
    if step not in ("title", "text", "source"):
        await _ask(
            update, context, step, draft, context.t._("Please choose one of the buttons above.")
        )
        return
    draft[step] = text
    try:
        if step == "title":
            tips.check_tip_title(text)
        if step == "text":
            tips.check_tip_text(text)
        if step == "source":
            tips.check_trainer_tip(draft["title"], draft["text"], draft["category"], text)
    except InvalidInput as problem:
        await _ask(update, context, step, draft, error_text(context.t, problem))
        return
    await _ask(
        update, context, {"title": "text", "text": "category", "source": "confirm"}[step], draft
    )


@guard(Role.TRAINER, private=True)
async def on_add_button(update: Update, context: BotContext) -> None:
    """The category choice, Save and Cancel."""
    args = unpack(update.callback_query.data)[1:]
    draft = users.draft_of(context.actor, ADD)
    if not draft or draft.get("_step") not in STEPS or len(args) != 2:
        await edit_or_send(
            update, context, context.t._("This tip draft is gone. Send /addtip to start again.")
        )
        return
    step = draft["_step"]
    if args[0] != step:
        raise stale_button()
    await answer_query(update, context)
    if step == "category" and args[1] in CATEGORIES:
        draft["category"] = args[1]
        await remove_buttons(update, context)
        await _ask(update, context, "source", draft)
        return
    if step == "confirm" and args[1] in ("save", "drop"):
        now = context.deps.clock.now()
        async with context.deps.db.transaction() as session:
            if args[1] == "save":
                await tips.add_trainer_tip(
                    session,
                    context.actor,
                    title=draft["title"],
                    text=draft["text"],
                    category=draft["category"],
                    source=draft["source"],
                    language=context.t.language,
                    now=now,
                )
            user = await users.await_input(session, context.actor.id, None, now=now)
            users.set_draft(user, ADD, None)
        await remove_buttons(update, context)
        await respond(
            update,
            context,
            context.t._(
                "✅ Saved. Your clients who read {language} get it in turn with the library's "
                "tips, marked as yours.",
                language=native_name(context.t.language),
            )
            if args[1] == "save"
            else context.t._("Cancelled: nothing was saved."),
        )
        return
    raise stale_button()


def register(application: Application) -> None:
    """Add /tip, /tipstats, /addtip and their buttons."""
    application.add_handler(command("tip", send_tip_now))
    application.add_handler(command("tipstats", show_stats))
    application.add_handler(command("addtip", start_add_tip))
    application.add_handler(CallbackQueryHandler(on_feedback, pattern=pattern(FEEDBACK)))
    application.add_handler(CallbackQueryHandler(on_add_button, pattern=pattern(ADD)))
    conversation.expect(ADD, on_add_text, reopen=N_("/addtip picks up your tip where you left it."))
