"""Numbers, money and rates in each language's own marks (CLDR via Babel),
and English exactly as before."""

import pytest

from commands import format as fmt


@pytest.mark.parametrize(
    ("lang", "money", "cents", "pct", "count"),
    [
        ("en", "$1,234,568", "-$20.50", "12.3%", "12,345"),
        ("hy", "1\u00a0234\u00a0568 $", "-20,50 $", "12,3%", "12\u00a0345"),
        ("fa", "۱٬۲۳۴٬۵۶۸ دلار", "-۲۰٫۵۰ دلار", "۱۲٫۳٪", "۱۲٬۳۴۵"),
    ],
)
def test_marks_by_language(lang, money, cents, pct, count):
    assert fmt.money(1234567.5, "USD", lang=lang) == money
    assert fmt.money(-20.5, "USD", cents=True, lang=lang) == cents
    assert fmt.pct(12.345, lang=lang) == pct
    assert fmt.count(12345, lang) == count


def test_local_currencies_and_toman():
    assert fmt.money(1234567, "AMD", lang="hy") == "1\u00a0234\u00a0567 ֏"
    assert fmt.money(1234567, "AMD", cents=True, lang="hy") == "1\u00a0234\u00a0567 ֏"  # no minor units shown
    assert fmt.money(12345670, "IRR", lang="fa") == "۱۲٬۳۴۵٬۶۷۰ ریال"
    assert fmt.money(12345670, fmt.TOMAN, lang="fa") == "۱٬۲۳۴٬۵۶۷ تومان"  # a tenth of the rials
    assert fmt.money(12345670, "IRR") == "12,345,670 IRR"


def test_english_stays_as_it_was():
    assert fmt.money(2155.4, "USD") == "$2,155"
    assert fmt.money(600, "EUR", cents=True) == "€600.00"
    assert fmt.money(1000, "CHF") == "1,000 CHF"
    assert fmt.delta(80.0, 77.7) == "▲ 2.3 pts"
    assert fmt.delta(80.0, 80.0) == "▬ no change"
    assert fmt.pct(90.123) == "90.1%"


def test_deltas_and_digits_translate():
    assert fmt.delta(80.0, 77.7, lang="fa") == "▲ ۲٫۳ واحد درصد"
    assert fmt.delta(80.0, 77.7, lang="hy") == "▲ 2,3 տ.կ."
    assert fmt.digits("2026-03-21", "fa") == "۲۰۲۶-۰۳-۲۱"
    assert fmt.digits("2026-03-21", "hy") == "2026-03-21"
