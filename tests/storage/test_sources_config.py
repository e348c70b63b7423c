"""The sources file: every mistake named by file, line and key, with the fix;
secrets only through the environment variables it names."""

import pytest

from storage.sources import SourceError
from storage.sources.config import load_sources

GOOD = """\
# our shop
[sources.shop_db]
kind = "sql"
url_env = "SHOP_DB_URL"
orders = "SELECT id, customer_id, ordered_at, amount, updated_at FROM orders"
cursor = "updated_at"
skip_invalid = true

[sync]
sync_time = "05:30"
sync_every = "1h"
stale_after = "2d"
"""


def load_text(tmp_path, text: str):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return load_sources(path), path


def error_of(tmp_path, text: str) -> str:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(SourceError) as e:
        load_sources(path)
    return str(e.value)


def test_a_good_file(tmp_path):
    sources, path = load_text(tmp_path, GOOD)
    (shop,) = sources.sources
    assert (shop.name, shop.kind, shop.skip_invalid, shop.batch_size) == ("shop_db", "sql", True, 20000)
    assert shop.options["url_env"] == "SHOP_DB_URL"
    assert shop.where == f"{path}:2"
    assert (sources.sync.sync_time, sources.sync.sync_every, sources.sync.stale_after_hours) == ("05:30", "1h", 48.0)


def test_the_default_file_may_be_missing_an_asked_for_one_not(tmp_path):
    assert load_sources(tmp_path / "sources.toml", explicit=False).sources == []
    with pytest.raises(SourceError, match="no such sources file; pass --sources"):
        load_sources(tmp_path / "sources.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace('cursor = "updated_at"', "cursor = updated_at"), ":6:10: invalid TOML: Invalid value"),
        (GOOD.replace('cursor = "updated_at"', 'curser = "updated_at"'), ":6: [sources.shop_db] unknown key 'curser'"),
        (GOOD.replace('kind = "sql"', 'kind = "oracle"'), ":3: [sources.shop_db] kind 'oracle' is unknown"),
        (GOOD.replace('kind = "sql"\n', ""), ":2: [sources.shop_db] has no kind"),
        (GOOD.replace('cursor = "updated_at"\n', ""), ":2: [sources.shop_db] (kind sql) is missing cursor"),
        (GOOD.replace("skip_invalid = true", 'skip_invalid = "yes"'), ":7: [sources.shop_db] skip_invalid must be"),
        (GOOD.replace('"05:30"', '"5:30pm"'), ':10: [sync] sync_time must be a time of day like "06:00"'),
        (GOOD.replace('"1h"', '"often"'), ":11: [sync] sync_every must be 15m to 24h"),
        (GOOD + "\n[extra]\nx = 1\n", ":14: unknown top-level key 'extra'"),
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path, text, expected):
    message = error_of(tmp_path, text)
    assert f"{tmp_path / 'sources.toml'}{expected}" in message


def test_a_secret_in_the_file_is_refused_without_being_repeated(tmp_path):
    secret = "postgresql://shop:hunter2@db.internal/shop"
    message = error_of(tmp_path, GOOD.replace('url_env = "SHOP_DB_URL"', f'url = "{secret}"'))
    assert ":4: [sources.shop_db] unknown key 'url'" in message
    assert 'url_env = "SHOP_DB_URL' in message and "environment variable" in message
    message = error_of(tmp_path, GOOD.replace('url_env = "SHOP_DB_URL"', f'url_env = "{secret}"'))
    assert ":4: [sources.shop_db] url_env must name an environment variable" in message
    assert "hunter2" not in message


def test_a_missing_environment_variable_is_named(tmp_path):
    sources, path = load_text(tmp_path, GOOD)
    with pytest.raises(SourceError) as e:
        sources.sources[0].secret("url_env", {})
    assert str(e.value).startswith(f"source shop_db: environment variable SHOP_DB_URL (url_env in {path}:2) is not set")
