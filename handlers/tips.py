"""Tips: /tip, the Helpful / Not for me buttons, /tipstats and /addtip for trainers."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import Role
from bot.services import tips, users
from bot.services.errors import InvalidInput
from bot.services.tip_library import CATEGORIES, Library
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.errors import error_text
from bot.views.keyboards import button, column, grid
from handlers import conversation
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

PREFIX = "tip"
ADD = "addtip"
CATEGORY_NAMES = {
    "physiological": "Body",
    "physical": "Physical health",
    "mental": "Mental health",
    "social": "Together",
}
SAFETY = "General information, not medical advice: your own plan comes from your therapist."
# The mark of each kind of source, at the start of a tip's footer and in /tipstats.
MARKS = {"research": "📚", "fact-sheet": "📋", "encouragement": "💬", "trainer": "🔗"}


@dataclass(frozen=True)
class Footer:
    """The line under a tip that says what kind of source it rests on.

    `words` are what the reader reads. The link follows on a line of its own, except where
    `linked_words` (a part of `words`) carry it: an encouragement footer links the article
    that inspired it without showing its address, whose words ("science-backed") would claim
    what the tip does not."""

    kind: str
    words: str
    link: str | None
    linked_words: str | None = None

    def html(self) -> str:
        """The footer as Telegram HTML."""
        if self.linked_words and self.link:
            before, _, after = self.words.partition(self.linked_words)
            anchor = f'<a href="{escape(self.link)}">{escape(self.linked_words)}</a>'
            return f"{escape(before)}{anchor}{escape(after)}"
        return escape(self.words) + (f"\n{escape(self.link)}" if self.link else "")

    def as_dict(self) -> dict[str, str | None]:
        """The footer as plain data (the /privacy export)."""
        return {"kind": self.kind, "text": self.words, "link": self.link}


def footer(tip: tips.ChosenTip) -> Footer:
    """What the tip rests on, in the reader's words: a study by its authors, year, title and
    journal with its DOI link; a health organisation's facts and figures; encouragement from
    our practice, said plainly; or the source a trainer chose."""
    source = tip.source
    mark = MARKS[tip.source_kind]
    if isinstance(source, tips.TrainerSource):
        return Footer("trainer", f"{mark} Source chosen by {source.trainer_name}", source.link)
    if source.evidence == "encouragement":
        return Footer(
            "encouragement",
            f"{mark} Encouragement from our practice, inspired by {source.inspired_by}",
            source.url,
            linked_words=source.inspired_by,
        )
    named = f"{source.authors} ({source.year}). {source.title}."
    if source.evidence == "fact-sheet":
        return Footer("fact-sheet", f"{mark} Facts and figures: {named}", source.url)
    unlinked = "" if source.url else " No DOI or link is known for it."
    return Footer("research", f"{mark} Research: {named} {source.journal}.{unlinked}", source.url)


def render(tip: tips.ChosenTip) -> tuple[str, InlineKeyboardMarkup]:
    """A tip as a message: title, text, a safety line, and last its footer."""
    heading = (
        f"💡 <b>Tip from your trainer {escape(tip.trainer_name)}: {escape(tip.title)}</b>"
        if tip.trainer_name
        else f"💡 <b>{escape(tip.title)}</b>"
    )
    text = f"{heading}\n\n{escape(tip.text)}\n\n<i>{SAFETY}</i>\n\n{footer(tip).html()}"
    keyboard = grid(
        [
            button("👍 Helpful", pack(PREFIX, "h", tip.tip_id)),
            button("🙅 Not for me", pack(PREFIX, "n", tip.tip_id)),
        ]
    )
    return text, keyboard


def render_group_post(tip: tips.ChosenTip) -> str:
    """The weekly post for a community group: the tip and its footer, nothing personal."""
    return (
        f"🤝 <b>Why we move together: {escape(tip.title)}</b>\n\n{escape(tip.text)}\n\n"
        f"{footer(tip).html()}"
    )


async def describe_received(
    session: AsyncSession, received: list[dict[str, Any]], library: Library
) -> list[dict[str, Any]]:
    """The tips a person received (export rows with a tip_id), each with the tip's title and
    the footer it was shown with."""
    found = await tips.describe(session, [row["tip_id"] for row in received], library)
    return [
        {
            **row,
            "title": found[row["tip_id"]].title,
            "source": footer(found[row["tip_id"]]).as_dict(),
        }
        if row["tip_id"] in found
        else row
        for row in received
    ]


def markup_dict(keyboard: InlineKeyboardMarkup) -> dict[str, Any]:
    """The keyboard as the outbox stores it."""
    return keyboard.to_dict()


async def send_tip_now(update: Update, context: BotContext) -> None:
    """/tip: one tip now (it counts as seen)."""
    now = context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        tip = await tips.tip_now(session, context.actor, context.deps.library, now=now)
    text, keyboard = render(tip)
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
        "Thanks! Glad it helped." if helpful else "Thanks: you'll get fewer tips like this one.",
    )


async def show_stats(update: Update, context: BotContext) -> None:
    """/tipstats: per tip, how often it reached the trainer's clients and how they answered."""
    async with context.deps.db.reading() as session:
        found = await tips.stats(session, context.actor, context.deps.library)
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for item in found:
        totals = per_category[item.category]
        totals[0] += item.sent
        totals[1] += item.helpful
        totals[2] += item.not_for_me
    whose = "all clients" if context.actor.role == Role.ADMIN else "your clients"
    lines = [
        f"📊 <b>Tips among {whose}</b>",
        "",
        f"What each rests on: {MARKS['research']} research, {MARKS['fact-sheet']} facts and "
        f"figures, {MARKS['encouragement']} encouragement, {MARKS['trainer']} a trainer's "
        "own source",
        "",
        "<b>By category</b> (sent · 👍 · 🙅)",
    ]
    for category in CATEGORIES:
        sent, yes, no = per_category[category]
        answered = yes + no
        share = f", {round(100 * yes / answered)}% helpful" if answered else ""
        kinds = Counter(item.source_kind for item in found if item.category == category)
        makeup = ", ".join(f"{MARKS[kind]} {kinds[kind]}" for kind in MARKS if kinds[kind])
        lines.append(f"{CATEGORY_NAMES[category]}: {sent} · {yes} · {no}{share} ({makeup})")
    lines += ["", "<b>By tip</b> (sent · 👍 · 🙅)"]
    shown = sorted(found, key=lambda item: (-item.sent, item.title))
    for item in shown:
        lines.append(
            f"{MARKS[item.source_kind]} {escape(item.title)}: "
            f"{item.sent} · {item.helpful} · {item.not_for_me}"
        )
    if not any(item.sent for item in found):
        lines.append("\nNo tips have gone out yet.")
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
    questions: dict[str, tuple[str, InlineKeyboardMarkup | None]] = {
        "title": ("💡 <b>New tip for your clients</b>\n\nA short title?", None),
        "text": ("The tip itself, in plain words (20 to 500 characters)?", None),
        "category": (
            "Which category?",
            grid(
                [button(CATEGORY_NAMES[c], pack(ADD, "category", c)) for c in CATEGORIES],
                per_row=2,
            ),
        ),
        "source": (
            "The source it rests on: a link to the study or page (required).",
            None,
        ),
    }
    if step == "confirm":
        preview, _ = render(
            tips.ChosenTip(
                tip_id="preview",
                category=draft["category"],
                title=draft["title"],
                text=draft["text"],
                source=tips.TrainerSource(
                    trainer_name=context.actor.first_name, link=draft["source"]
                ),
            )
        )
        text = f"Preview: your clients will see\n\n{preview}"
        keyboard = column(
            button("✅ Save", pack(ADD, "confirm", "save")),
            button("✖️ Cancel", pack(ADD, "confirm", "drop")),
        )
    else:
        text, keyboard = questions[step]
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
        await _ask(
            update, context, draft["_step"], draft, "Picking up your unfinished tip.", warning=False
        )
        return
    await _ask(update, context, "title", {})


