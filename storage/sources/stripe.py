"""The `stripe` kind: a Stripe account as a live source, through the
official `stripe` library (the `stripe` extra).

    [sources.billing]
    kind = "stripe"
    api_key_env = "STRIPE_API_KEY"     # a secret key, or a restricted one that may read
                                       # Charges, Customers, Disputes and Events
    api_base = "http://127.0.0.1:12111"   # optional: another API address (a test server)

The backfill lists customers, then charges (100 a page, `starting_after` /
`has_more`), and stores them a batch at a time with the cursor of the last
page in it, so an interrupted backfill resumes where it stopped. Then the
Events API brings what changed since — a refund, a dispute or a capture on
an old charge, a new charge, a renamed customer — and each changed charge is
read again as it is now. A charge becomes an order row by
`storage.formats.stripe_payment`, the rules of Stripe's Payments export:
captured only, net of refunds (and of a lost dispute), the customer's id or
else the payer's email, and the amount Stripe settled in the account's
currency, which the importer uses when it is the reporting currency.

Stripe keeps events for 30 days: a source last synced before that cannot be
caught up by events and says so (a full sync reads everything again).
"""

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from storage.formats import stripe_payment
from storage.problems import N_, Said
from storage.sources import Batch, SourceConfig, SourceError
from storage.sources.paging import Page, batched

REQUIRED = ("api_key_env",)
OPTIONAL = ("api_base", "max_network_retries")

PAGE = 100  # Stripe's largest page
EVENT_DAYS = 30  # how long Stripe keeps events
# Stripe amounts are in the currency's smallest unit: these currencies have
# none (1 JPY is 1), these three decimals (1 KWD is 1000); the others two.
ZERO_DECIMAL = frozenset(
    ("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF")
)
THREE_DECIMAL = frozenset(("BHD", "JOD", "KWD", "OMR", "TND"))
# Events that change a charge (the charge itself, a refund of it, its
# dispute) or a customer.
EVENT_TYPES = (
    "charge.succeeded",
    "charge.captured",
    "charge.refunded",
    "charge.refund.updated",
    "charge.updated",
    "charge.failed",
    "charge.pending",
    "charge.expired",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "customer.created",
    "customer.updated",
)
READ_ACCESS = "Charges, Customers, Disputes and Events"
# What a sync reads from Stripe, named in its errors.
READS = {
    "charges": Said(N_("charges")),
    "customers": Said(N_("customers")),
    "events": Said(N_("events")),
    "disputes": Said(N_("disputes")),
}


def major(amount: int, currency: str) -> str:
    """Stripe's minor units as a decimal amount in text: 1999 USD → "19.99"."""
    code = currency.upper()
    digits = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return str(Decimal(int(amount)).scaleb(-digits))


def utc_text(epoch: int) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def charge_row(charge: Mapping[str, Any], *, lost: int = 0) -> tuple[dict[str, str | None], str | None]:
    """An order row (our import fields, as text) for a Stripe charge: its
    amount net of refunds and of a lost dispute (`lost`, minor units), the
    customer's id, else (a guest) the payer's email, lower-cased; the settled amount when the
    balance transaction is expanded. Returns (row, why it is not a payment
    we count, or None)."""
    currency = str(charge.get("currency") or "")
    billing = charge.get("billing_details") or {}
    email = (billing.get("email") or charge.get("receipt_email") or "").strip()
    customer = charge.get("customer")
    if isinstance(customer, Mapping):  # expanded
        customer = customer.get("id")
    out: dict[str, Any] = {
        "id": charge["id"],
        "customer_id": customer or email.lower(),
        "ordered_at": utc_text(charge["created"]),
        "amount": major(charge["amount"], currency),
        "currency": currency.upper(),
        "status": charge.get("status") or "",
        # A customer with an account has its own name and email (from the
        # customers and their events): a charge's payer details are a guest's only.
        "email": "" if customer else email,
        "customer_name": "" if customer else billing.get("name") or "",
    }
    refunded = int(charge.get("amount_refunded") or 0) + lost
    converted = converted_refunded = converted_currency = ""
    bt = charge.get("balance_transaction")
    if isinstance(bt, Mapping) and bt.get("currency"):
        # What settled, in the account's currency. Refunds settle at their
        # own rate; netting them at the charge's keeps what was kept in
        # proportion.
        gross = int(bt["amount"])
        converted_currency = str(bt["currency"]).upper()
        converted = major(gross, converted_currency)
        if refunded and charge["amount"]:
            converted_refunded = major(round(gross * refunded / int(charge["amount"])), converted_currency)
    why = stripe_payment(
        out,
        captured=bool(charge.get("captured", True)),
        refunded=major(refunded, currency) if refunded else "",
        converted=converted,
        converted_refunded=converted_refunded,
        converted_currency=converted_currency,
    )
    return out, why


