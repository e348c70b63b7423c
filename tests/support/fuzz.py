"""What the fuzz properties share: example budgets, the count of examples
tried, the fixed demo day, and the Block Kit walker every oracle uses."""

import re
from collections import Counter
from datetime import date

from hypothesis import HealthCheck, settings

DEMO_DAY = date(2026, 11, 22)
EXAMPLES: Counter[str] = Counter()
SUPPRESS = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.function_scoped_fixture,
]


def examples(n: int) -> settings:
    """At most `n` examples, no per-example deadline (store work varies)."""
    return settings(max_examples=n, deadline=None, suppress_health_check=SUPPRESS)


def tried(name: str) -> None:
    """Count one example of property `name` (shrinking runs included)."""
    EXAMPLES[name] += 1


# ---- Block Kit: which strings Slack parses as mrkdwn -----------------------


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    """Every text in `blocks` that Slack renders as mrkdwn (mentions, links
    and emphasis are live there); plain_text (headers, button labels) is
    shown as typed."""
    out = []

    def text_object(obj) -> None:
        if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
            out.append(obj.get("text", ""))

    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text_object(block.get("text"))
            for f in block.get("fields", []):
                text_object(f)
        elif kind == "context":
            for element in block.get("elements", []):
                text_object(element)
        for element in block.get("elements", []) if kind == "actions" else []:
            confirm = element.get("confirm") or {}
            text_object(confirm.get("text"))
    return out


TOKEN = re.compile(r"<[^<>]*>")
BROADCAST = ("<!channel", "<!here", "<!everyone")


def live_tokens(text: str) -> list[str]:
    """The `<…>` sequences Slack would turn into a mention, channel, link or
    broadcast."""
    return TOKEN.findall(text)