async def on_add_text(update: Update, context: BotContext, step: str) -> None:
    """Typed answers of /addtip."""
    draft = users.draft_of(context.actor, ADD) or {}
    text = (update.effective_message.text or "").strip()
    if step not in ("title", "text", "source"):
        await _ask(update, context, step, draft, "Please choose one of the buttons above.")
        return
    draft[step] = text
    try:
        if step == "title" and not 3 <= len(text) <= 80:
            raise InvalidInput("The title needs 3 to 80 characters.")
        if step == "text":
            tips.check_trainer_tip("title", text, "social", "https://example.org")
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
        await edit_or_send(update, context, "This tip draft is gone. Send /addtip to start again.")
        return
    step = draft["_step"]
    if args[0] != step:
        raise stale_button()
    await answer_query(update, context)
    if step == "category" and args[1] in CATEGORIES:
        draft["category"] = args[1]
        await update.callback_query.edit_message_reply_markup(None)
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
                    now=now,
                )
            user = await users.await_input(session, context.actor.id, None, now=now)
            users.set_draft(user, ADD, None)
        await update.callback_query.edit_message_reply_markup(None)
        await respond(
            update,
            context,
            "✅ Saved. Your clients get it in turn with the library's tips, marked as yours."
            if args[1] == "save"
            else "Cancelled: nothing was saved.",
        )
        return
    raise stale_button()


def register(application: Application) -> None:
    """Add /tip, /tipstats, /addtip and their buttons."""
    application.add_handler(command("tip", send_tip_now))
    application.add_handler(command("tipstats", show_stats))
    application.add_handler(command("addtip", start_add_tip))
    application.add_handler(CallbackQueryHandler(on_feedback, pattern=pattern(PREFIX)))
    application.add_handler(CallbackQueryHandler(on_add_button, pattern=pattern(ADD)))
    conversation.expect(ADD, on_add_text, reopen="/addtip picks up your tip where you left it.")
