"""Scheduled work: thin functions on PTB's JobQueue that ask a service what is due."""

from __future__ import annotations

from telegram.ext import Application

from bot.context import Deps
from jobs import community, delivery, horizon, reminders, safety, tips


def register_jobs(application: Application, deps: Deps) -> None:
    """Schedule the dispatcher, reminder, clearance-hold and tip ticks and the daily
    horizon extension."""
    delivery.register(application, delivery.Dispatcher(application.bot, deps))
    reminders.register(application, deps)
    horizon.register(application)
    tips.register(application, deps)
    community.register(application, deps)
    safety.register(application, deps)
