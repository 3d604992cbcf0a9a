"""The community tick: check-in invitations, group posts, buddy pairings and questions.

Each message is a template (bot/views/checkins.py, community.py, buddies.py), worded as it
goes out in its reader's language: a person's, or a group's.
"""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import BotContext, Deps
from bot.models import Priority
from bot.services import buddies, checkins, community, outbox
from bot.views.buddies import person_params, starter_for
from bot.views.community import post_params

log = logging.getLogger(__name__)


def introductions(match: buddies.Match) -> list[outbox.Notice]:
    """A private introduction for each member of a new pair or trio."""
    starter = starter_for(match.pair_id)
    notices = []
    for member in match.members:
        others = [m for m in match.members if m.id != member.id]
        notices.append(
            outbox.Notice(
                chat_id=member.id,
                template="buddy_intro",
                params={
                    "title": match.series.title,
                    "buddies": [person_params(other) for other in others],
                    "starter": starter,
                },
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
    return outbox.Notice(
        chat_id=item.user.id,
        template="buddy_question",
        params={"pair": item.pair_id, "buddies": [b.first_name for b in item.buddies]},
        dedupe_key=f"buddy-ask:{item.pair_id}:{item.user.id}",
        kind="buddy",
        priority=Priority.BACKGROUND,
        subjects=tuple(b.id for b in item.buddies),
    )


async def run_community(deps: Deps, bot_username: str) -> int:
    """One tick, in one transaction; every message has a once-only key."""
    now = deps.clock.now()
    notices: list[outbox.Notice] = []
    async with deps.db.transaction() as session:
        for prompt in await community.due_prompts(session, now=now):
            notices.append(
                outbox.Notice(
                    chat_id=prompt.user.id,
                    template="checkin_prompt",
                    params={"kind": prompt.kind, "title": prompt.title},
                    dedupe_key=prompt.key,
                    kind="checkin_prompt",
                    priority=Priority.BACKGROUND,
                )
            )
        for person, checkin in await checkins.due_morning_prompts(session, now=now):
            notices.append(
                outbox.Notice(
                    chat_id=person.id,
                    template="pain_morning",
                    params={"checkin": checkin.id},
                    dedupe_key=f"pain-morning:{checkin.id}:{checkin.day.isoformat()}",
                    kind="checkin_prompt",
                    priority=Priority.BACKGROUND,
                )
            )
        for post in await community.due_group_posts(session, now=now):
            notices.append(
                outbox.Notice(
                    chat_id=post.chat_id,
                    template=f"group_{post.kind}",
                    params=post_params(post, bot_username),
                    dedupe_key=post.key,
                    kind=f"group_{post.kind}",
                    priority=Priority.BACKGROUND,
                )
            )
        for match in await buddies.weekly_matches(session, now=now):
            notices += introductions(match)
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
