"""Buttons (`block_actions`). Features register their own action listeners
(e.g. the follow-up reminders); this module is the fallback for any button
nobody handles any more, such as one on a message from an older release.

Bolt runs the first listener that matches, so the fallback is registered
last. Without it Slack would show the user a generic failure for the click.
"""

import re

from slack_bolt import App

STALE = "That button is no longer active. Run the `/retention` command again for a fresh answer."


def handle_unknown_action(ack, body, respond, logger) -> None:
    ack()
    for action in body.get("actions", []):
        if action.get("url"):  # link buttons open their URL; the click needs only the ack
            return
        logger.info("no listener for action %r (block %r)", action.get("action_id"), action.get("block_id"))
    if respond is not None:
        respond(text=STALE, response_type="ephemeral", replace_original=False)


def register_fallback(app: App) -> None:
    app.action(re.compile(".*"))(handle_unknown_action)
