"""Failures: the user gets a short error id, the log gets the traceback.

The id is the link between a puzzled "something went wrong" in Slack and the
one log record an operator needs; the reply also quotes the request id, which
every log line of that request carries. Nothing else about the failure
(paths, SQL, values) is shown in Slack.
"""

import logging
import secrets

from slack_bolt import App

from bot.logs import current_request_id
from commands.i18n import DEFAULT_LANGUAGE, _

log = logging.getLogger("bot.errors")


def new_error_id() -> str:
    return "E" + secrets.token_hex(3).upper()


def report_error(error: BaseException, where: str, logger: logging.Logger = log, lang: str = DEFAULT_LANGUAGE) -> dict:
    """Log `error` with its traceback under a fresh id; return the friendly
    reply (ack/respond arguments) that quotes the id, in `lang` when the
    asker's language is known."""
    error_id = new_error_id()
    logger.error("error %s in %s: %s: %s", error_id, where, type(error).__name__, error, exc_info=error)
    request_id = current_request_id()
    if request_id:
        text = _(
            lang,
            ":warning: Sorry, something went wrong on my side (error id {error}, request {request}). "
            "Please try again in a moment; if it keeps happening, give this id to whoever runs retention-bot.",
            error=f"`{error_id}`",
            request=f"`{request_id}`",
        )
    else:
        text = _(
            lang,
            ":warning: Sorry, something went wrong on my side (error id {error}). "
            "Please try again in a moment; if it keeps happening, give this id to whoever runs retention-bot.",
            error=f"`{error_id}`",
        )
    return {"response_type": "ephemeral", "text": text}


def handle_error(error, body, respond, logger) -> None:
    """Bolt's global error handler: for everything not already caught by a
    listener (events, buttons, lazy listeners). Replies only where Slack gave
    us a response_url; otherwise there is no one to tell but the log."""
    kind = body.get("type") or ("slash_command" if body.get("command") else "request")
    reply = report_error(error, kind, logger)
    if respond is not None:
        try:
            respond(**reply, replace_original=False)
        except Exception:  # the original error is already logged with its id
            logger.exception("could not send the error reply")


def register(app: App) -> None:
    app.error(handle_error)
