"""HTTP adapters: the webhook route, health and metrics, and the Mini App (web/miniapp/).

Routes are thin, as handlers are: they check the request, call one thing of the running
bot, and answer. `web.app.create_app` builds the application from the bot's dependencies.
"""
