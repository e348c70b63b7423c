"""Logging: plain text or one JSON object per line, each record tagged with
the id of the Slack request it belongs to.

A request id ties together everything one Slack request caused (the ack,
the lazy listener that answers later on another thread, its Web API calls,
an error reply quoting it), so an operator can pull one request's lines out
of a busy log. It lives in a context variable: set around `App.dispatch`,
and carried into Bolt's listener threads by `ContextExecutor`.

Log records are English in every workspace: they go to the operator's log
files and tools, where stable text is what one searches, alerts on and
quotes in a ticket. What a command prints for the admin at the terminal
(`run`'s started and stopped lines, its token errors) is in the CLI's
language instead (bot.cli), and so is every message for people in Slack.
"""

import contextvars
import json
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("retention_request_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")


def new_request_id() -> str:
    return "req-" + secrets.token_hex(6)


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """The classic one-line format, with ` [req-…]` when inside a request."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None)
        if not rid:
            return line
        head, sep, rest = line.partition("\n")  # keep a traceback below the tagged line
        return f"{head} [{rid}]{sep}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: time (UTC, ms), level,
    logger, message, request_id, and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(verbose: int, log_format: str = "text") -> None:
    """Root logging for the CLI: WARNING, INFO (-v) or DEBUG (-vv), in
    `log_format`. Like logging.basicConfig, a no-op when the root logger is
    already configured (an embedding program or a test's capture)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)], handlers=[handler])


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context
    variables, so a lazy listener logs under its request's id."""

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
