"""Telegram adapters: parse the update, check the role, call a service, render the reply."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    broadcasts,
    buddies,
    calendar,
    checkins,
    classes,
    community,
    conversation,
    dashboard,
    errors,
    language,
    membership,
    menu,
    myclasses,
    newclass,
    onboarding,
    privacy,
    safety,
    schedule,
    settings,
    staff,
    timezone,
    tips,
)


def register_handlers(application: Application) -> None:
    """Add every handler in the order they must be tried, and the error handler."""
    onboarding.register(application)
    language.register(application)
    menu.register(application)
    settings.register(application)
    timezone.register(application)
    staff.register(application)
    broadcasts.register(application)
    classes.register(application)
    safety.register(application)
    newclass.register(application)
    myclasses.register(application)
    schedule.register(application)
    calendar.register(application)
    dashboard.register(application)
    tips.register(application)
    checkins.register(application)
    community.register(application)
    buddies.register(application)
    privacy.register(application)
    membership.register(application)
    conversation.register(application)
    # Last: what nothing above took.
    conversation.register_fallbacks(application)
    application.add_error_handler(errors.on_error)
