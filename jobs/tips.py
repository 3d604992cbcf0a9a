"""The tip tick: queue the tips that fell due, and the weekly post of each linked group;
each is worded in its reader's language as it goes out (bot/views/tips.py)."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import BotContext, Deps
from bot.models import Priority
from bot.services import outbox, tips
from bot.views.tips import tip_params

log = logging.getLogger(__name__)


async def queue_due_tips(deps: Deps) -> int:
    """One tick: every due tip and group post, recorded and queued in one transaction."""
    now = deps.clock.now()
    notices = []
    async with deps.db.transaction() as session:
        for due in await tips.due_tips(session, deps.library, now=now):
            notices.append(
                outbox.Notice(
                    chat_id=due.user.id,
                    template="tip",
                    params=tip_params(due.tip),
                    dedupe_key=f"tip:{due.user.id}:{due.slot}",
                    kind="tip",
                    priority=Priority.BACKGROUND,
                    subjects=(due.tip.trainer_id,) if due.tip.trainer_id else (),
                )
            )
        for post in await tips.weekly_group_posts(session, deps.library, now=now):
            notices.append(
                outbox.Notice(
                    chat_id=post.chat_id,
                    template="group_tip",
                    params=tip_params(post.tip),
                    dedupe_key=f"group-tip:{post.chat_id}:{post.week}",
                    kind="group_tip",
                    priority=Priority.BACKGROUND,
                )
            )
        queued = await outbox.enqueue(session, notices, now=now)
    if queued:
        log.info("queued %d tips", queued)
    return queued


async def tick(context: BotContext) -> None:
    """The JobQueue callback."""
    await queue_due_tips(context.deps)


def register(application: Application, deps: Deps) -> None:
    """Run the tick every TIP_TICK_SECONDS."""
    application.job_queue.run_repeating(
        tick,
        interval=deps.settings.tip_tick_seconds,
        first=min(deps.settings.tip_tick_seconds, 60.0),
        name="tips",
        job_kwargs={"max_instances": 1},
    )
