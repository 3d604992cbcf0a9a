"""Views: what turns a service's result into words and buttons for one reader, in their
language and time zone. Handlers (chat), jobs (scheduled messages) and the web pages share
them, so a sentence is written once and translated once.

A view takes a `Translator` (bot.i18n) and plain results of services, and returns Telegram
HTML and keyboards; it never touches the database or Telegram itself.
"""
