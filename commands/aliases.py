"""Sub-commands and period keywords in Armenian and Persian: what a person
may type instead of the English word (`/retention ریزش`, `/retention
կորուստ`, `crr فصل-قبل`), and what `help` shows in their language."""

import re

# Per language: English sub-command -> the words that mean it.
COMMAND_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "fa": {
        "at-risk": ("در-معرض-ریزش", "کم‌پیدا"),
        "churn": ("ریزش",),
        "cohorts": ("گروه‌های-هم‌دوره", "هم‌دوره"),
        "config": ("تنظیمات",),
        "crr": ("نرخ-حفظ", "حفظ"),
        "customer": ("مشتری",),
        "digest": ("گزارش-روزانه", "گزارش"),
        "followups": ("پیگیری‌ها", "پیگیری"),
        "help": ("راهنما",),
        "kpis": ("شاخص‌ها",),
        "lang": ("زبان",),
        "nps": ("رضایت",),
        "rep": ("کارشناس",),
        "summary": ("خلاصه",),
        "top": ("برترین‌ها", "برترین"),
        "trend": ("روند",),
    },
    "hy": {
        "at-risk": ("ռիսկ", "լռող"),
        "churn": ("կորուստ",),
        "cohorts": ("կոհորտներ",),
        "config": ("կարգավորումներ",),
        "crr": ("պահպանում",),
        "customer": ("հաճախորդ",),
        "digest": ("ամփոփագիր",),
        "followups": ("հետադարձ-կապեր", "հետադարձ"),
        "help": ("օգնություն",),
        "kpis": ("ցուցանիշներ",),
        "lang": ("լեզու",),
        "nps": ("գոհունակություն",),
        "rep": ("մենեջեր",),
        "summary": ("ամփոփում",),
        "top": ("լավագույններ",),
        "trend": ("դինամիկա",),
    },
}

# Per language: English period keyword -> the words that mean it.
PERIOD_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "fa": {
        "this-week": ("این-هفته", "هفته-جاری"),
        "last-week": ("هفته-قبل", "هفته-گذشته"),
        "this-month": ("این-ماه", "ماه-جاری"),
        "last-month": ("ماه-قبل", "ماه-گذشته"),
        "this-quarter": ("این-فصل", "فصل-جاری"),
        "last-quarter": ("فصل-قبل", "فصل-گذشته"),
        "ytd": ("از-اول-سال", "امسال"),
        "since": ("از",),
    },
    "hy": {
        "this-week": ("այս-շաբաթ",),
        "last-week": ("նախորդ-շաբաթ", "անցյալ-շաբաթ"),
        "this-month": ("այս-ամիս",),
        "last-month": ("նախորդ-ամիս", "անցյալ-ամիս"),
        "this-quarter": ("այս-եռամսյակ",),
        "last-quarter": ("նախորդ-եռամսյակ", "անցյալ-եռամսյակ"),
        "ytd": ("տարեսկզբից",),
        "since": ("սկսած",),
    },
}

COMMAND_WORDS = {word: name for aliases in COMMAND_ALIASES.values() for name, ws in aliases.items() for word in ws}
PERIOD_WORDS = {word: key for aliases in PERIOD_ALIASES.values() for key, ws in aliases.items() for word in ws}
# `۳۰روز`, `12 օր`, `۴ هفته`, `4 շաբաթ`: day and week spans in words.
_SPAN = re.compile(r"^(\d+)\s*-?(روز|օր|هفته|շաբաթ)$")
_SPAN_UNIT = {"روز": "d", "օր": "d", "هفته": "w", "շաբաթ": "w"}


def period_words(words: list[str]) -> list[str]:
    """The period words with Armenian and Persian keywords and spans said in
    English (`فصل-قبل` → `last-quarter`, `۳۰ روز` → `30d`)."""
    joined = " ".join(words)
    m = _SPAN.match(joined.strip())
    if m:
        return [f"{int(m.group(1))}{_SPAN_UNIT[m.group(2)]}"]
    return [PERIOD_WORDS.get(w, w) for w in words]


def aliases_in(lang: str, name: str) -> tuple[str, ...]:
    return COMMAND_ALIASES.get(lang, {}).get(name, ())


def periods_in(lang: str) -> list[str]:
    return [words[0] for words in PERIOD_ALIASES.get(lang, {}).values()]
