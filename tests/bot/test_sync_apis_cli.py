"""`retention-bot sync` as the operator runs it: a process reading a
sources file with a Stripe and a Shopify source (fakes on 127.0.0.1), the
keys in environment variables (the four CLI processes in the slow suite:
the same flows run in-process in tests/storage/test_source_*.py); doctor's
probe of both."""

import os
from datetime import UTC, datetime

import pytest

from bot.doctor import check_sources
from tests.support.procs import run_cli
from tests.support.shopify_fake import TOKEN, FakeShopify
from tests.support.stripe_fake import API_KEY, FakeStripe

T0 = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
T1 = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.mark.slow
def test_sync_of_a_stripe_and_a_shopify_source(tmp_path):
    db = tmp_path / "store.db"
    with FakeStripe() as stripe_fake, FakeShopify(now=datetime(2026, 11, 24, tzinfo=UTC), polls_until_done=1) as shop:
        charges = [stripe_fake.add_charge(amount=2500, created=T0 + i, email=f"p{i}@example.com") for i in range(3)]
        shop.add_order(total="30.00", email="ann@example.com", created="2026-11-01T10:00:00Z")
        shop.add_order(total="45.00", email="bo@example.com", created="2026-11-02T10:00:00Z")
        sources = tmp_path / "sources.toml"
        sources.write_text(
            "[sources.billing]\n"
            'kind = "stripe"\n'
            'api_key_env = "STRIPE_KEY"\n'
            f'api_base = "{stripe_fake.url}"\n'
            "max_network_retries = 0\n\n"
            "[sources.store]\n"
            'kind = "shopify"\n'
            'shop = "example.myshopify.com"\n'
            'access_token_env = "SHOPIFY_TOKEN"\n'
            f'shop_url = "{shop.url}"\n'
        )
        env = {**os.environ, "STRIPE_KEY": API_KEY, "SHOPIFY_TOKEN": TOKEN}

        def sync(*extra: str, env=env):
            """Exit code and lines, less the timed note of the answers' order
            data saved after a change (`saved` collects its order counts)."""
            r = run_cli(db, "--sources", str(sources), "sync", *extra, env=env)
            lines = []
            for line in (r.stdout + r.stderr).splitlines():
                if line.startswith("Order data for answers saved ("):
                    saved.append(line.split("(")[1].split(",")[0])
                else:
                    lines.append(line)
            return r.returncode, lines

        saved: list[str] = []
        assert sync() == (
            0,
            [
                "billing: synced 3 added, 0 updated (3 new customers)",
                "store: synced 2 added, 0 updated (2 new customers)",
            ],
        )
        assert saved == ["5 orders"]
        assert sync() == (0, ["billing: no changes", "store: no changes"])
        assert saved == ["5 orders"]  # nothing changed: no new order data to save
        stripe_fake.refund(charges[0]["id"], 2500, at=T0 + 86_400)
        shop.cancel("#1002", at="2026-11-25T08:00:00Z")
        assert sync() == (0, ["billing: synced 0 added, 1 updated", "store: synced 0 added, 1 updated"])
        assert saved == ["5 orders", "3 orders"]  # the refunded charge and the cancelled order no longer count
        code, lines = sync("store", env={**env, "SHOPIFY_TOKEN": "shpat_revoked_0000"})
        assert code == 1 and len(lines) == 1 and "Shopify refused the access token" in lines[0]
        assert "shpat_revoked_0000" not in lines[0] and TOKEN not in lines[0]


