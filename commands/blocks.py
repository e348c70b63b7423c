"""Pure Block Kit builders and the limits every message must respect.

Slack rejects a message with more than 50 blocks, a section over 3,000
characters or more than 10 fields; user data must not become markup or a
mention. Everything here is a pure function so tests can pin the output.
"""

import re
from typing import Any

from storage.fields import SLACK_USER_ID

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_TEXT = 40000
MAX_ACTIONS = 25

Block = dict[str, Any]


def escape(value: Any) -> str:
    """User data shown literally: `&`, `<`, `>` escaped as Slack requires, so
    `<!channel>` or `<@U123>` in a customer name is text, not a mention."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MRKDWN = re.compile(r"([*_~`])")


def literal(value: Any) -> str:
    """Escape and neutralise mrkdwn emphasis characters in user data."""
    return _MRKDWN.sub("\u200b\\1\u200b", escape(value))


def customer_label(name: Any, company: Any, customer_id: Any) -> str:
    """How every message names a customer: `*name*` (the id when unnamed)
    and the company in brackets, both literal: they are imported user data,
    and a mention, link or emphasis in them must show as typed."""
    who = f"*{literal(name or customer_id)}*"
    return who + (f" ({literal(company)})" if company else "")


def mention(user_id: Any) -> str:
    """A Slack mention for a user id, or the id as literal text when it is
    not one: ids come from imported files too, and `U1> <!channel` must not
    become a broadcast."""
    user_id = str(user_id)
    return f"<@{user_id}>" if SLACK_USER_ID.match(user_id) else literal(user_id)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER), "emoji": True}}


def section(text: str, *, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: list[tuple[str, str]]) -> list[Block]:
    """Label/value pairs as field sections, 10 fields per section."""
    items = [{"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", MAX_FIELD)} for label, value in pairs]
    return [{"type": "section", "fields": items[i : i + MAX_FIELDS]} for i in range(0, len(items), MAX_FIELDS)]


def context(*parts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(p, MAX_SECTION)} for p in parts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> Block:
    b: Block = {"type": "button", "text": {"type": "plain_text", "text": clip(text, 75)}, "action_id": action_id}
    if value:
        b["value"] = value[:2000]
    if style:
        b["style"] = style
    return b


def actions(elements: list[Block], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements[:MAX_ACTIONS]}
    if block_id:
        block["block_id"] = block_id[:255]
    return block


def lines_section(lines: list[str]) -> list[Block]:
    """A list of lines packed into sections under the size limit."""
    blocks, chunk = [], ""
    for line in lines:
        line = clip(line, MAX_SECTION - 50)  # one line never fills a section on its own, nor leaves one empty
        if chunk and len(chunk) + len(line) + 1 > MAX_SECTION - 50:
            blocks.append(section(chunk.rstrip("\n")))
            chunk = ""
        chunk += line + "\n"
    if chunk:
        blocks.append(section(chunk.rstrip("\n")))
    return blocks


def message(text: str, blocks: list[Block]) -> dict:
    """A complete message: fallback text plus blocks cut to the 50-block limit
    (the last kept block says how much was cut)."""
    blocks = [b for b in blocks if b]
    if len(blocks) > MAX_BLOCKS:
        cut = len(blocks) - (MAX_BLOCKS - 1)
        blocks = [*blocks[: MAX_BLOCKS - 1], context(f"…{cut} more blocks not shown; use `--json` or narrow the query")]
    return {"text": clip(text, MAX_TEXT), "blocks": blocks}


def limit_problems(msg: dict) -> list[str]:
    """Every Block Kit limit the message breaks (empty when it is valid)."""
    problems = []
    if not msg.get("text"):
        problems.append("no text fallback")
    blocks = msg.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks > {MAX_BLOCKS}")
    for i, b in enumerate(blocks):
        t = b.get("type")
        if t == "section":
            if "text" in b and len(b["text"]["text"]) > MAX_SECTION:
                problems.append(f"block {i}: section text {len(b['text']['text'])} > {MAX_SECTION}")
            if len(b.get("fields", [])) > MAX_FIELDS:
                problems.append(f"block {i}: {len(b['fields'])} fields > {MAX_FIELDS}")
            for f in b.get("fields", []):
                if len(f["text"]) > MAX_FIELD:
                    problems.append(f"block {i}: field over {MAX_FIELD}")
            if "text" not in b and "fields" not in b:
                problems.append(f"block {i}: section without text or fields")
            elif "text" in b and not b["text"]["text"]:
                problems.append(f"block {i}: empty section text")
        elif t == "header" and len(b["text"]["text"]) > MAX_HEADER:
            problems.append(f"block {i}: header > {MAX_HEADER}")
        elif t == "actions" and len(b.get("elements", [])) > MAX_ACTIONS:
            problems.append(f"block {i}: {len(b['elements'])} actions > {MAX_ACTIONS}")
        elif t == "context" and len(b.get("elements", [])) > 10:
            problems.append(f"block {i}: context with > 10 elements")
    return problems


# Email addresses in any script: `anna@bücher.de`, `jürgen.müller@firma.de`,
# `用户@例子.中国` (\w is Unicode-aware); the top-level domain is letters.
_EMAIL = re.compile(r"(?P<first>[\w%+\-])[\w.%+\-']*@(?P<domain>[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,})")
# Phone numbers: 8–15 digits written with a leading + or with separators
# (`+1 (555) 123-4567`, `+374 10 123456`, `0912 345 6789`). Bare digit runs
# (ids, Slack timestamps), money (`$1,234.50`) and dates are left alone.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d \-().\u00a0]{5,}\d(?![\w])")
# A day, alone or beside an hour (`2026-03-09 06:00`, `06:00 2026-03-09`: the
# colon ends the run of digits), is a date, not a phone number.
_DATE = re.compile(r"^(\d{1,2} )?\d{4}-\d{2}-\d{2}( \d{1,2})?$")
_DECIMAL = re.compile(r"^\d+\.\d+$")


def _phone(m: re.Match) -> str:
    raw = m.group(0)
    digits = sum(c.isdigit() for c in raw)
    plain = raw.strip("()")
    if not 8 <= digits <= 15 or _DATE.match(plain) or _DECIMAL.match(plain) or ".." in raw:
        return raw
    if not raw.startswith("+") and not any(c in raw for c in " -()\u00a0"):
        return raw
    seen = 0
    out = []
    for c in raw:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 2 else "•")
        else:
            out.append(c)
    return "".join(out)


def mask_text(text: str) -> str:
    """`text` with email addresses and phone numbers masked."""
    text = _EMAIL.sub(lambda m: f"{m.group('first')}•••@{m.group('domain')}", text)
    return _PHONE.sub(_phone, text)


def mask_personal(value: Any) -> Any:
    """Mask email addresses and phone numbers anywhere in a message or its
    data: for everything that lands where more people see it than the asker
    (shared answers, the channel digest, escalations, notices)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_personal(v) for k, v in value.items()}
    return value
