"""A store that cannot be opened or fails in the middle of a command, said
in the reader's language: --language (or $RETENTION_LANGUAGE), else the
workspace's when the store could still tell it, else English — a store
that cannot be opened has no language to read. English stays as it was."""

import random
import sqlite3

from click.testing import CliRunner

from bot.cli import main
from commands.problems import told
from storage.db import explain_sqlite_error

PAGE = 4096
FSI, PDI = "\u2068", "\u2069"


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env={"RETENTION_LANGUAGE": None, **(env or {})})


def garbage(path, first: int, step: int, skip: int = 0) -> None:
    """Random bytes over every `step`-th page from `first` on (page 0 after
    its `skip`-byte header is the schema)."""
    rng = random.Random(str(path))
    pages = path.stat().st_size // PAGE
    with open(path, "r+b") as f:
        for page in range(first, pages if step else first + 1, step or 1):
            f.seek(page * PAGE + skip)
            f.write(rng.randbytes(PAGE - skip))


def test_a_missing_store_in_persian_and_armenian(tmp_path):
    store = tmp_path / "missing.db"
    fa = cli("--db", store, "--language", "fa", "status")
    assert fa.exit_code == 1
    assert fa.output == (
        f"خطا: {FSI}{FSI}{store}{PDI}: چنین انبارهٔ داده‌ای وجود ندارد. با {FSI}`retention-bot import orders FILE`{PDI} "
        f"یا {FSI}`retention-bot demo`{PDI} یکی بسازید، یا مسیر انبارهٔ موجود را با {FSI}--db{PDI} "
        f"(یا {FSI}$RETENTION_DB{PDI}) بدهید.{PDI}\n"
    )
    hy = cli("--db", store, "model", "fit", env={"RETENTION_LANGUAGE": "hy"})
    assert hy.exit_code == 1
    assert hy.output == (
        f"սխալ՝ {store}. այդպիսի պահոց չկա։ Ստեղծեք այն `retention-bot import orders FILE` կամ "
        "`retention-bot demo` հրամանով, կամ --db-ով (կամ $RETENTION_DB-ով) տվեք գոյություն ունեցող պահոցի ուղին։\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_folder_for_the_demo_in_persian(tmp_path):
    r = cli("--db", tmp_path, "--language", "fa", "demo")
    assert r.exit_code == 1
    assert r.output == (
        f"خطا: {FSI}{FSI}{tmp_path}{PDI}: یک پوشه است، نه فایل انبارهٔ داده. با {FSI}--db{PDI} مسیر یک فایل را بدهید، "
        f"مثلاً {FSI}--db {tmp_path / 'demo.db'}{PDI}{PDI}\n"
    )


def test_a_store_damaged_on_open_in_persian_else_english(cdnow_path):
    """The schema page is garbage: the store cannot be opened, so without
    --language it cannot say its own language — English."""
    garbage(cdnow_path, 0, 0, skip=100)
    fa = cli("--db", cdnow_path, "--language", "fa", "ask", "crr")
    assert fa.exit_code == 1
    assert fa.output.startswith(f"خطا: {FSI}{FSI}{cdnow_path}{PDI}: فایل انبارهٔ داده آسیب دیده است ({FSI}")
    assert fa.output.endswith(
        f"{PDI}). از آن استفاده نمی‌کنم؛ چیزی نوشته نشد. آن را از یک پشتیبان بازگردانید، یا آنچه را مانده است با "
        f"{FSI}`sqlite3 {cdnow_path} .recover`{PDI} نجات دهید.{PDI}\n"
    )
    hy = cli("--db", cdnow_path, "--language", "hy", "status")
    assert hy.output.startswith(f"սխալ՝ {cdnow_path}. պահոցի ֆայլը վնասված է (") and hy.output.endswith(
        f"։ Վերականգնեք այն պահուստային պատճենից կամ փրկեք մնացածը `sqlite3 {cdnow_path} .recover` հրամանով։\n"
    )
    en = cli("--db", cdnow_path, "ask", "crr")
    assert en.exit_code == 1 and en.output.startswith(f"error: {cdnow_path}: the database file is damaged (")


def test_damage_found_mid_command_is_said_in_the_workspace_language(cdnow_path, tmp_path):
    """The store opens and tells its language (Persian); the damage deeper
    in the data surfaces while the import reads it."""
    assert cli("--db", cdnow_path, "config", "language", "fa").exit_code == 0
    garbage(cdnow_path, cdnow_path.stat().st_size // PAGE // 3, 3)
    orders = tmp_path / "orders.csv"
    orders.write_text("id,customer_id,ordered_at,amount\no1,c1,2026-01-02,10.00\n")
    r = cli("--db", cdnow_path, "import", "orders", orders)
    assert r.exit_code == 1 and not isinstance(r.exception, sqlite3.Error)
    assert r.output.startswith(f"خطا: {FSI}{FSI}{cdnow_path}{PDI}: فایل انبارهٔ داده آسیب دیده است (")


def test_a_foreign_file_in_armenian(tmp_path):
    store = tmp_path / "notes.txt"
    store.write_text("Dear diary, today I passed the wrong file to --db.\n")
    r = cli("--db", store, "--language", "hy", "score")
    assert r.exit_code == 1
    assert r.output == (
        f"սխալ՝ {store}. SQLite տվյալների բազա չէ (--db-ը ճի՞շտ ֆայլի է ցույց տալիս), կամ դրա առաջին էջը "
        "վնասված է։ Չեմ դիպչի դրան։\n"
    )


def test_a_backup_that_would_overwrite_in_persian(cdnow_path, tmp_path):
    target = tmp_path / "copy.db"
    target.write_text("mine")
    r = cli("--db", cdnow_path, "--language", "fa", "backup", target)
    assert r.exit_code == 1
    assert r.output == (
        f"خطا: {FSI}{FSI}{target}{PDI}: از قبل وجود دارد؛ آن را بازنویسی نمی‌کنم. نام فایل تازه‌ای انتخاب کنید.{PDI}\n"
    )
    assert target.read_text() == "mine"


def test_a_busy_store_in_persian_and_armenian(tmp_path):
    """A real SQLITE_BUSY: one connection holds the write lock, another
    may not wait for it."""
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        try:
            other.execute("INSERT INTO t VALUES (1)")
            raise AssertionError("the write lock was not held")
        except sqlite3.OperationalError as e:
            error = explain_sqlite_error(e, path)
    finally:
        holder.close()
        other.close()
    assert error is not None
    assert str(error).startswith(f"{path}: the store is busy: another process (an import, a score or the running bot)")
    assert told("fa", error) == (
        f"{FSI}{path}{PDI}: انبارهٔ داده مشغول است: فرایندی دیگر (ورود داده، امتیازدهی یا ربات در حال اجرا) بیش از "
        "۱۰ ثانیه آن را قفل نگه داشت. تغییرِ در حال انجام برگردانده شد؛ وقتی کار آن فرایند تمام شد دوباره امتحان کنید."
    )
    assert told("hy", error) == (
        f"{path}. պահոցը զբաղված է. մեկ այլ գործընթաց (ներմուծում, գնահատում կամ աշխատող բոտը) այն կողպված է պահել "
        "ավելի քան 10 վ։ Ընթացիկ փոփոխությունը հետ է շրջվել. կրկին փորձեք, երբ մյուսն ավարտի։"
    )


def test_doctor_says_a_missing_store_in_armenian(tmp_path):
    store = tmp_path / "missing.db"
    r = cli("--db", store, "--language", "hy", "doctor", env={"SLACK_BOT_TOKEN": None})
    assert r.exit_code == 1
    lines = r.output.splitlines()
    at = lines.index(
        f"✗ պահոց: {store}. այդպիսի պահոց չկա։ Ստեղծեք այն `retention-bot import orders FILE` կամ "
        "`retention-bot demo` հրամանով, կամ --db-ով (կամ $RETENTION_DB-ով) տվեք գոյություն ունեցող պահոցի ուղին։"
    )
    assert lines[at + 1] == "    ուղղում՝ նշեք ձեր պահոցը --db-ով (կամ սահմանեք RETENTION_DB)"
    assert list(tmp_path.iterdir()) == []


def test_the_demo_refuses_a_real_store_in_armenian_and_persian(cdnow_path):
    hy = cli("--db", cdnow_path, "demo", "--language", "hy")
    assert hy.exit_code == 1
    assert hy.output == (
        f"սխալ՝ {cdnow_path}-ը դեմո պահոց չէ. այն պարունակում է 2\u00a0357 հաճախորդ, 6\u00a0919 պատվեր և 1 ներմուծում։ "
        "Չեմ դիպչի դրան։ Գործարկեք դեմոն առանձին ֆայլի վրա՝ retention-bot --db demo.db demo\n"
    )
    fa = cli("--db", cdnow_path, "--language", "fa", "demo")
    assert fa.exit_code == 1
    assert fa.output.startswith(f"خطا: {FSI}{FSI}{cdnow_path}{PDI} انبارهٔ نمایشی نیست: ۲٬۳۵۷ مشتری،")
    assert "۶٬۹۱۹ سفارش، و ۱ ورود داده در آن هست. به آن دست نمی‌زنم." in fa.output