def test_doctor_probes_a_stripe_and_a_shopify_source(tmp_path):
    with FakeStripe() as stripe_fake, FakeShopify(now=datetime(2026, 11, 24, tzinfo=UTC)) as shop:
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[sources.billing]\nkind = "stripe"\napi_key_env = "STRIPE_KEY"\napi_base = "{stripe_fake.url}"\n\n'
            '[sources.store]\nkind = "shopify"\nshop = "example.myshopify.com"\naccess_token_env = "SHOPIFY_TOKEN"\n'
            f'shop_url = "{shop.url}"\n'
        )
        good = check_sources({"STRIPE_KEY": API_KEY, "SHOPIFY_TOKEN": TOKEN}, str(sources), explicit=True)
        bad = check_sources({"STRIPE_KEY": "sk_live_revoked_1111", "SHOPIFY_TOKEN": TOKEN}, str(sources), explicit=True)
    assert [(str(c.name), c.ok) for c in good] == [("source billing (stripe)", True), ("source store (shopify)", True)]
    assert str(good[0].detail) == "Stripe: charges, customers and events readable (no charges)"
    assert str(good[1].detail).startswith("Shopify example.myshopify.com: orders readable (scopes: read_all_orders")
    assert not bad[0].ok and "Stripe refused the API key" in str(bad[0].detail) and "STRIPE_KEY" in str(bad[0].detail)
    assert "sk_live_revoked_1111" not in str(bad[0].detail) and bad[1].ok
    assert bad[0].lines("fa") == [
        "✗ منبع \u2068billing\u2069 (\u2068stripe\u2069): منبع \u2068billing\u2069: \u2066Stripe\u2069 کلید \u2066API\u2069 را "
        "هنگام خواندن پرداخت‌ها نپذیرفت (\u2068Invalid API Key provided: sk_live_************1111\u2069)؛ یک کلید رمز "
        "(\u2066sk_live_…\u2069) یا کلید محدود (\u2066rk_live_…\u2069) که اجازهٔ خواندن "
        "\u2068Charges, Customers, Disputes and Events\u2069 را دارد در متغیر محیطی \u2068STRIPE_KEY\u2069 بگذارید",
        "    راه رفع: \u2068سپس آن را بررسی کنید: \u2068retention-bot sync billing --dry-run\u2069\u2069",
    ]
    assert good[1].lines("hy") == [
        "✓ աղբյուր store (shopify): Shopify example.myshopify.com. պատվերները հասանելի են կարդալու համար "
        "(թույլտվություններ՝ read_all_orders, read_customers, read_orders)"
    ]


def test_stripe_and_shopify_refusals_in_the_workspace_language(tmp_path):
    """A Persian workspace reads why Stripe and Shopify refused in Persian
    (what was being read named in Persian; the variable, the shop and the
    labels of Stripe's and Shopify's dashboards isolated left to right, as
    they show them), an Armenian one in Armenian; English stays the report's
    own text. Through the real clients against the loopback fakes."""
    from click.testing import CliRunner

    from bot.cli import main

    F, L, P = "\u2068", "\u2066", "\u2069"
    db = ["--db", str(tmp_path / "store.db")]
    runner = CliRunner()
    assert runner.invoke(main, [*db, "config", "language", "fa"]).exit_code == 0
    with FakeStripe(restricted={"charges": "rak_charge_read"}) as stripe_fake, FakeShopify(now=T1) as shop:
        shop.http_status = 401
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f'[sources.billing]\nkind = "stripe"\napi_key_env = "STRIPE_KEY"\napi_base = "{stripe_fake.url}"\n'
            "max_network_retries = 0\n\n"
            '[sources.store]\nkind = "shopify"\nshop = "example.myshopify.com"\naccess_token_env = "SHOPIFY_TOKEN"\n'
            f'shop_url = "{shop.url}"\n'
        )
        env = {"STRIPE_KEY": API_KEY, "SHOPIFY_TOKEN": "shpat_revoked_0000"}

        def sync(*lang: str) -> list[str]:
            r = runner.invoke(main, [*db, *lang, "--sources", str(sources), "sync"], env=env)
            assert r.exit_code == 1
            return r.output.splitlines()

        billing, store = sync()
        assert billing.startswith(
            f"{F}billing{P}: ناموفق: {F}منبع {F}billing{P}: کلید {L}Stripe{P} اجازهٔ خواندن پرداخت‌ها را ندارد ("
        )
        assert billing.endswith(
            f"در داشبورد {L}Stripe{P}، {L}Developers › API keys{P}، به کلید محدود دسترسی {L}Read{P} روی "
            f"{F}Charges, Customers, Disputes and Events{P} بدهید{P}"
        )
        assert [store] == [
            f"{F}store{P}: ناموفق: {F}منبع {F}store{P}: {L}Shopify{P} توکن دسترسی {F}example.myshopify.com{P} را "
            f"نپذیرفت ({L}HTTP 401{P}: نامعتبر یا باطل‌شده)؛ توکن دسترسی {L}Admin API{P} ({L}shpat_…{P}) برنامهٔ "
            f"نصب‌شده روی {F}example.myshopify.com{P} را در {F}SHOPIFY_TOKEN{P} بگذارید{P}"
        ]
        billing, store = sync("--language", "hy")
        assert billing.startswith(
            "billing. ձախողվեց՝ աղբյուր billing. Stripe-ի բանալին իրավունք չունի կարդալու վճարումներ"
        )
        assert store.startswith(
            "store. ձախողվեց՝ աղբյուր store. Shopify-ը մերժեց example.myshopify.com-ի մուտքի տոկենը"
        )
        billing, store = sync("--language", "en")
        assert billing.startswith("billing: failed: source billing: the Stripe key may not read charges (")
        assert store.startswith("store: failed: source store: Shopify refused the access token for example.myshopify")
        assert "shpat_revoked_0000" not in store
