"""Render a Block Kit message in a terminal with rich.

One renderer for every command: the Slack message is the single source of
what an answer says, so the console and Slack never drift apart.
"""

import html
import re

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from storage.fields import SLACK_MENTION

_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]+)`")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


_FENCE = re.compile(r"```\n?(.*?)\n?```", re.S)


def mrkdwn_to_rich(text: str, names: dict[str, str] | None = None) -> Text:
    names = names or {}
    fence = _FENCE.fullmatch(text.strip())
    if fence:  # a preformatted table: shown as is, in monospace
        return Text(html.unescape(fence.group(1)).replace("\u200b", ""))
    text = SLACK_MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = text.replace("\u200b", "")
    markup = html.unescape(text).replace("[", r"\[")
    markup = _CODE.sub(r"[cyan]\1[/cyan]", markup)
    markup = _BOLD.sub(r"[bold]\1[/bold]", markup)
    markup = _ITALIC.sub(r"[italic]\1[/italic]", markup)
    try:
        return Text.from_markup(markup)
    except Exception:
        return Text(html.unescape(text))


def render_message(message: dict, names: dict[str, str] | None = None) -> RenderableType:
    parts: list[RenderableType] = []
    for block in message.get("blocks", []):
        t = block.get("type")
        if t == "header":
            parts.append(Text(block["text"]["text"], style="bold magenta"))
        elif t == "section":
            if "text" in block:
                parts.append(mrkdwn_to_rich(block["text"]["text"], names))
            if "fields" in block:
                grid = Table.grid(padding=(0, 3))
                grid.add_column()
                grid.add_column()
                cells = [mrkdwn_to_rich(f["text"], names) for f in block["fields"]]
                for i in range(0, len(cells), 2):
                    grid.add_row(*cells[i : i + 2])
                parts.append(grid)
        elif t == "context":
            texts = [mrkdwn_to_rich(e.get("text", ""), names) for e in block["elements"]]
            line = Text("  ·  ").join(texts)
            line.stylize("dim")
            parts.append(line)
        elif t == "divider":
            parts.append(Rule(style="dim"))
        elif t == "actions":
            labels = [
                (e.get("text") or e.get("placeholder") or {}).get("text", e.get("type", "")) for e in block["elements"]
            ]
            parts.append(Text("  ".join(f"[{label}]" for label in labels), style="bold blue"))
        elif t == "image":
            parts.append(Text(f"[image: {block.get('alt_text', '')}]", style="dim"))
    if not parts:
        parts.append(mrkdwn_to_rich(message.get("text", "")))
    return Panel(Group(*parts), border_style="blue", expand=False)
