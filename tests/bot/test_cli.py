"""The CLI as a user runs it: real processes and click's runner, real stores."""

import json
import subprocess
import sys

from click.testing import CliRunner
from persiantools.jdatetime import JalaliDate

from bot.cli import main
from bot.clock import utc_now
from tests.support.stores import CDNOW, DATA


def _run(*args, input=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=input, capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_demo_without_input_prints_summary_and_exits_0(tmp_path):
    r = _run("demo", input="", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Retention at a glance" in r.stdout
    assert "2,000" in r.stdout
    assert (tmp_path / "retention-demo.db").exists()
    assert "retention-demo.db" in r.stderr
    again = _run("demo", input="help\n", cwd=tmp_path)
    assert again.returncode == 0
    assert "(reused)" in again.stderr and "What I can answer" in again.stdout


def test_demo_never_overwrites_a_real_store(cdnow_path):
    r = _run("--db", str(cdnow_path), "demo", input="")
    assert r.returncode == 1
    assert "is not a demo store: it holds 2,357 customers, 6,919 orders, 1 imports. Refusing to touch it" in r.stderr


def test_import_then_ask_json(db_path):
    runner = CliRunner()
    r = runner.invoke(main, ["--db", str(db_path), "import", "orders", str(CDNOW)])
    assert r.exit_code == 0, r.output
    assert "6919 added" in r.output
    r = runner.invoke(main, ["--db", str(db_path), "--as-of", "1998-06-30", "ask", "/retention", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data == {
        "customers": 2357,
        "active_customers": 299,
        "orders": 6919,
        "revenue": 244091.94,
        "repeat_purchase_rate": data["repeat_purchase_rate"],
        "first_order": "1997-01-01",
        "last_order": "1998-06-30",
    }
    assert abs(data["repeat_purchase_rate"] - 1152 / 2357 * 100) < 1e-9
    r = runner.invoke(main, ["--db", str(db_path), "import", "orders", str(CDNOW)])
    assert "0 added, 0 updated, 6919 unchanged" in r.output


def test_as_of_counts_only_orders_up_to_that_day(cdnow_path):
    r = CliRunner().invoke(main, ["--db", str(cdnow_path), "--as-of", "1997-06-30", "ask", "--json"])
    data = json.loads(r.output)
    expected_orders = sum(1 for line in CDNOW.read_text().splitlines() if line.split()[2] <= "19970630")
    assert data["orders"] == expected_orders == 4204
    assert data["last_order"] == "1997-06-30"
    assert data["customers"] == len(
        {line.split()[1] for line in CDNOW.read_text().splitlines() if line.split()[2] <= "19970630"}
    )


def test_import_exit_codes(db_path, tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,ordered_at,amount\nc1,2026-13-01,5\n")
    r = runner.invoke(main, ["--db", str(db_path), "import", "orders", str(bad)])
    assert r.exit_code == 1
    assert f"{bad}:2: ordered_at:" in r.output
    assert "nothing was imported" in r.output
    r = runner.invoke(main, ["--db", str(db_path), "import", "widgets", str(bad)])
    assert r.exit_code == 2
    r = runner.invoke(main, ["--db", str(db_path), "import", "orders", str(DATA / "stripe_payments.csv"), "--dry-run"])
    assert r.exit_code == 0 and "would import" in r.output
    r = runner.invoke(main, ["--db", str(db_path), "ask", "--json"])
    assert json.loads(r.output)["orders"] == 0


def test_console_reads_stdin_until_end(cdnow_path):
    r = _run(
        "--db",
        str(cdnow_path),
        "--as-of",
        "1998-06-30",
        "console",
        input="# a comment\n/retention\nhelp\nnonsense-word\n",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("Retention at a glance") == 1
    assert "What I can answer" in r.stdout
    assert "I don't know nonsense-word" in r.stdout


def test_demo_in_persian_speaks_persian_in_the_persian_calendar(tmp_path):
    """The demo runs on the wall clock (a real process), so the years it
    shows are this year's: the Persian one in Persian digits, the Gregorian
    one in Armenian."""
    today = utc_now().date()
    persian_year = str(JalaliDate(today).year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    r = _run("demo", "--language", "fa", "--customers", "300", input="crr\nراهنما\ntrend 3\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "در حال ساختن انبارهٔ نمایشی (۳۰۰ مشتری، سفارش‌های دو سال)" in r.stderr and "Building" not in r.stderr
    assert "نمودار ذخیره شد:" in r.stdout and "chart saved" not in r.stdout
    assert "نرخ حفظ مشتری" in r.stdout and persian_year in r.stdout  # Persian words, digits and years
    assert "به چه پرسش‌هایی پاسخ می‌دهم" in r.stdout
    asked = _run("--db", "retention-demo.db", "ask", "trend 3", cwd=tmp_path)  # the store's language, a chart too
    assert asked.returncode == 0 and "نمودار ذخیره شد:" in asked.stdout and "chart saved" not in asked.stdout
    hy = _run("demo", "--language", "hy", "--customers", "300", input="crr\n", cwd=tmp_path)
    assert hy.returncode == 0, hy.stderr
    assert "հաճախորդների պահպանման գործակից" in hy.stdout and str(today.year) in hy.stdout


def test_the_cli_speaks_the_workspace_language(db_path, tmp_path):
    """An admin whose workspace speaks Persian reads the import's FILE:LINE
    errors and summary in Persian — the path and line as they are, isolated
    left-to-right so the sentence around them does not reorder them — and
    --language (or $RETENTION_LANGUAGE) overrides the store's language."""
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db_path), "config", "language", "fa"]).exit_code == 0
    bad = tmp_path / "سفارش‌ها.csv"  # a Persian file name stays as it is too
    bad.write_text("customer_id,ordered_at,amount\nc1,2026-03-21,abc\nc2,2026-03-22,5\n")
    r = runner.invoke(main, ["--db", str(db_path), "import", "orders", str(bad)])
    assert r.exit_code == 1
    lines = r.output.splitlines()
    F, P = "\u2068", "\u2069"  # a first-strong isolate around each left-to-right run (nested ones too)
    assert (
        f"{F}{bad}:2{P}: {F}amount{P}: {F}{F}'abc'{P} عدد نیست{P} ({F}مبلغ‌ها را مثل {F}1234.50{P} بنویسید{P})" in lines
    )
    assert f"رد شد: {F}{bad}{P}: هیچ چیز وارد نشد." in lines
    assert f"۱ سطر نامعتبر. آن را درست کنید، یا با {F}--skip-invalid{P} بقیه را وارد کنید." in lines
    good = tmp_path / "good.csv"
    good.write_text("customer_id,ordered_at,amount\nc1,2026-03-21,12\nc2,2026-03-22,5\n")
    r = runner.invoke(main, ["--db", str(db_path), "import", "orders", str(good)])
    assert r.exit_code == 0
    summary = f"{F}{F}{good}{P}: سفارش‌ها وارد شد: ۲ افزوده، ۰ به‌روز، ۰ بدون تغییر، ۰ ردشده{P} (۲ مشتری جدید)"
    assert r.output.splitlines()[0] == summary
    assert r.output.splitlines()[1].startswith("داده‌های سفارش برای پاسخ‌ها ذخیره شد (۲ سفارش، ")  # the saved frame
    r = runner.invoke(main, ["--db", str(db_path), "--language", "hy", "import", "orders", str(bad)])
    assert f"{bad}:2. amount. 'abc'-ն թիվ չէ (գումարները գրեք այսպես՝ 1234.50)" in r.output.splitlines()
    r = runner.invoke(main, ["--db", str(db_path), "import", "orders", str(bad)], env={"RETENTION_LANGUAGE": "en"})
    assert f"{bad}:2: amount: 'abc' is not a number (write amounts like 1234.50)" in r.output.splitlines()


def test_score_backup_and_settings_errors_in_persian(db_path, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db_path), "config", "language", "fa"]).exit_code == 0
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,ordered_at,amount\nc1,2026-03-21,12\nc2,2026-03-22,5\nc1,2026-05-01,7\n")
    assert runner.invoke(main, ["--db", str(db_path), "import", "orders", str(orders)]).exit_code == 0
    r = runner.invoke(main, ["--db", str(db_path), "--as-of", "2026-06-01", "score", "--dry-run"])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].startswith("امتیاز ۲ مشتری تا تاریخ ۱۴۰۵/۰۳/۱۱ در ") and lines[0].endswith(" ثانیه محاسبه می‌شد.")
    assert lines[1].startswith("مدل: ") and "rules" not in lines[1] and "repeat" not in lines[1]
    assert lines[2:] == [
        "۰ مشتری پرارزش، ۰ کم‌پیدا (۰ تازه)؛ ۰ پیگیری باز می‌شد، ۰ مشتری بازگردانده می‌شد.",
        "اجرای آزمایشی: هیچ چیز نوشته نشد.",
    ]
    copy = tmp_path / "copy.db"
    r = runner.invoke(main, ["--db", str(db_path), "backup", str(copy)])
    assert r.exit_code == 0 and f"از \u2068{db_path}\u2069 در \u2068{copy}\u2069 پشتیبان گرفته شد (" in r.output
    r = runner.invoke(main, ["--db", str(db_path), "config", "timezone", "Mars/Base", "--json"])
    assert (
        r.exit_code == 2
        and json.loads(r.output)["error"] == "unknown time zone 'Mars/Base' (use an IANA name like America/New_York)"
    )
    r = runner.invoke(main, ["--db", str(db_path), "config", "timezone", "Mars/Base"])
    assert "منطقهٔ زمانی ناشناخته" in r.output and "بنویسید" in r.output


def test_doctor_speaks_the_workspace_language(db_path, tmp_path):
    """An admin whose workspace speaks Persian reads each of doctor's checks,
    its fix and the verdict in Persian: nothing Latin is left but what they
    type or find as it is — the variables, the store's path, a URL, and the
    labels of Slack's app pages (api.slack.com/apps speaks English only)."""
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db_path), "config", "language", "fa"]).exit_code == 0
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,ordered_at,amount\nc1,2026-03-21,12\nc2,2026-03-22,5\n")
    assert runner.invoke(main, ["--db", str(db_path), "import", "orders", str(orders)]).exit_code == 0
    unset = {name: None for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")}
    r = runner.invoke(main, ["--db", str(db_path), "doctor"], env={**unset, "RETENTION_LANGUAGE": None})
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert lines[0] == "✗ SLACK_BOT_TOKEN: تنظیم نشده یا نادرست"
    assert lines[1].startswith("    راه رفع: ") and "تنظیم نشده است" in lines[1]
    assert lines[2] == "✗ SLACK_SIGNING_SECRET: تنظیم نشده (برای حالت HTTP لازم است)"
    assert lines[4:] == [f"✓ انباره: \u2068{db_path}\u2069: ۲ مشتری", "۲ مشکل برای رفع."]
    kept = [str(db_path), "https://api.slack.com/apps", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"]
    kept += ["OAuth & Permissions", "Bot User OAuth Token", "Basic Information", "App Credentials", "Signing Secret"]
    kept += ["Socket Mode", "HTTP"]  # the names Slack gives its two ways of connecting
    text = r.output
    for name in kept:
        text = text.replace(name, "")
    assert not [word for word in text.split() if any("a" <= c.lower() <= "z" for c in word)]
    r = runner.invoke(main, ["--db", str(db_path), "--language", "en", "doctor"], env=unset)
    assert r.output.splitlines()[4:] == [f"✓ store: {db_path}: 2 customers", "2 problem(s) to fix."]
