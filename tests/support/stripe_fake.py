"""A small fake of Stripe's API on 127.0.0.1 (port 0), driven by the real
`stripe` library (`base_addresses={"api": fake.url}`), no monkeypatching.

It follows the documented shapes: list objects (`{"object": "list", "data",
"has_more", "url"}`, newest first, `limit` 1..100, `starting_after` /
`ending_before`, `created[gt|gte|lt|lte]`), expandable
`balance_transaction`, events (`{"object": "event", "type", "created",
"data": {"object", "previous_attributes"}}`, `types[]` filter) and errors
(`{"error": {"type", "message", "code"}}` with 401 for a bad key, 403 for a
restricted key without the permission, 404 for an unknown id).

    with FakeStripe() as stripe_fake:
        ch = stripe_fake.add_charge(amount=5000, customer="cus_1", created=...)
        stripe_fake.refund(ch["id"], 2000, at=...)   # updates it and records charge.refunded
        stripe_fake.requests                           # (path, params) of every call
        stripe_fake.fail("/v1/charges", 500, after=2)  # the third list of charges answers a 500
"""

import itertools
import json
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import Loopback

API_KEY = "sk_test_fake_key_4242"


class FakeStripe(Loopback):
    def __init__(self, api_key: str = API_KEY, *, restricted: dict[str, str] | None = None):
        self.api_key = api_key
        # resource -> the permission a restricted key lacks for it ("charges": "rak_charge_read")
        self.restricted = restricted or {}
        self.charges: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.disputes: dict[str, dict] = {}
        self.events: dict[str, dict] = {}
        self.balance_transactions: dict[str, dict] = {}
        self.requests: list[tuple[str, dict]] = []
        self._failures: list[tuple[str, int, int]] = []  # (path, status, after this many more calls)
        self._ids = itertools.count(1)
        super().__init__(self._handler())

    # ---- the account's data ------------------------------------------------

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):08d}"

    def add_customer(self, *, created: int, name: str | None = None, email: str | None = None) -> dict:
        cus = {
            "id": self._id("cus"),
            "object": "customer",
            "created": created,
            "name": name,
            "email": email,
            "description": None,
            "metadata": {},
            "livemode": False,
        }
        self.customers[cus["id"]] = cus
        self._event("customer.created", cus, created)
        return cus

    def add_charge(
        self,
        *,
        amount: int,
        created: int,
        currency: str = "usd",
        customer: str | None = None,
        email: str | None = None,
        name: str | None = None,
        status: str = "succeeded",
        captured: bool = True,
        settled: tuple[int, str] | None = None,
        event: bool = True,
    ) -> dict:
        """A charge of `amount` minor units; `settled` = (amount, currency)
        of its balance transaction when it settled in another currency."""
        bt_amount, bt_currency = settled or (amount, currency)
        bt = {
            "id": self._id("txn"),
            "object": "balance_transaction",
            "amount": bt_amount,
            "currency": bt_currency,
            "exchange_rate": None if bt_currency == currency else round(bt_amount / amount, 6),
        }
        self.balance_transactions[bt["id"]] = bt
        ch = {
            "id": self._id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if captured else 0,
            "amount_refunded": 0,
            "balance_transaction": bt["id"],
            "billing_details": {"email": email, "name": name, "phone": None, "address": None},
            "captured": captured,
            "created": created,
            "currency": currency,
            "customer": customer,
            "disputed": False,
            "paid": status == "succeeded",
            "receipt_email": email,
            "refunded": False,
            "status": status,
            "livemode": False,
            "metadata": {},
        }
        self.charges[ch["id"]] = ch
        if event:
            self._event("charge.succeeded" if status == "succeeded" else f"charge.{status}", ch, created)
        return ch

    def refund(self, charge_id: str, amount: int, *, at: int) -> None:
        ch = self.charges[charge_id]
        before = ch["amount_refunded"]
        ch["amount_refunded"] = before + amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
        self._event("charge.refunded", ch, at, previous={"amount_refunded": before, "refunded": False})

    def refund_failed(self, charge_id: str, amount: int, *, at: int) -> None:
        """A refund that the bank sent back: the money is the merchant's again."""
        ch = self.charges[charge_id]
        ch["amount_refunded"] -= amount
        ch["refunded"] = False
        refund = {"id": self._id("re"), "object": "refund", "amount": amount, "charge": charge_id, "status": "failed"}
        self._event("charge.refund.updated", refund, at, previous={"status": "pending"})

    def capture(self, charge_id: str, *, at: int) -> None:
        ch = self.charges[charge_id]
        ch.update(captured=True, amount_captured=ch["amount"], paid=True)
        self._event("charge.captured", ch, at, previous={"captured": False})

    def dispute(self, charge_id: str, *, at: int, status: str = "needs_response") -> dict:
        ch = self.charges[charge_id]
        ch["disputed"] = True
        dp = {
            "id": self._id("dp"),
            "object": "dispute",
            "amount": ch["amount"],
            "charge": charge_id,
            "currency": ch["currency"],
            "created": at,
            "status": status,
            "reason": "fraudulent",
            "livemode": False,
        }
        self.disputes[dp["id"]] = dp
        self._event("charge.dispute.created", dp, at)
        return dp

    def close_dispute(self, dispute_id: str, status: str, *, at: int) -> None:
        dp = self.disputes[dispute_id]
        dp["status"] = status
        self._event("charge.dispute.closed", dp, at)

    def _event(self, kind: str, obj: dict, created: int, previous: dict | None = None) -> None:
        data: dict[str, Any] = {"object": json.loads(json.dumps(obj))}
        if previous:
            data["previous_attributes"] = previous
        ev = {
            "id": self._id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": created,
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        self.events[ev["id"]] = ev

    def fail(self, path: str, status: int, *, after: int = 0) -> None:
        """The call to `path` after `after` more successful ones answers
        `status` (an api_error), once."""
        self._failures.append((path, status, after))

    # ---- the API -----------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                params = _params(parsed.query)
                with fake._lock:
                    fake.requests.append((parsed.path, params))
                    status, body = fake._failure(parsed.path) or fake._answer(
                        self.headers.get("Authorization", ""), parsed.path, params
                    )
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Request-Id", "req_fake")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler

    def _failure(self, path: str) -> tuple[int, dict] | None:
        for i, (where, status, after) in enumerate(self._failures):
            if where == path:
                if after:
                    self._failures[i] = (where, status, after - 1)
                    return None
                del self._failures[i]
                return status, _error("api_error", "An unknown error occurred.", None)
        return None

    def _answer(self, auth: str, path: str, params: dict) -> tuple[int, dict]:
        key = auth.removeprefix("Bearer ").strip()
        if key != self.api_key:
            shown = key[:8] + "*" * 12 + key[-4:] if len(key) > 12 else key
            return 401, _error("invalid_request_error", f"Invalid API Key provided: {shown}", None)
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v1":
            return 404, _error("invalid_request_error", f"Unrecognized request URL (GET: {path}).", None)
        resource = parts[1]
        if resource in self.restricted:
            return 403, _error(
                "invalid_request_error",
                f"The provided key 'rk_test_***{key[-4:]}' does not have the required permissions for this "
                f"endpoint on account 'acct_fake'. Having the '{self.restricted[resource]}' permission would "
                "allow this request to continue.",
                None,
            )
        table = {
            "charges": self.charges,
            "customers": self.customers,
            "events": self.events,
            "disputes": self.disputes,
        }.get(resource)
        if table is None:
            return 404, _error("invalid_request_error", f"Unrecognized request URL (GET: {path}).", None)
        expand = [v for k, v in params.items() if k.startswith("expand[")]
        if len(parts) == 3:
            obj = table.get(parts[2])
            if obj is None:
                return 404, _missing(resource, parts[2])
            return 200, self._expanded(obj, [e for e in expand if not e.startswith("data.")])
        items = sorted(table.values(), key=lambda o: (o["created"], o["id"]), reverse=True)
        items = [o for o in items if _matches(o, params)]
        limit = int(params.get("limit", 10))
        if not 1 <= limit <= 100:
            return 400, _error("invalid_request_error", "This value must be between 1 and 100.", "parameter_invalid")
        ids = [o["id"] for o in items]
        if "starting_after" in params:
            after = params["starting_after"]
            if after not in table:
                return 400, _missing(resource, after)
            start = ids.index(after) + 1 if after in ids else len(ids)
            page = items[start : start + limit]
            more = start + limit < len(items)
        elif "ending_before" in params:
            before = params["ending_before"]
            end = ids.index(before) if before in ids else 0
            page = items[max(0, end - limit) : end]
            more = end - limit > 0
        else:
            page, more = items[:limit], len(items) > limit
        inner = [e.removeprefix("data.") for e in expand if e.startswith("data.")]
        return 200, {
            "object": "list",
            "url": f"/v1/{resource}",
            "has_more": more,
            "data": [self._expanded(o, inner) for o in page],
        }

    def _expanded(self, obj: dict, expand: list[str]) -> dict:
        out = json.loads(json.dumps(obj))
        if "balance_transaction" in expand and isinstance(out.get("balance_transaction"), str):
            out["balance_transaction"] = self.balance_transactions[out["balance_transaction"]]
        return out


def _params(query: str) -> dict[str, str]:
    return {k: v[-1] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}


def _matches(obj: dict, params: dict[str, str]) -> bool:
    for op, test in (("gt", int.__gt__), ("gte", int.__ge__), ("lt", int.__lt__), ("lte", int.__le__)):
        bound = params.get(f"created[{op}]")
        if bound is not None and not test(obj["created"], int(bound)):
            return False
    types = [v for k, v in params.items() if k.startswith("types[")] or ([params["type"]] if "type" in params else [])
    if types and obj.get("type") not in types:
        return False
    return not ("charge" in params and obj.get("charge") != params["charge"])


def _error(kind: str, message: str, code: str | None) -> dict:
    return {"error": {"type": kind, "message": message, "code": code}}


def _missing(resource: str, ident: str) -> dict:
    return _error("invalid_request_error", f"No such {resource.rstrip('s')}: '{ident}'", "resource_missing")
