"""A small fake of Shopify's Admin GraphQL API on 127.0.0.1 (port 0), for
the `shopify` source's real client code (plain HTTP, `shop_url` pointed
here).

It answers the operations the source sends, in Shopify's documented shapes
(it does not parse GraphQL: it recognises each operation by its root field
and answers the fields the source selects):

- `currentAppInstallation { accessScopes { handle } }` and `shop { createdAt }`;
- `bulkOperationRunQuery` → a BulkOperation (`CREATED`), then `node(id:)`
  polls that walk it through `RUNNING` to `COMPLETED` with an `objectCount`
  and a `url` whose JSONL (one order node per line) this server serves;
- `orders(first:, after:, query: "updated_at:>='…'", sortKey: UPDATED_AT)`
  → `edges { cursor node }`, `pageInfo { hasNextPage endCursor }`;
- errors: 401 with `{"errors": "[API] Invalid API key or access token …"}`,
  `ACCESS_DENIED` naming the scope a field needs, `THROTTLED` with the
  cost extension's `throttleStatus`; `http_status` answers every
  operation with that status (403 for a token without the app's access).

Without `read_all_orders` only orders from the last 60 days (before `now`)
are visible, as on Shopify.

    with FakeShopify(now=...) as shop:
        shop.add_order(total="50.00", email="ann@example.com", created="2026-10-01T10:00:00Z")
        shop.refund("#1001", "20.00", at="2026-11-02T09:00:00Z")
        shop.cancel("#1002", at=...)
"""

import base64
import itertools
import json
import re
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler

from tests.support.loopback import Loopback

TOKEN = "shpat_fake_token_0123456789"
SCOPES = ("read_orders", "read_all_orders", "read_customers")


