"""First contact: /start, the welcome, the consent question; and free text in private chat."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_, Translator, reader_language, translator
from bot.models import OnboardingStep, Role, User
from bot.services import users
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.keyboards import button, grid
from handlers import checkins, classes, menu, settings, timezone
from handlers.app_buttons import publish_app_button
from handlers.commands import help_lines, publish_menu_for, visible_commands
from handlers.guards import command, guard
from handlers.language import FROM_WELCOME, language_button
from handlers.replies import edit_or_send, respond

CONSENT = "consent"

# /start payloads of deep links from groups, and what they open once onboarding is done.
DEEP_LINKS = {
    "settings": settings.show_settings,
    "help": menu.show_help,
    "checkin": checkins.checkin_command,
}

WELCOME = N_(
    "👋 Hi {name}! I'm the assistant of your exercise-therapy practice. With me you can:\n\n"
    "• find and book group classes, and join a waitlist when one is full\n"
    "• get reminders before your classes\n"
    "• read short tips on how exercise and moving together help body and mind, "
    "each with the source it rests on\n"
    "• check in on your mood, energy and pain, and follow your progress\n\n"
    "Two quick questions to set things up."
)

CONSENT_QUESTION = N_(
    "<b>1/2</b> · May I store your wellbeing check-ins (mood, energy, pain and an optional "
    "note)? These are health data: only you can see them, and your trainer only if you allow "
    "it later. Nothing is stored unless you say yes.\n\n"
    "You can change this any time in /settings."
)


def profile_of(update: Update) -> users.Profile:
    """The Telegram profile of the person behind `update`."""
    person = update.effective_user
    assert person is not None
    return users.Profile(
        id=person.id,
        first_name=person.first_name,
        last_name=person.last_name,
        username=person.username,
        language_code=person.language_code,
    )


async def send_consent_question(update: Update, context: BotContext) -> None:
    """Ask for consent to store wellbeing data, with Yes / Not now buttons."""
    t = context.t
    await respond(
        update,
        context,
        t._(CONSENT_QUESTION),
        reply_markup=grid(
            [
                button(t._("Yes, store my check-ins"), pack(CONSENT, "yes")),
                button(t._("Not now"), pack(CONSENT, "no")),
            ]
        ),
    )


def main_menu_text(t: Translator, user: User) -> str:
    """The greeting for a known user, with the commands of their role."""
    commands = help_lines(t, visible_commands(user.role, private=True))
    return t._(
        "Welcome back, {name}! Here is what you can do:\n\n{commands}",
        name=escape(user.first_name),
        commands=commands,
    )


async def start(update: Update, context: BotContext) -> None:
    """/start: register the person, then continue onboarding or show the menu."""
    async with context.deps.db.transaction() as session:
        registration = await users.register_user(
            session,
            profile_of(update),
            now=context.deps.clock.now(),
            admin_ids=context.deps.settings.admin_ids,
        )
    user = registration.user
    context.actor = user
    t = context.t = translator(reader_language(user.language, user.language_code))
    if user.role != Role.CLIENT:
        # An admin listed in ADMIN_IDS who starts the bot gets their menu at once.
        await publish_menu_for(context.bot, user.id, user.role, t.language)
    if registration.is_new:
        await respond(
            update,
            context,
            t._(WELCOME, name=escape(user.first_name)),
            reply_markup=language_button(context, FROM_WELCOME),
        )
    if user.onboarding_step == OnboardingStep.CONSENT:
        await send_consent_question(update, context)
    elif user.onboarding_step == OnboardingStep.TIMEZONE:
        await timezone.ask_timezone(update, context, step="<b>2/2</b> · ")
    elif context.args and context.args[0] in DEEP_LINKS:
        # Came from a "message me privately" link in a group: go where they were heading.
        await DEEP_LINKS[context.args[0]](update, context)
    elif context.args and context.args[0].startswith("book-") and context.args[0][5:].isdigit():
        # A Book button in a group: show that session, with its Book button, privately.
        await classes.show_session(update, context, int(context.args[0][5:]))
    else:
        await respond(update, context, main_menu_text(t, user))
        # People who onboarded before the bot had a Mini App get its menu button here.
        await publish_app_button(context.bot, context.deps.settings, user.id, user.role, t.language)


@guard(private=True)
async def on_consent(update: Update, context: BotContext) -> None:
    """Yes / Not now on the onboarding consent question."""
    answer = unpack(update.callback_query.data)[1:]
    if answer not in (["yes"], ["no"]):
        raise stale_button()
    consent = answer == ["yes"]
    was_asking = context.actor.onboarding_step == OnboardingStep.CONSENT
    async with context.deps.db.transaction() as session:
        user = await users.record_consent(
            session, context.actor.id, consent, now=context.deps.clock.now()
        )
    context.actor = user
    if consent:
        text = context.t._(
            "✅ Thank you. Your check-ins will be stored; only you (and your trainer, if you "
            "allow it later) can see them."
        )
    else:
        text = context.t._(
            "👍 No problem: I won't store any check-ins. You can change this in /settings."
        )
    await edit_or_send(update, context, text)
    if was_asking:
        await timezone.ask_timezone(update, context, step="<b>2/2</b> · ")


def register(application: Application) -> None:
    """Add /start and the consent buttons."""
    application.add_handler(command("start", start))
    application.add_handler(CallbackQueryHandler(on_consent, pattern=pattern(CONSENT)))