def customer_row(customer: Mapping[str, Any]) -> dict[str, str | None]:
    return {
        "id": customer["id"],
        "name": customer.get("name") or customer.get("description") or None,
        "email": (customer.get("email") or "").strip() or None,
        "created_at": utc_text(customer["created"]) if customer.get("created") else None,
    }


def open_source(config: SourceConfig, env: Mapping[str, str]) -> "StripeSource":
    retries = config.options.get("max_network_retries", 2)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
        raise SourceError(
            N_("{where}: [sources.{name}] max_network_retries must be 0 to 10"), where=config.where, name=config.name
        )
    base = config.options.get("api_base")
    if base is not None and (not isinstance(base, str) or not base.startswith(("http://", "https://"))):
        raise SourceError(
            N_('{where}: [sources.{name}] api_base must be a URL like "https://api.stripe.com"'),
            where=config.where,
            name=config.name,
        )
    try:
        import stripe  # noqa: F401 (the extra: only a Stripe source needs it)
    except ModuleNotFoundError:
        raise SourceError(
            N_(
                "source {source}: kind 'stripe' needs the Python package 'stripe'; "
                "install it: pip install 'retention-bot[stripe]'"
            ),
            source=config.name,
        ) from None
    return StripeSource(config, config.secret("api_key_env", env), api_base=base, max_network_retries=retries)


