"""/dashboard: the words of the one-time sign-in link to the Mini App in a browser."""

from __future__ import annotations

from bot.i18n import Translator
from bot.services.signin import LINK_VALID


def link_text(t: Translator) -> str:
    """What comes with the sign-in link: what it opens, how long it works, that it is theirs."""
    return t.n_(
        "🖥 Your dashboard in a browser: the button signs you in. It works once, for {n} "
        "minute, and only for you, so please don't forward it.",
        "🖥 Your dashboard in a browser: the button signs you in. It works once, for {n} "
        "minutes, and only for you, so please don't forward it.",
        int(LINK_VALID.total_seconds() // 60),
    )


def link_button_label(t: Translator) -> str:
    """The label of the button that opens the link."""
    return t.p_("button", "🖥 Open the dashboard")


def not_offered(t: Translator) -> str:
    """Why there is no link: this bot serves no web pages (PUBLIC_BASE_URL is not set)."""
    return t._(
        "The dashboard isn't available on this bot yet. Your classes are all here in the "
        "chat: /myclasses."
    )
