"""`/retention`: fast answers in the ack body, slow ones after it.

Slack waits 3 seconds for the acknowledgement, and a message in the ack body
needs no extra round trip, so every fast command answers there. A slow
command (charts, heavy work) acks with "Working on it…" at once; a Bolt lazy
listener then computes the answer, sends it through the response_url and
uploads its charts with files_upload_v2. Charts follow the answer's audience:
a private answer's charts go to the asker's DM (a file in the channel would
show everyone what only the asker should see); a shared answer's go to the
channel, or to the DM when the bot cannot reach that channel.

Under a burst a fast command takes the slow road too: at most
INLINE_ANSWERS answers are computed inside acknowledgements at a time per
process; the next ones ack "Working on it…" at once and are answered by the
lazy listener. Every answer competes for one interpreter lock, so answers
queued behind each other in acks miss the 3 seconds (measured: 50 requests
at once on a 100,000-customer store, docs/reliability.md), and Slack then
shows the user an error and drops the answer.

`digest now` is the one answer that posts: the command only asks for it
(`post` in its data), and the slow listener sends it through the outbox.
"""

import logging
import threading
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs import post_requested_digest
from bot.listeners.errors import report_error
from bot.services import Services
from commands import COMMANDS, Answer, answer
from commands.core import Chart, Request
from commands.dispatch import read_request
from commands.i18n import DEFAULT_LANGUAGE, N_, _

WORKING = N_(":hourglass_flowing_sand: Working on it… the answer will appear here in a few seconds.")
# Set by the ack listener for the lazy one: the Request it read (so the text
# is parsed once), or True when it was too busy to read it. Bolt copies the
# request context to lazy listeners after the ack listener has run
# (process_before_response=True).
SLOW = "retention_slow"
INLINE_ANSWERS = 2
# completeUploadExternal errors meaning "not this channel", not "not at all".
UNREACHABLE = {"channel_not_found", "not_in_channel", "is_archived", "access_denied"}


def reply(a: Answer) -> dict:
    return {
        "text": a.message["text"],
        "blocks": a.message["blocks"],
        "response_type": "in_channel" if a.shared else "ephemeral",
    }


def upload_charts(
    client: WebClient, charts: list[Chart], *, channel_id: str, user_id: str, shared: bool, logger: logging.Logger
) -> None:
    """Each chart as a file: in the channel when the answer is shared, else in
    the user's DM. In the channel, the first "channel not reachable" switches
    the rest to the DM (a DM with another person, a private channel or one the
    bot was never invited to)."""
    target = channel_id if shared else _dm(client, user_id)
    for chart in charts:
        args: dict[str, Any] = {"file": chart.png, "filename": chart.filename, "title": chart.title}
        try:
            client.files_upload_v2(channel=target, **args)
        except SlackApiError as e:
            error = e.response.get("error")
            if target != channel_id or error not in UNREACHABLE:
                raise
            logger.info("channel %s not reachable for uploads (%s); sending charts by DM", channel_id, error)
            target = _dm(client, user_id)
            client.files_upload_v2(channel=target, **args)


def _dm(client: WebClient, user_id: str) -> str:
    return client.conversations_open(users=user_id)["channel"]["id"]


def register(app: App, services: Services) -> None:
    inline = threading.BoundedSemaphore(INLINE_ANSWERS)

    def answer_later(ack, context, lang: str, req: Request | bool = True) -> None:
        context[SLOW] = req
        ack(text=_(lang, WORKING), response_type="ephemeral")

    def asker_language(client, user_id: str | None, logger) -> str:
        """The asker's language when the answer itself waits (busy)."""
        try:
            with services.db() as db:
                return services.context(db, client, user_id).lang
        except Exception:
            logger.exception("could not tell the language of %s; acking in English", user_id)
            return DEFAULT_LANGUAGE

    def ack_retention(ack, command, client, context, logger) -> None:
        text = command.get("text") or ""
        if not inline.acquire(blocking=False):  # busy: answer after the ack
            answer_later(ack, context, asker_language(client, command.get("user_id"), logger))
            return
        lang = DEFAULT_LANGUAGE
        try:
            with services.db() as db:
                ctx = services.context(db, client, command.get("user_id"))
                lang = ctx.lang
                req = read_request(ctx, text)
                if isinstance(req, Request) and COMMANDS[req.name].slow:
                    answer_later(ack, context, lang, req)
                    return
                result = req if isinstance(req, Answer) else answer(ctx, req, with_data=False)
        except Exception as e:
            ack(**report_error(e, f"/retention {text}", logger, lang))
            return
        finally:
            inline.release()
        ack(**reply(result))

    def answer_slow_retention(command, client, respond, context, logger) -> None:
        asked = context.get(SLOW)
        if not asked:
            return
        text = command.get("text") or ""
        lang = DEFAULT_LANGUAGE
        try:
            with services.db() as db:
                ctx = services.context(db, client, command.get("user_id"))
                lang = ctx.lang
                result = answer(ctx, asked if isinstance(asked, Request) else text, with_data=False)
                if result.ok and result.data.get("post"):
                    result = post_requested_digest(db, client, result, ctx.now, lang)
        except Exception as e:
            respond(**report_error(e, f"/retention {text}", logger, lang))
            return
        respond(**reply(result))
        if result.charts:
            try:
                upload_charts(
                    client,
                    result.charts,
                    channel_id=command["channel_id"],
                    user_id=command["user_id"],
                    shared=result.shared,
                    logger=logger,
                )
            except Exception as e:
                respond(**report_error(e, f"chart upload for /retention {text}", logger, lang))

    app.command("/retention")(ack=ack_retention, lazy=[answer_slow_retention])
