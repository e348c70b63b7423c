"""The operator's view of live sources: `sync`, `status` and `doctor` from
the command line, on a real SQLite shop database."""

import json
from datetime import UTC, datetime

from click.testing import CliRunner

from bot.cli import main
from storage.db import open_db
from storage.sources.state import record_sync
from tests.support.sources import sources_file, sqlite_shop

NOW = datetime(2026, 11, 24, 7, 12, tzinfo=UTC)
ROWS = [(i, f"c{i % 3}", "2026-10-01", 10.0 * i, "USD", "paid", f"2026-11-01T00:00:{i:02d}") for i in range(1, 6)]


def invoke(args, env):
    return CliRunner().invoke(main, args, env=env, obj=lambda: NOW)


def test_status_lists_each_source_and_doctor_checks_it(tmp_path):
    sqlite_shop(tmp_path / "shop.db", ROWS).close()
    env = {"SHOP_DB_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
    sources = sources_file(tmp_path / "sources.toml")
    base = ["--db", str(tmp_path / "store.db"), "--sources", str(sources)]
    synced = invoke([*base, "sync"], env).output.splitlines()
    assert synced[0] == "shop_db: synced 5 added, 0 updated (3 new customers)"
    assert synced[1].startswith("Order data for answers saved (5 orders, ")  # the next answer maps it
    status = json.loads(invoke([*base, "status", "--json"], env).output)
    (src,) = status["sources"]
    assert src == {
        "name": "shop_db",
        "kind": "sql",
        "configured": True,
        "last_sync": "2026-11-24T07:12:00Z",
        "last_attempt": "2026-11-24T07:12:00Z",
        "added": 5,
        "updated": 0,
        "cursor": '{"orders": {"at": {"value": "2026-11-01T00:00:05"}, "id": {"value": 5}}}',
        "last_error": None,
        "failing_since": None,
    }
    text = invoke([*base, "status"], env).output
    assert "Source shop_db (sql): last sync 2026-11-24T07:12:00Z, 5 added, 0 updated" in text

    doctor = invoke([*base, "doctor"], env).output
    assert (
        "✓ source shop_db (sql): connected; orders: id, customer_id, ordered_at, amount, currency, status, updated_at"
        in doctor
    )
    missing = invoke([*base, "doctor"], {}).output
    assert "✗ source shop_db (sql): source shop_db: environment variable SHOP_DB_URL" in missing

    failed = invoke([*base, "sync"], {})
    assert failed.exit_code == 1
    status = json.loads(invoke([*base, "status", "--json"], env).output)
    assert status["sources"][0]["failing_since"] == "2026-11-24T07:12:00Z"
    assert "SHOP_DB_URL" in status["sources"][0]["last_error"]
    assert status["sources"][0]["last_sync"] == "2026-11-24T07:12:00Z"  # the data is still as of the last success
    assert (status["sources"][0]["added"], status["sources"][0]["updated"]) == (5, 0)  # and so are its counts
    assert "last sync 2026-11-24T07:12:00Z, 5 added, 0 updated; cursor " in invoke([*base, "status"], env).output
    fa = invoke(["--language", "fa", *base, "status"], env).output.splitlines()[-1]
    assert fa.startswith("منبع \u2068shop_db (sql)\u2069: آخرین همگام‌سازی ۲۰۲۶-۱۱-۲۴ ۰۷:۱۲، ۵ ")
    # the stored failure said in the reader's language, from its message and values (schema m012)
    assert "؛ از ۲۰۲۶-۱۱-۲۴ ۰۷:۱۲ ناموفق است، با این خطا: \u2068منبع \u2068shop_db\u2069: متغیر محیطی" in fa
    assert fa.endswith("تنظیم نشده است؛ پیش از اجرا آن را برابر نشانی اتصال به پایگاه داده قرار دهید\u2069")
    hy = invoke(["--language", "hy", *base, "status"], env).output.splitlines()[-1]
    assert hy.endswith(
        "․ ձախողվում է սկսած 2026-11-24 07:12՝ աղբյուր shop_db. SHOP_DB_URL միջավայրի փոփոխականը (url_env՝ "
        f"{sources}:1) սահմանված չէ. գործարկելուց առաջ դրա մեջ դրեք տվյալների բազայի միացման հասցեն"
    )
    assert "English" not in fa + hy


def test_a_failure_stored_before_its_message_was_kept_is_quoted_in_english(tmp_path):
    """A store whose source failed before schema m012 has only the English:
    other languages quote it, labelled so, until the next sync."""
    db = open_db(tmp_path / "store.db")
    record_sync(db, "shop_db", "sql", NOW, added=0, updated=0, error="source shop_db: connection refused")
    db.close()
    base = ["--db", str(tmp_path / "store.db"), "--sources", str(tmp_path / "none.toml")]
    fa = invoke(["--language", "fa", *base, "status"], {}).output.splitlines()[-1]
    assert fa == (
        "منبع \u2068\u2068shop_db (sql)\u2069 (دیگر تعیین‌شده نیست)\u2069: هرگز همگام‌سازی نشده است؛ از ۲۰۲۶-۱۱-۲۴ ۰۷:۱۲ ناموفق "
        "است، با این خطا: \u2068\u2068source shop_db: connection refused\u2069 (به انگلیسی، همان‌گونه که ثبت شده است)\u2069"
    )
    hy = invoke(["--language", "hy", *base, "status"], {}).output.splitlines()[-1]
    assert hy.endswith("2026-11-24 07:12՝ source shop_db: connection refused (անգլերենով, ինչպես պահված է)")
    en = invoke([*base, "status"], {}).output.splitlines()[-1]
    assert en.endswith("failing since 2026-11-24T07:12:00Z: source shop_db: connection refused")


def test_a_bad_sources_file_stops_with_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.toml"
    path.write_text('[sources.shop]\nkind = "sql"\nurl = "postgresql://u:secret@h/db"\n')
    r = invoke(["--db", str(tmp_path / "s.db"), "--sources", str(path), "sync"], {})
    assert r.exit_code == 1
    assert f"error: {path}:3: [sources.shop] unknown key 'url'" in r.output
    assert "secret" not in r.output.replace("secrets never", "")
    invoke(["--db", str(tmp_path / "s.db"), "config", "timezone", "UTC"], {})
    r = invoke(["--db", str(tmp_path / "s.db"), "--sources", str(path), "status"], {})
    assert r.exit_code == 0 and f"warning: {path}:3:" in r.output and "Schema:" in r.output
    r = invoke(["--db", str(tmp_path / "s.db"), "--sources", str(tmp_path / "none.toml"), "sync"], {})
    assert "no such sources file" in r.output
    r = invoke(["--db", str(tmp_path / "s.db"), "sync"], {})
    assert "no sources declared in sources.toml" in r.output


def test_sync_reports_in_the_workspace_language(tmp_path):
    """A Persian workspace reads its sync reports in Persian (digits too): the
    dry run, what was synced, no changes, a bad row and the batch it stopped,
    and a source that cannot be opened; --language overrides it, and English
    stays the report's own text."""
    rows = [*ROWS, (6, "c1", "2026-10-01", "oops", "USD", "paid", "2026-11-01T00:00:06")]
    sqlite_shop(tmp_path / "shop.db", ROWS).close()
    sqlite_shop(tmp_path / "bad.db", rows).close()
    env = {"SHOP_DB_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
    sources = sources_file(tmp_path / "sources.toml")
    base = ["--db", str(tmp_path / "store.db"), "--sources", str(sources)]
    assert invoke(["--db", str(tmp_path / "store.db"), "config", "language", "fa"], env).exit_code == 0

    dry = invoke([*base, "sync", "--dry-run"], env).output
    assert "همگام‌سازی می‌شد: ۵ افزوده، ۰ به‌روز" in dry and "(۳ مشتری جدید)" in dry
    assert "اجرای آزمایشی: هیچ چیز نوشته نشد." in dry
    assert "همگام‌سازی شد: ۵ افزوده، ۰ به‌روز" in invoke([*base, "sync"], env).output
    assert invoke([*base, "sync"], env).output == "\u2068shop_db\u2069: بدون تغییر\n"
    failed = invoke([*base, "sync"], {})
    assert failed.exit_code == 1 and "\u2068shop_db\u2069: ناموفق: " in failed.output
    assert "متغیر محیطی \u2068SHOP_DB_URL\u2069" in failed.output and "environment" not in failed.output
    assert invoke([*base, "--language", "hy", "sync"], env).output == "shop_db. փոփոխություն չկա\n"
    assert invoke([*base, "--language", "en", "sync"], env).output == "shop_db: no changes\n"

    bad = invoke([*base, "sync", "--full"], {"SHOP_DB_URL": f"sqlite:///{tmp_path / 'bad.db'}"})
    assert bad.exit_code == 1
    assert "۱ سطر نامعتبر در دسته‌ای از ۶ سطر؛ هیچ چیز از آن دسته ذخیره نشد." in bad.output
    assert "منبع \u2068shop_db\u2069، سطر با شناسهٔ \u20686\u2069" in bad.output and "row id" not in bad.output


def test_a_bad_sources_file_in_the_workspace_language(tmp_path):
    """A Persian workspace reads what is wrong with its sources file in
    Persian — the file and line, the key and the TOML to write isolated
    left to right — as `sync` and `status` say it; Armenian too; English
    stays byte for byte."""
    db = ["--db", str(tmp_path / "store.db")]
    assert invoke([*db, "config", "language", "fa"], {}).exit_code == 0
    path = tmp_path / "sources.toml"
    path.write_text('[sources.shop]\nkind = "sql"\nurl = "postgresql://u:secret@h/db"\n')
    F, L, P = "\u2068", "\u2066", "\u2069"
    r = invoke([*db, "--sources", str(path), "sync"], {})
    assert r.exit_code == 1
    assert r.output == (
        f"خطا: {F}{F}{path}:3{P}: کلید ناشناخته {F}'url'{P} در {L}[sources.{F}shop{P}]{P} (رمزها هرگز در این فایل "
        "نوشته نمی‌شوند: آن را در یک متغیر محیطی بگذارید و نام آن متغیر را بنویسید: "
        f'{F}url_env = "SHOP_URL"{P}){P}\n'
    )
    r = invoke([*db, "--sources", str(path), "status"], {})
    assert r.exit_code == 0 and f"{F}{path}:3{P}: کلید ناشناخته" in r.output
    r = invoke([*db, "--language", "hy", "--sources", str(path), "sync"], {})
    assert f"{path}:3. [sources.shop]. անհայտ բանալի 'url' (գաղտնիքները ֆայլում երբեք չեն գրվում." in r.output
    assert "secret" not in r.output
    path.write_text(
        '[sources.shop]\nkind = "sql"\nurl_env = "SHOP_DB_URL"\norders = "SELECT 1"\ncursor = "at"\n\n'
        '[sync]\nsync_time = "6am"\n'
    )
    r = invoke([*db, "--sources", str(path), "sync"], {})
    assert (
        f'{F}{path}:8{P}: در {L}[sync]{P} مقدار {L}sync_time{P} باید ساعتی از روز باشد، مانند {L}"06:00"{P}' in r.output
    )
    r = invoke([*db, "--language", "en", "--sources", str(path), "sync"], {})
    assert r.output == f'error: {path}:8: [sync] sync_time must be a time of day like "06:00" (quoted)\n'
    assert invoke([*db, "--sources", str(tmp_path / "none.toml"), "sync"], {}).output == (
        f"خطا: {F}{F}{tmp_path / 'none.toml'}{P}: چنین فایل منابعی وجود ندارد؛ مسیر فایل منابع را با {L}--sources{P} "
        f"(یا {L}$RETENTION_SOURCES{P}) بدهید، یا آن را بنویسید (نگاه کنید به {L}docs/design.md{P}، بخش "
        f"{L}Live sources{P}){P}\n"
    )


def test_no_source_by_that_name_in_the_workspace_language(tmp_path):
    db = ["--db", str(tmp_path / "store.db")]
    assert invoke([*db, "config", "language", "hy"], {}).exit_code == 0
    sources = sources_file(tmp_path / "sources.toml")
    r = invoke([*db, "--sources", str(sources), "sync", "shop"], {})
    assert r.exit_code == 2 and f"{sources}. 'shop' անունով աղբյուր չկա (աղբյուրները՝ shop_db)" in r.output
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing yet\n")
    r = invoke([*db, "--sources", str(empty), "sync"], {})
    assert r.output.startswith(f"սխալ՝ {empty}-ում աղբյուրներ հայտարարված չեն։ Հայտարարեք մեկը որպես [sources.NAME]")
    r = invoke([*db, "--language", "fa", "--sources", str(empty), "sync"], {})
    assert f"هیچ منبعی در \u2068{empty}\u2069 تعریف نشده است." in r.output


def test_doctor_checks_the_sources_in_the_workspace_language(tmp_path):
    """doctor's sources checks in Persian and Armenian: a source that
    connects (its columns as they are, isolated), one whose variable is
    unset, a bad sources file with its line, and each fix."""
    F, P = "\u2068", "\u2069"
    sqlite_shop(tmp_path / "shop.db", ROWS).close()
    env = {"SHOP_DB_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
    sources = sources_file(tmp_path / "sources.toml")
    base = ["--db", str(tmp_path / "store.db"), "--sources", str(sources)]
    assert invoke([*base, "config", "language", "fa"], env).exit_code == 0
    columns = "id, customer_id, ordered_at, amount, currency, status, updated_at"
    lines = invoke([*base, "doctor"], env).output.splitlines()
    assert f"✓ منبع {F}shop_db{P} ({F}sql{P}): وصل شد؛ سفارش‌ها: {F}{columns}{P}" in lines
    lines = invoke([*base, "doctor"], {}).output.splitlines()
    at = lines.index(
        f"✗ منبع {F}shop_db{P} ({F}sql{P}): منبع {F}shop_db{P}: متغیر محیطی {F}SHOP_DB_URL{P} "
        f"({F}url_env{P} در {F}{sources}:1{P}) تنظیم نشده است؛ پیش از اجرا آن را برابر نشانی اتصال به پایگاه داده قرار دهید"
    )
    assert lines[at + 1] == f"    راه رفع: {F}سپس آن را بررسی کنید: {F}retention-bot sync shop_db --dry-run{P}{P}"
    sources.write_text(sources.read_text() + "batch_size = 0\n")
    lines = invoke([*base, "--language", "hy", "doctor"], env).output.splitlines()
    at = lines.index(
        f"✗ աղբյուրների ֆայլ: {sources}:6. [sources.shop_db]. batch_size-ը պետք է լինի ամբողջ թիվ՝ 1-ից 1000000"
    )
    assert lines[at + 1] == "    ուղղում՝ ուղղեք նշված տողը, ապա նորից գործարկեք doctor-ը"
    lines = invoke([*base, "--language", "en", "doctor"], env).output.splitlines()
    assert f"✗ sources file: {sources}:6: [sources.shop_db] batch_size must be a whole number, 1 to 1000000" in lines