class FakeShopify(Loopback):
    def __init__(
        self,
        *,
        now: datetime,
        token: str = TOKEN,
        scopes: tuple[str, ...] = SCOPES,
        shop_created: str = "2020-01-01T00:00:00Z",
        currency: str = "USD",
        polls_until_done: int = 2,
    ):
        self.now = now
        self.token = token
        self.scopes = scopes
        self.shop_created = shop_created
        self.currency = currency
        self.polls_until_done = polls_until_done
        self.orders: dict[str, dict] = {}  # by name (#1001)
        self.operations: dict[str, dict] = {}
        self.calls: list[str] = []  # the root field of each GraphQL operation, "download" for the JSONL
        self.throttle_next = 0  # answer this many operations THROTTLED
        self.http_status: int | None = None  # answer every operation with this HTTP status (403, 402, …)
        self._numbers = itertools.count(1001)
        self._ids = itertools.count(5_000_000)
        super().__init__(self._handler())

    # ---- the shop's orders -----------------------------------------------

    def add_order(
        self,
        *,
        total: str,
        created: str,
        email: str | None = None,
        status: str = "PAID",
        billing_name: str | None = None,
        company: str | None = None,
        phone: str | None = None,
        outstanding: str = "0.00",
    ) -> dict:
        name = f"#{next(self._numbers)}"
        node = {
            "id": f"gid://shopify/Order/{next(self._ids)}",
            "name": name,
            "email": email,
            "phone": phone,
            "createdAt": created,
            "updatedAt": created,
            "cancelledAt": None,
            "displayFinancialStatus": status,
            "totalPriceSet": self._money(total),
            "totalRefundedSet": self._money("0.00"),
            "totalOutstandingSet": self._money(outstanding),
            "customer": {"id": f"gid://shopify/Customer/{next(self._ids)}", "email": email} if email else None,
            "billingAddress": {"name": billing_name, "company": company} if billing_name or company else None,
            "shippingAddress": None,
        }
        self.orders[name] = node
        return node

    def refund(self, name: str, amount: str, *, at: str) -> None:
        node = self.orders[name]
        refunded = float(node["totalRefundedSet"]["shopMoney"]["amount"]) + float(amount)
        total = float(node["totalPriceSet"]["shopMoney"]["amount"])
        node["totalRefundedSet"] = self._money(f"{refunded:.2f}")
        node["displayFinancialStatus"] = "REFUNDED" if refunded >= total else "PARTIALLY_REFUNDED"
        node["updatedAt"] = at

    def cancel(self, name: str, *, at: str) -> None:
        node = self.orders[name]
        node["cancelledAt"] = at
        node["displayFinancialStatus"] = "VOIDED" if node["displayFinancialStatus"] == "AUTHORIZED" else "REFUNDED"
        node["updatedAt"] = at

    def _money(self, amount: str) -> dict:
        return {"shopMoney": {"amount": amount, "currencyCode": self.currency}}

    def _visible(self) -> list[dict]:
        """The orders the token may read: the last 60 days only without
        read_all_orders."""
        if "read_all_orders" in self.scopes:
            return list(self.orders.values())
        cut = (self.now - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return [o for o in self.orders.values() if o["createdAt"] >= cut]

    # ---- the API -----------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                m = re.fullmatch(r"/bulk/(\d+)\.jsonl", self.path)
                op = fake.operations.get(f"gid://shopify/BulkOperation/{m.group(1)}") if m else None
                if op is None:
                    self._send(404, b"Not Found", "text/plain")
                    return
                with fake._lock:
                    fake.calls.append("download")
                self._send(200, op["jsonl"].encode(), "application/jsonl")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if not re.fullmatch(r"/admin/api/\d{4}-\d{2}/graphql\.json", self.path):
                    self._send(404, b'{"errors":"Not Found"}')
                    return
                if fake.http_status:
                    self._send(fake.http_status, b'{"errors":"[API] This action requires merchant approval"}')
                    return
                if self.headers.get("X-Shopify-Access-Token") != fake.token:
                    body = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                    self._send(401, json.dumps(body).encode())
                    return
                with fake._lock:
                    answer = fake._answer(request.get("query", ""), request.get("variables") or {})
                self._send(200, json.dumps(answer).encode())

        return Handler

    def _answer(self, query: str, variables: dict) -> dict:
        root = re.match(r"\s*(\w+)", query.split("{", 1)[-1])  # the first field of the operation
        field = root.group(1) if root else ""
        self.calls.append(field)
        if self.throttle_next:
            self.throttle_next -= 1
            return {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": 752,
                        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 2, "restoreRate": 100.0},
                    }
                },
            }
        if field == "currentAppInstallation":
            scopes = [{"handle": s} for s in self.scopes]
            return {
                "data": {"currentAppInstallation": {"accessScopes": scopes}, "shop": {"createdAt": self.shop_created}}
            }
        if field in ("bulkOperationRunQuery", "orders") and "read_orders" not in self.scopes:
            return {
                "errors": [
                    {
                        "message": "Access denied for orders field. Required access: `read_orders` access scope.",
                        "extensions": {"code": "ACCESS_DENIED", "requiredAccess": "`read_orders` access scope."},
                    }
                ]
            }
        if field == "bulkOperationRunQuery":
            running = [o for o in self.operations.values() if o["status"] in ("CREATED", "RUNNING")]
            if running:
                errors = [
                    {"field": None, "message": "A bulk query operation for this app and shop is already in progress"}
                ]
                return {"data": {"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": errors}}}
            n = len(self.operations) + 1
            op = {
                "id": f"gid://shopify/BulkOperation/{n}",
                "status": "CREATED",
                "createdAt": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "polls": 0,
                "query": variables.get("query", ""),
                "jsonl": "",
            }
            self.operations[op["id"]] = op
            return {"data": {"bulkOperationRunQuery": {"bulkOperation": _public(op), "userErrors": []}}}
        if field == "node":
            op = self.operations.get(variables.get("id", ""))
            if op is None:
                return {"data": {"node": None}}
            op["polls"] += 1
            if op["status"] in ("CREATED", "RUNNING"):
                op["status"] = "COMPLETED" if op["polls"] >= self.polls_until_done else "RUNNING"
                if op["status"] == "COMPLETED":
                    nodes = sorted(self._visible(), key=lambda o: o["createdAt"])
                    op["jsonl"] = "".join(json.dumps(o) + "\n" for o in nodes)
                    op["objectCount"] = str(len(nodes))
            return {"data": {"node": _public(op, self.url)}}
        if field == "orders":
            return {"data": {"orders": self._orders_page(variables)}}
        return {"errors": [{"message": f"Field '{field}' doesn't exist on type 'QueryRoot'"}]}

    def _orders_page(self, variables: dict) -> dict:
        m = re.search(r"updated_at:(>=?)'?([0-9T:\-Z.+]+)'?", variables.get("query") or "")
        nodes = self._visible()
        if m:
            op, bound = m.groups()
            nodes = [o for o in nodes if (o["updatedAt"] >= bound if op == ">=" else o["updatedAt"] > bound)]
        nodes.sort(key=lambda o: (o["updatedAt"], o["id"]))
        start = int(base64.b64decode(variables["after"]).decode()) if variables.get("after") else 0
        first = int(variables.get("first") or 50)
        page = nodes[start : start + first]
        edges = [
            {"cursor": base64.b64encode(str(start + i + 1).encode()).decode(), "node": o} for i, o in enumerate(page)
        ]
        return {
            "edges": edges,
            "pageInfo": {
                "hasNextPage": start + first < len(nodes),
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }


def _public(op: dict, base: str = "") -> dict:
    done = op["status"] == "COMPLETED"
    count = op.get("objectCount", "0")
    return {
        "id": op["id"],
        "status": op["status"],
        "errorCode": None,
        "createdAt": op["createdAt"],
        "objectCount": count,
        "url": f"{base}/bulk/{op['id'].rsplit('/', 1)[1]}.jsonl" if done and count != "0" else None,
        "partialDataUrl": None,
    }
