"""Languages: every user-visible string goes through `_` / `_n` with the
language passed explicitly (the request's language is `ctx.lang`; a digest
or reminder takes its recipient's), never a process-wide global, so two
requests in two languages can be answered side by side.

Catalogs are the gettext `.po` files under commands/locale/<lang>/ (edited
by hand, kept in the repo), read at run time with Babel's pofile reader —
there is no compile step. English is the source language: its messages are
the msgids themselves, so the English path loads no catalog and never
imports Babel (start-up stays light).

Placeholders are named (`{count}`), filled after translation; the values
are formatted by the caller (commands/format.py) in the same language. In
Persian, a value that carries left-to-right text (digits of an id, a
mention, a Latin customer name) is wrapped in Unicode isolates (FSI … PDI)
so it cannot reorder the right-to-left sentence around it.
"""

import gettext
import io
import re
import unicodedata
from functools import cache
from pathlib import Path

from storage.fields import LANGUAGES

DEFAULT_LANGUAGE = "en"
LOCALES = {"en": "en_US", "hy": "hy_AM", "fa": "fa_IR"}
RTL = frozenset({"fa"})
NAMES = {"en": "English", "hy": "Հայերեն", "fa": "فارسی"}
LOCALE_DIR = Path(__file__).parent / "locale"

FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"
_ASCII_DIGITS = frozenset("0123456789")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def slack_language(locale: str | None) -> str | None:
    """A Slack user locale (`fa-IR`, `en-US`) as one of our languages, or None."""
    if not locale:
        return None
    code = locale.replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang`, read from its .po file (Babel's reader; the
    plural rule comes from the catalog's Plural-Forms header)."""
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def left_to_right(value: str) -> bool:
    """Whether `value` carries left-to-right text (a strong LTR letter, or a
    Latin digit): what reorders inside a right-to-left sentence."""
    return any(ch in _ASCII_DIGITS or unicodedata.bidirectional(ch) == "L" for ch in value)


def isolate(value: str) -> str:
    """`value` as a first-strong isolate when it carries left-to-right text."""
    return f"{FSI}{value}{PDI}" if left_to_right(value) else value


def shown_in(lang: str, value: str) -> str:
    """`value` standing on its own in a `lang` message (a customer's name as
    a header, their company and email as a line): isolated in a
    right-to-left language, so the line keeps the message's direction."""
    return isolate(value) if lang in RTL else value


def _fill(lang: str, text: str, values: dict[str, object]) -> str:
    if not values:
        return text
    if lang in RTL:
        values = {k: isolate(str(v)) for k, v in values.items()}
    return text.format_map(values)


def _(lang: str, message: str, /, **values: object) -> str:
    """`message` in `lang`, its `{name}` placeholders filled with `values`."""
    text = message if lang == DEFAULT_LANGUAGE else translations(lang).gettext(message)
    return _fill(lang, text, values)


def _n(lang: str, singular: str, plural: str, n: int, /, **values: object) -> str:
    """The form of a message for `n` by `lang`'s plural rules (`{count}`
    and any other placeholders filled with `values`)."""
    if lang == DEFAULT_LANGUAGE:
        text = singular if n == 1 else plural
    else:
        text = translations(lang).ngettext(singular, plural, n)
    return _fill(lang, text, values)


def N_(message: str) -> str:
    """Marks a message for the catalog where no language is known yet (a
    command's summary, registered at import); translated where it is shown."""
    return message


def placeholders(message: str) -> set[str]:
    return set(_PLACEHOLDER.findall(message))
