"""Errors that reach people: a message with named placeholders and the
values to fill them, never a finished English sentence.

storage cannot import the catalog (commands/i18n.py sits above it), so an
error carries what the catalog needs: its `message` is the English text
with `{name}` placeholders — the stable key gettext looks it up by (marked
with `N_` so `pybabel extract` finds it) — and `values` fill them; str() is
the English, for logs and JSON. commands.i18n.told translates one in the
reader's language, formatting whole numbers in its digits.
"""

from datetime import date


def N_(message: str) -> str:
    """Marks a message for the catalog (keyword `N_` of `pybabel extract`)."""
    return message


def english(message: str, values: dict[str, object]) -> str:
    """`message` filled with `values` as English writes them."""
    return message.format_map({k: _english(v) for k, v in values.items()}) if values else message


def _english(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return value


class Problem(Exception):
    """An error whose text is `message` (a catalog msgid) filled with `values`."""

    def __init__(self, message: str, /, **values: object):
        super().__init__(english(message, values))
        self.message = message
        self.values = values