class StripeSource:
    """One Stripe account. The cursor (JSON) is where the backfill stands
    (`{"phase": "customers"|"charges", "after": ID, "events_since": T}`) or,
    once it is done, the events read so far (`{"phase": "events", "since":
    T, "seen": [IDs of the events at second T]}`)."""

    def __init__(
        self, config: SourceConfig, api_key: str, *, api_base: str | None = None, max_network_retries: int = 2
    ):
        import stripe

        self.config = config
        self._stripe = stripe
        # Our own HTTP client, to close its pooled connections with the source
        # (the library's default one lives as long as the process).
        self._http = stripe.RequestsClient()
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=max_network_retries,
            http_client=self._http,
        )

    def close(self) -> None:
        self._http.close()

    def check(self) -> Said:
        charges, _ = self._list("charges", self.client.v1.charges, {"limit": 1})
        self._list("customers", self.client.v1.customers, {"limit": 1})
        events, _ = self._list("events", self.client.v1.events, {"limit": 1})
        if not events:
            return Said(
                N_("Stripe: charges, customers and events readable (some charges)")
                if charges
                else N_("Stripe: charges, customers and events readable (no charges)")
            )
        return Said(
            N_("Stripe: charges, customers and events readable (some charges; newest event {when})")
            if charges
            else N_("Stripe: charges, customers and events readable (no charges; newest event {when})"),
            {"when": datetime.fromtimestamp(int(events[0]["created"]), UTC)},
        )

    def batches(self, cursor: str | None) -> Iterator[Batch]:
        state = json.loads(cursor) if cursor else {}
        pages = self._increment(state) if state.get("phase") == "events" else self._backfill(state)
        yield from batched(pages, self.config.batch_size)

    def _backfill(self, state: dict) -> Iterator[Page]:
        """Every customer, then every charge, newest first; the backfill
        resumes after the last page stored. Increments then start from the
        newest event before the backfill began, so what changes meanwhile
        is read again."""
        if "events_since" not in state:
            events, _ = self._list("events", self.client.v1.events, {"limit": 1})
            state = {"phase": "customers", "after": None, "events_since": int(events[0]["created"]) if events else 0}
        for phase, service in (("customers", self.client.v1.customers), ("charges", self.client.v1.charges)):
            if phase == "customers" and state["phase"] == "charges":
                continue
            after = state["after"] if state["phase"] == phase else None
            more = True
            while more:
                params: dict[str, Any] = {"limit": PAGE}
                if phase == "charges":
                    params["expand"] = ["data.balance_transaction"]
                if after:
                    params["starting_after"] = after
                items, more = self._list(phase, service, params)
                if not items:
                    break
                after = items[-1]["id"]
                cursor = {"phase": phase, "after": after, "events_since": state["events_since"]}
                if phase == "customers":
                    yield "customers", [customer_row(c) for c in items], cursor
                else:
                    yield "orders", self._order_rows(items), cursor
        yield "orders", [], {"phase": "events", "since": state["events_since"], "seen": []}

    def _increment(self, state: dict) -> Iterator[Page]:
        """The events after the cursor, oldest first, a page at a time:
        customers as the events carry them, each changed charge read again
        as it is now (its settled amount, its disputes)."""
        since, seen = int(state["since"]), set(state.get("seen") or ())
        params: dict[str, Any] = {"limit": PAGE, "types": list(EVENT_TYPES)}
        if since:
            params["created"] = {"gte": since}  # then drop the ones already read: none missed in that second
        # Each change kept small (event id, time, a customer's row or a
        # charge's id): 30 days of a busy account's events fit in memory.
        changes: list[tuple[str, int, dict | str]] = []
        more, first = True, True
        while more:
            items, more = self._list("events", self.client.v1.events, params)
            if first and items and since and int(items[0]["created"]) - since > EVENT_DAYS * 86400:
                raise SourceError(
                    N_(
                        "source {source}: the last sync read Stripe's events up to {when}, and Stripe keeps events "
                        "for {days} days only, so what changed since cannot be read; run a full sync: {command}"
                    ),
                    source=self.config.name,
                    when=datetime.fromtimestamp(since, UTC),
                    days=EVENT_DAYS,
                    command=f"retention-bot sync {self.config.name} --full",
                )
            first = False
            for ev in items:
                if ev["id"] not in seen:
                    obj = ev["data"]["object"]
                    if ev["type"].startswith("customer."):
                        ref: dict | str = customer_row(obj)
                    else:  # a charge, or a refund or dispute of one
                        ref = obj["charge"] if obj.get("object") in ("dispute", "refund") else obj["id"]
                    changes.append((ev["id"], int(ev["created"]), ref))
            if items:
                params["starting_after"] = items[-1]["id"]
        changes.reverse()  # Stripe lists newest first: apply them in the order they happened
        for start in range(0, len(changes), PAGE):
            chunk = changes[start : start + PAGE]
            last = chunk[-1][1]
            ids = [event_id for event_id, when, _ in chunk if when == last]
            seen_now = sorted(ids + (list(seen) if last == since else []))
            cursor: dict[str, Any] = {"phase": "events", "since": last, "seen": seen_now}
            customers = {ref["id"]: ref for _, _, ref in chunk if isinstance(ref, dict)}
            charge_ids = dict.fromkeys(ref for _, _, ref in chunk if isinstance(ref, str))
            if customers:  # stored with the cursor before this page: its charges are not yet
                yield "customers", list(customers.values()), state
            charges = [
                self._call(
                    Said(N_("charge {id}"), {"id": ch}),
                    self.client.v1.charges.retrieve,
                    ch,
                    {"expand": ["balance_transaction"]},
                )
                for ch in charge_ids
            ]
            yield "orders", self._order_rows([c.to_dict() for c in charges]), cursor
            state, since, seen = cursor, last, set(seen_now)

    # ---- Stripe's answers as rows, its errors said plainly -----------------

    def _order_rows(self, charges: list[dict]) -> list[dict]:
        rows = []
        for charge in charges:
            row, why = charge_row(charge, lost=self._lost(charge))
            if why is None:  # Stripe's charge statuses are all in the vocabulary; kept for safety
                rows.append(row)
        return rows

    def _lost(self, charge: Mapping[str, Any]) -> int:
        """What a charge lost in disputes (minor units): a lost dispute
        takes the money back as surely as a refund; an open one may not."""
        if not charge.get("disputed"):
            return 0
        items, _ = self._list("disputes", self.client.v1.disputes, {"charge": charge["id"], "limit": PAGE})
        return sum(int(d["amount"]) for d in items if d.get("status") == "lost")

    def _list(self, what: str, service: Any, params: dict) -> tuple[list[dict], bool]:
        page = self._call(READS[what], service.list, params)
        return [item.to_dict() for item in page.data], bool(page.has_more)

    def _call(self, what: Said, fn: Any, *args: Any) -> Any:
        """`fn(*args)`; a Stripe error as a SourceError saying what was being
        read (`what`), what Stripe said and what to do."""
        stripe = self._stripe
        try:
            return fn(*args)
        except stripe.StripeError as e:
            values: dict[str, object] = {"source": self.config.name, "what": what, "reason": _said(e)}
            if isinstance(e, stripe.AuthenticationError):
                message = N_(
                    "source {source}: Stripe refused the API key while reading {what} ({reason}); put a secret key "
                    "(sk_live_…) or a restricted key (rk_live_…) that may read {access} into the environment "
                    "variable {var}"
                )
                values |= {"access": READ_ACCESS, "var": self.config.options["api_key_env"]}
            elif isinstance(e, stripe.PermissionError):
                message = N_(
                    "source {source}: the Stripe key may not read {what} ({reason}); in Stripe's Dashboard, "
                    "Developers › API keys, give the restricted key Read on {access}"
                )
                values["access"] = READ_ACCESS
            elif isinstance(e, stripe.RateLimitError):
                message = N_("source {source}: Stripe is rate-limiting reads of {what} ({reason}); sync again later")
            elif isinstance(e, stripe.APIConnectionError):
                message = N_(
                    "source {source}: could not reach Stripe while reading {what} ({reason}); check the network "
                    "(and api_base, when set)"
                )
            else:
                message = N_(
                    "source {source}: Stripe answered an error while reading {what} ({reason}); sync again later, "
                    "or check the source's settings"
                )
            raise SourceError(message, **values) from None


def _said(e: Exception) -> str:
    """Stripe's own message, on one line (the library's text adds a
    request id prefix and may run over lines)."""
    message = getattr(e, "user_message", None) or str(e)
    return " ".join(str(message).split())
