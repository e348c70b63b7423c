"""Buttons (`block_actions`): the follow-up buttons of reminders and
escalations (Contacted, Snooze, Reassign, Not at risk), the digest's Claim
and "Open the at-risk list", and a fallback for any button nobody handles
any more, such as one on a message from an older release.

A click is acked at once; a lazy listener then makes the change
(commands.buttons.apply_button: storage transition and audit record) and
rewrites the clicked message in place with `chat.update`, swapping only the
clicked customer's blocks (found by block id) so the rest of the message
stays as it was. A refused or stale click gets a short private note instead.
The note is in the presser's language; the rewritten blocks in the
message's (a channel digest's language, else the DM recipient's).

Bolt runs the first listener that matches, so the fallback is registered
last. Without it Slack would show the user a generic failure for the click.
"""

import logging
import re

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from commands import answer
from commands.blocks import mask_personal
from commands.buttons import apply_button, message_language
from commands.digest import ACTION_AT_RISK, ACTION_CLAIM
from commands.i18n import N_, _
from commands.remind import FOLLOWUP_ACTIONS, followup_id_from_block, replace_blocks

STALE = N_("That button is no longer active. Run the {command} command again for a fresh answer.")


def update_clicked(client: WebClient, body: dict, blocks: list[dict], logger: logging.Logger) -> bool:
    """Rewrite the clicked message with `blocks` swapped in. Ephemeral
    messages cannot be updated (and Slack does not send their blocks back):
    False then, and the caller says what happened privately."""
    message = body.get("message")
    container = body.get("container") or {}
    if not message or container.get("is_ephemeral") or not blocks:
        return False
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    new = replace_blocks(message, blocks)
    if not channel.startswith("D"):  # a channel message (the digest): masked like everything posted there
        new = mask_personal(new)
    try:
        client.chat_update(
            channel=channel, ts=container.get("message_ts") or message.get("ts"), text=new["text"], blocks=new["blocks"]
        )
    except SlackApiError as e:
        logger.warning("could not update the clicked message (%s)", e.response.get("error"))
        return False
    return True


def register(app: App, services: Services) -> None:
    def ack_click(ack) -> None:
        ack()

    def handle_click(body, client, respond, logger) -> None:
        action = (body.get("actions") or [{}])[0]
        target = action.get("value")
        if not target and action.get("action_id") != ACTION_CLAIM:
            target = str(followup_id_from_block(action.get("block_id")) or "")
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id") or ""
        with services.db() as db:
            ctx = services.context(db, client, (body.get("user") or {}).get("id"))
            result = apply_button(
                ctx, action.get("action_id"), target, action.get("selected_user"), message_language(ctx, channel)
            )
        updated = update_clicked(client, body, result.blocks, logger)
        if (not result.ok or not updated) and respond is not None:
            respond(text=result.summary, response_type="ephemeral", replace_original=False)

    def open_at_risk(body, client, respond) -> None:
        with services.db() as db:
            result = answer(
                services.context(db, client, (body.get("user") or {}).get("id")), "at-risk", with_data=False
            )
        respond(
            text=result.message["text"],
            blocks=result.message["blocks"],
            response_type="ephemeral",
            replace_original=False,
        )

    for action_id in (*FOLLOWUP_ACTIONS, ACTION_CLAIM):
        app.action(action_id)(ack=ack_click, lazy=[handle_click])
    app.action(ACTION_AT_RISK)(ack=ack_click, lazy=[open_at_risk])


def register_fallback(app: App, services: Services) -> None:
    def handle_unknown_action(ack, body, respond, logger, client) -> None:
        ack()
        for action in body.get("actions", []):
            if action.get("url"):  # link buttons open their URL; the click needs only the ack
                return
            logger.info("no listener for action %r (block %r)", action.get("action_id"), action.get("block_id"))
        if respond is None:
            return
        with services.db() as db:
            lang = services.context(db, client, (body.get("user") or {}).get("id")).lang
        respond(text=_(lang, STALE, command="`/retention`"), response_type="ephemeral", replace_original=False)

    app.action(re.compile(".*"))(handle_unknown_action)
