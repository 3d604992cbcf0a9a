"""The community tick: check-in invitations, group posts, buddy pairings and questions."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import BotContext, Deps
from bot.models import Priority
from bot.services import buddies, community, outbox
from handlers.buddies import introductions, question
from handlers.checkins import prompt_markup
from handlers.community import render_post

log = logging.getLogger(__name__)


async def run_community(deps: Deps, bot_username: str) -> int:
    """One tick, in one transaction; every message has a once-only key."""
    now = deps.clock.now()
    notices: list[outbox.Notice] = []
    async with deps.db.transaction() as session:
        for prompt in await community.due_prompts(session, now=now):
            text = (
                "📝 How are you doing this week? A 20-second check-in (mood, energy, pain) "
                "helps you see your progress."
                if prompt.kind == "weekly"
                else f"📝 How do you feel after {prompt.title}? A quick check-in helps you see "
                "what the classes do for you."
            )
            notices.append(
                outbox.Notice(
                    chat_id=prompt.user.id,
                    text=text,
                    dedupe_key=prompt.key,
                    kind="checkin_prompt",
                    priority=Priority.BACKGROUND,
                    reply_markup=prompt_markup(prompt.kind).to_dict(),
                )
            )
        for post in await community.due_group_posts(session, now=now):
            text, keyboard = render_post(post, bot_username)
            notices.append(
                outbox.Notice(
                    chat_id=post.chat_id,
                    text=text,
                    dedupe_key=post.key,
                    kind=f"group_{post.kind}",
                    priority=Priority.BACKGROUND,
                    reply_markup=keyboard.to_dict() if keyboard else None,
                )
            )
        for match in await buddies.weekly_matches(session, now=now):
            notices += introductions(match, now=now)
        for item in await buddies.due_questions(session, now=now):
            notices.append(question(item))
        queued = await outbox.enqueue(session, notices, now=now)
    if queued:
        log.info("queued %d community messages", queued)
    return queued


async def tick(context: BotContext) -> None:
    """The JobQueue callback."""
    await run_community(context.deps, context.bot.username)


def register(application: Application, deps: Deps) -> None:
    """Run with the tip tick's rhythm (TIP_TICK_SECONDS)."""
    application.job_queue.run_repeating(
        tick,
        interval=deps.settings.tip_tick_seconds,
        first=min(deps.settings.tip_tick_seconds, 60.0),
        name="community",
        job_kwargs={"max_instances": 1},
    )
