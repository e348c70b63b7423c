"""The message catalogs: every string the code marks for translation has a
real translation in Armenian and Persian with the same placeholders, and
no message is glued together from translated fragments."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from commands import i18n
from commands.i18n import _, _n

ROOT = Path(__file__).parents[2]
_WORD = re.compile(r"[A-Za-z]{2,}")  # a formula (`(E {E} − N {N})`) may read the same in every language
_PLACEHOLDER = re.compile(r"\{\w+\}")
KEYWORDS = {"_": (2,), "_n": (2, 3), "UsageError": (1,), "N_": (1,), "PeriodError": (1,)}
TRANSLATED = ("hy", "fa")


def extracted() -> dict[str | tuple[str, str], str]:
    """msgid (a pair for plurals) -> where it is, straight from the source."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=[(f"{layer}/**.py", "python") for layer in ("commands", "bot", "analytics", "storage")],
        keywords=KEYWORDS,
    ):
        if isinstance(message, tuple):
            message = tuple(m for m in message if m is not None)
            message = message[0] if len(message) == 1 else message
        if message:
            found[message] = f"{filename}:{lineno}"
    return found


def catalog(lang: str):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


@pytest.fixture(scope="module")
def source_messages():
    return extracted()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_translation_with_the_same_placeholders(lang, source_messages):
    cat = catalog(lang)
    problems = []
    for msgid, where in source_messages.items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = cat.get(key)
        if entry is None or entry.fuzzy:
            problems.append(f"{where}: no {lang} translation of {key!r}")
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        if not all(forms) or (isinstance(msgid, tuple) != isinstance(entry.id, tuple)):
            problems.append(f"{where}: {lang} translation of {key!r} is empty or has the wrong plural forms")
            continue
        wanted = set().union(*(i18n.placeholders(i) for i in ids))
        for form in forms:
            if i18n.placeholders(form) != wanted:
                problems.append(f"{where}: {lang} {form!r} has placeholders {i18n.placeholders(form)}, not {wanted}")
    assert problems == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_holds_no_stale_or_english_entries(lang, source_messages):
    """An entry the code no longer uses is dead weight, and a "translation"
    equal to the English (beyond code and placeholders) was never done."""
    keys = {m[0] if isinstance(m, tuple) else m for m in source_messages}
    cat = catalog(lang)
    stale = [m.id for m in cat if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in keys]
    assert stale == []
    untranslated = [
        m.id
        for m in cat
        if m.id and isinstance(m.id, str) and m.string == m.id and _WORD.search(_PLACEHOLDER.sub("", m.id))
    ]
    assert untranslated == []


def _calls_of_translation(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "_n")


def test_no_message_is_glued_from_translated_fragments():
    """`_(…) + _(…)`, `f"{_(…)} …"` or `"x" + _(…)`: word order differs
    between languages, so a sentence is one msgid with placeholders."""
    glued = []
    for path in sorted([*(ROOT / "commands").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            parts: list[ast.AST] = []
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                parts = [node.left, node.right]
            elif isinstance(node, ast.JoinedStr):
                parts = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
            if any(_calls_of_translation(p) for p in parts):
                glued.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert glued == []


def test_no_translation_hides_inside_an_f_string():
    """Babel's extractor cannot see into an f-string's replacement fields
    (on Python 3.11 an f-string is one token): a `_()` there never reaches
    the catalog, so its English shows in every language and the catalog
    tests above cannot notice."""
    hidden = []
    for layer in ("commands", "bot", "analytics", "storage"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.FormattedValue) and any(map(_calls_of_translation, ast.walk(node.value))):
                    hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert hidden == []


def test_plurals_follow_each_languages_rules():
    one, many = "{count} customer", "{count} customers"
    assert _n("en", one, many, 1, count="1") == "1 customer"
    assert _n("en", one, many, 0, count="0") == "0 customers"
    # Armenian and Persian take the singular for 0 and 1 (CLDR: i = 0,1).
    plural = i18n.translations("fa").plural  # type: ignore[attr-defined]
    assert [plural(n) for n in (0, 1, 2, 5)] == [0, 0, 1, 1]
    assert [i18n.translations("hy").plural(n) for n in (0, 1, 2)] == [0, 0, 1]  # type: ignore[attr-defined]


def test_placeholders_are_named_and_filled_after_translation():
    assert _("en", "Usage: {usage}", usage="`x`") == "Usage: `x`"
    assert _("hy", "Usage: {usage}", usage="`x`") == "Օգտագործում՝ `x`"
    # In Persian an embedded left-to-right run is isolated (FSI … PDI).
    assert _("fa", "Usage: {usage}", usage="`x`") == "شیوهٔ استفاده: \u2068`x`\u2069"
    assert _("fa", "{arrow} {value} pts", arrow="▲", value="۲٫۳") == "▲ ۲٫۳ واحد درصد"  # Persian digits: no isolate


def test_english_needs_no_catalog_and_no_babel():
    """The English path (every golden file) never imports Babel: `--help`
    and the default language stay as fast as before."""
    code = (
        "import sys; from commands import format as f; from commands.i18n import _; "
        "assert f.money(1234.5, 'USD', cents=True) == '$1,234.50'; assert _('en', 'Usage: {usage}', usage='u') == 'Usage: u'; "
        "assert 'babel' not in sys.modules, 'babel imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# Messages and errors made below commands, and which positional arguments are msgids.
_CARRIERS = {
    "PeriodError": (0,),
    "Problem": (0,),
    "SourceError": (0,),
    "Said": (0,),
    "FollowupError": (0,),
    "StoreError": (0,),
    "FieldError": (0, 1),
    "FileRejected": (1, 2),
    "Rejection": (2, 3),
    "_reject": (3, 4),
}


def _bypasses(arg: ast.AST, literal_ok: bool) -> bool:
    """A finished English sentence: an f-string or concatenation, or a plain
    literal where extraction does not look (anything but N_ and PeriodError)."""
    if isinstance(arg, ast.IfExp):
        return _bypasses(arg.body, literal_ok) or _bypasses(arg.orelse, literal_ok)
    if isinstance(arg, ast.JoinedStr | ast.BinOp):
        return True
    return isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not literal_ok


def test_errors_from_storage_and_analytics_go_through_the_catalog():
    """storage/ and analytics/ cannot translate, so their errors for people
    carry a msgid marked for extraction and the values apart; an English
    sentence built there could never be said in Persian. The same message
    types made above them (doctor's Saids, a FollowupError in commands)
    are held to it too."""
    bypassing = []
    for path in sorted(
        p for package in ("storage", "analytics", "commands", "bot") for p in (ROOT / package).rglob("*.py")
    ):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            for i in _CARRIERS.get(name or "", ()):
                if i < len(node.args) and _bypasses(node.args[i], literal_ok=name == "PeriodError"):
                    bypassing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bypassing == []
