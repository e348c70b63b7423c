"""The Slack app manifest, to paste into api.slack.com/apps → Create New App →
From a manifest. One source for the command, scopes and features the code
relies on, so a new install is right the first time.

Without a public URL the manifest turns Socket Mode on (nothing to host);
with `--url` it points the slash command, events and interactivity at
`<url>/slack/events` for HTTP mode. Written as YAML by hand (every string
JSON-quoted, which is valid YAML) to keep pyyaml out of the runtime.
"""

import json

from bot.settings import EVENTS_PATH

COMMAND = "/retention"
USAGE_HINT = "[help | crr last-quarter | at-risk | customer NAME | cohorts] [segment:NAME] [rep:@user] [share]"
DESCRIPTION = "Retention KPIs, at-risk customers and follow-ups"
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "files:write",
    # Read back our own posts (by their message metadata) before any
    # resend after a crash, so a digest or reminder is never posted twice.
    "channels:history",
    "groups:history",
    "im:history",
)
BOT_EVENTS = ("app_home_opened",)


def events_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(EVENTS_PATH) else url + EVENTS_PATH


def build_manifest(name: str = "Retention Bot", url: str | None = None) -> str:
    q = json.dumps
    request_url = events_url(url) if url else None
    lines = [
        "_metadata:",
        "  major_version: 1",
        "  minor_version: 1",
        "display_information:",
        f"  name: {q(name[:35])}",
        f"  description: {q('Keeps sales and account teams on top of customer retention')}",
        f"  long_description: {q(_long_description())}",
        f"  background_color: {q('#1d3b53')}",
        "features:",
        "  app_home:",
        "    home_tab_enabled: true",
        "    messages_tab_enabled: true",
        "    messages_tab_read_only_enabled: true",
        "  bot_user:",
        f"    display_name: {q(_display_name(name))}",
        "    always_online: true",
        "  slash_commands:",
        f"    - command: {q(COMMAND)}",
        f"      description: {q(DESCRIPTION)}",
        f"      usage_hint: {q(USAGE_HINT)}",
        "      should_escape: true",
    ]
    if request_url:
        lines.append(f"      url: {q(request_url)}")
    lines += [
        "oauth_config:",
        "  scopes:",
        "    bot:",
        *[f"      - {q(scope)}" for scope in BOT_SCOPES],
        "settings:",
        "  event_subscriptions:",
    ]
    if request_url:
        lines.append(f"    request_url: {q(request_url)}")
    lines += [
        "    bot_events:",
        *[f"      - {q(event)}" for event in BOT_EVENTS],
        "  interactivity:",
        "    is_enabled: true",
    ]
    if request_url:
        lines.append(f"    request_url: {q(request_url)}")
    lines += [
        "  org_deploy_enabled: false",
        f"  socket_mode_enabled: {'false' if request_url else 'true'}",
        "  token_rotation_enabled: false",
    ]
    return "\n".join(lines) + "\n"


def _display_name(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:80] or "retention-bot"


def _long_description() -> str:
    return (
        "Ask /retention for retention KPIs computed from your own orders: customer retention rate "
        "with the numbers behind it, churn, repeat purchase rate, cohorts and the high-value "
        "customers who are going quiet. Answers are only visible to you unless you add share. "
        "A daily churn digest and follow-up reminders with buttons keep the team on top of it."
    )
