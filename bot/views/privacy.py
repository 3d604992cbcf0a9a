"""A person's own data as they read it: the export file, explained in their language."""

from __future__ import annotations

import json
from typing import Any

from bot.i18n import N_, Translator

# What each part of the export holds. The keys stay English (stable for anyone who reads
# the file with a program); these sentences explain them to the person.
SECTIONS = {
    "exported_at": N_("When this file was made."),
    "profile": N_(
        "Your profile: your name, Telegram username, language, time zone, role and settings."
    ),
    "bookings": N_("Your bookings: each class, when it starts and what became of your place."),
    "checkins": N_("Your check-ins: mood, energy, pain and notes (stored only with your consent)."),
    "screenings": N_(
        "Your health checks before classes: the result and date, and your answers (stored "
        "only with your consent). Your answers to the readiness check on a class day are "
        "with each booking (readiness_…)."
    ),
    "tips_received": N_("The tips you got, each with what it rests on."),
    "tip_answers": N_("Your answers to tips: helpful, or not for you."),
    "milestones": N_("The milestones you reached."),
    "buddy_pairs": N_("Your class buddy pairings, and whether you connected."),
    "calendar_link": N_(
        "When you made your calendar subscription link, if you have one (the link itself is "
        "not stored)."
    ),
}


def export_file(t: Translator, data: dict[str, Any]) -> bytes:
    """The export as a JSON file: what it is and what each part holds in the reader's
    language, then the data itself under its stable English keys."""
    document = {
        "about": t._("Everything this bot stores about you. Times are in UTC."),
        "contents": {key: t._(SECTIONS[key]) for key in data if key in SECTIONS},
        **data,
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


def export_file_name(t: Translator) -> str:
    """ "my-data.json", in the reader's language."""
    # Translators: a file name without its extension: short, no spaces or slashes.
    return t.p_("file name", "my-data") + ".json"
