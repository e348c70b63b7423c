"""Slack credentials and endpoints from the environment, checked before use.

A wrong token is the most common first-run failure, and Slack's own error
(`invalid_auth`, or a 401 on every request) does not say which variable is
wrong or where to find the right value. So each problem names the variable
and the page of the app's configuration that holds it; values are never
echoed, so the messages are safe to paste into a ticket.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from commands.i18n import N_
from storage.problems import Said

APPS_PAGE = "https://api.slack.com/apps"
EVENTS_PATH = "/slack/events"  # every Slack request in HTTP mode (bot.server; the manifest's URLs)
HEALTH_PATH = "/healthz"
DEFAULT_API_URL = "https://slack.com/api/"

WHERE_MESSAGES = {
    "SLACK_BOT_TOKEN": N_(
        "{apps} → your app → OAuth & Permissions → Bot User OAuth Token (install the app to your workspace first)"
    ),
    "SLACK_APP_TOKEN": N_(
        "{apps} → your app → Basic Information → App-Level Tokens (generate one with the connections:write scope)"
    ),
    "SLACK_SIGNING_SECRET": N_("{apps} → your app → Basic Information → App Credentials → Signing Secret"),
}
WHERE = {name: message.format(apps=APPS_PAGE) for name, message in WHERE_MESSAGES.items()}
PREFIX = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}
KIND = {
    "xoxb-": N_("a bot token"),
    "xoxp-": N_("a user token"),
    "xapp-": N_("an app-level token"),
    "xoxe": N_("a refresh token"),
}


class SettingsError(Exception):
    """One or more Slack variables are missing or malformed; `said` says
    which and how to fix each (to say in the admin's language), `problems`
    the same in English."""

    def __init__(self, said: list[Said]):
        self.said = said
        self.problems = [str(problem) for problem in said]
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def __repr__(self) -> str:  # never show secrets in logs or tracebacks
        return f"SlackSettings(api_url={self.api_url!r}, socket_mode={self.socket_mode})"


def token_said(name: str, value: str | None) -> Said | None:
    """What is wrong with one variable, or None, as a message to say in any
    language. Never includes the value."""
    where = Said(WHERE_MESSAGES[name], {"apps": APPS_PAGE})
    if not value or not value.strip():
        return Said(N_("{name} is not set. Get it from {where}."), {"name": name, "where": where})
    if value != value.strip() or any(c.isspace() for c in value):
        return Said(
            N_("{name} contains spaces or line breaks (a copy-paste slip?). Copy it again from {where}."),
            {"name": name, "where": where},
        )
    prefix = PREFIX.get(name)
    if prefix and not value.startswith(prefix):
        kind = next((k for p, k in KIND.items() if value.startswith(p)), None)
        if kind:
            return Said(
                N_("{name} must start with {prefix}; this looks like {kind}. Copy the right one from {where}."),
                {"name": name, "prefix": prefix, "kind": Said(kind), "where": where},
            )
        return Said(
            N_("{name} must start with {prefix}. Copy the right one from {where}."),
            {"name": name, "prefix": prefix, "where": where},
        )
    return None


def api_url_problem(value: str) -> str | None:
    problem = api_url_said(value)
    return str(problem) if problem else None


def api_url_said(value: str) -> Said | None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return Said(N_("SLACK_API_URL must be an http(s) URL such as {url}"), {"url": DEFAULT_API_URL})
    return None


def api_url_from(env: Mapping[str, str]) -> str:
    url = env.get("SLACK_API_URL") or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def load_slack_settings(env: Mapping[str, str] | None = None, *, mode: str = "auto") -> SlackSettings:
    """Read and check the variables `mode` needs: "http" needs the bot token and
    the signing secret, "socket" the bot and app tokens, "auto" picks socket
    when SLACK_APP_TOKEN is set. Raises SettingsError listing every problem."""
    env = os.environ if env is None else env
    if mode == "auto":
        mode = "socket" if env.get("SLACK_APP_TOKEN") else "http"
    needed = ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN" if mode == "socket" else "SLACK_SIGNING_SECRET"]
    problems = [p for name in needed if (p := token_said(name, env.get(name)))]
    api_url = api_url_from(env)
    if p := api_url_said(api_url):
        problems.append(p)
    if problems:
        raise SettingsError(problems)
    return SlackSettings(
        bot_token=env["SLACK_BOT_TOKEN"],
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        app_token=env["SLACK_APP_TOKEN"] if mode == "socket" else None,
        api_url=api_url,
    )
