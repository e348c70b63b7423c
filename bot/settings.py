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

APPS_PAGE = "https://api.slack.com/apps"
EVENTS_PATH = "/slack/events"  # every Slack request in HTTP mode (bot.server; the manifest's URLs)
HEALTH_PATH = "/healthz"
DEFAULT_API_URL = "https://slack.com/api/"

WHERE = {
    "SLACK_BOT_TOKEN": (
        f"{APPS_PAGE} → your app → OAuth & Permissions → Bot User OAuth Token (install the app to your workspace first)"
    ),
    "SLACK_APP_TOKEN": (
        f"{APPS_PAGE} → your app → Basic Information → App-Level Tokens (generate one with the connections:write scope)"
    ),
    "SLACK_SIGNING_SECRET": f"{APPS_PAGE} → your app → Basic Information → App Credentials → Signing Secret",
}
PREFIX = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}
KIND = {"xoxb-": "a bot token", "xoxp-": "a user token", "xapp-": "an app-level token", "xoxe": "a refresh token"}


class SettingsError(Exception):
    """One or more Slack variables are missing or malformed; `problems` says
    which and how to fix each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


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


def token_problem(name: str, value: str | None) -> str | None:
    """What is wrong with one variable, or None. Never includes the value."""
    if not value or not value.strip():
        return f"{name} is not set. Get it from {WHERE[name]}."
    if value != value.strip() or any(c.isspace() for c in value):
        return f"{name} contains spaces or line breaks (a copy-paste slip?). Copy it again from {WHERE[name]}."
    prefix = PREFIX.get(name)
    if prefix and not value.startswith(prefix):
        kind = next((k for p, k in KIND.items() if value.startswith(p)), None)
        got = f"; this looks like {kind}" if kind else ""
        return f"{name} must start with {prefix}{got}. Copy the right one from {WHERE[name]}."
    return None


def api_url_problem(value: str) -> str | None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL}"
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
    problems = [p for name in needed if (p := token_problem(name, env.get(name)))]
    api_url = api_url_from(env)
    if p := api_url_problem(api_url):
        problems.append(p)
    if problems:
        raise SettingsError(problems)
    return SlackSettings(
        bot_token=env["SLACK_BOT_TOKEN"],
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        app_token=env["SLACK_APP_TOKEN"] if mode == "socket" else None,
        api_url=api_url,
    )
