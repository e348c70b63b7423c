"""Bolt listeners, one module per kind of Slack request. Each module has a
`register(app, ...)`; `bot.app.create_app` decides the order."""
