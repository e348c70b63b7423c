"""The `shopify` kind: a Shopify store's orders through the Admin GraphQL
API, over plain HTTP (the standard library's urllib: no extra to install).

    [sources.store]
    kind = "shopify"
    shop = "example.myshopify.com"
    access_token_env = "SHOPIFY_TOKEN"   # the Admin API token of an app with read_orders
                                         # (+ read_all_orders for orders older than 60 days)
    shop_url = "http://127.0.0.1:8080"   # optional: another address for the shop (a test server)
    api_version = "2025-07"              # optional

The backfill is one bulk operation (`bulkOperationRunQuery`, polled until
it completes, its JSONL downloaded and stored a batch at a time, the line
reached in the cursor so an interrupted backfill resumes in the same file);
increments ask for the orders updated since the last one seen
(`updated_at:>=`, oldest first, cursor pagination), so a refund or a
cancellation reaches the store. An order becomes a row by
`storage.formats.shopify_order`, the rules of Shopify's CSV export: the
order's name (#1001) is its id and its email the customer, as in an
imported export, so the two never make the same order twice.

Polling waits through `sleep` (injected; tests never sleep).
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from storage.formats import ReadOptions, shopify_order
from storage.problems import N_, Said
from storage.sources import Batch, SourceConfig, SourceError
from storage.sources.paging import Page, batched

REQUIRED = ("shop", "access_token_env")
OPTIONAL = ("shop_url", "api_version")

API_VERSION = "2025-07"
PAGE = 250  # Shopify's largest page
HISTORY_DAYS = 60  # what Shopify shows without read_all_orders
MAX_WAIT = 6 * 3600.0  # seconds a bulk operation may run before the sync gives up on it
RETRIES = 5  # throttled or failing answers retried, with growing waits
TIMEOUT = 60  # seconds for one HTTP request

ORDER_FIELDS = """
      id name email phone createdAt updatedAt cancelledAt displayFinancialStatus
      totalPriceSet { shopMoney { amount currencyCode } }
      totalRefundedSet { shopMoney { amount currencyCode } }
      totalOutstandingSet { shopMoney { amount currencyCode } }
      customer { id email }
      billingAddress { name company }
      shippingAddress { name }
"""
BULK_QUERY = "{ orders { edges { node {" + ORDER_FIELDS + "} } } }"
RUN_BULK = """
mutation ($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status createdAt }
    userErrors { field message }
  }
}"""
POLL = """
query ($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode createdAt objectCount url partialDataUrl } }
}"""
UPDATED = (
    """
query ($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    edges { node {"""
    + ORDER_FIELDS
    + """} }
    pageInfo { hasNextPage endCursor }
  }
}"""
)
ACCESS = "{ currentAppInstallation { accessScopes { handle } } shop { createdAt } }"


def _money(node: Mapping[str, Any], key: str) -> tuple[str, str]:
    money = ((node.get(key) or {}).get("shopMoney")) or {}
    return str(money.get("amount") or ""), str(money.get("currencyCode") or "")


def order_row(node: Mapping[str, Any], opts: ReadOptions) -> dict[str, str | None]:
    """An order row (our import fields, as text) for an order from the
    Admin API, by the same rules as a row of Shopify's CSV export."""
    total, currency = _money(node, "totalPriceSet")
    billing = node.get("billingAddress") or {}
    shipping = node.get("shippingAddress") or {}
    out: dict[str, Any] = {
        "id": node.get("name") or node["id"],
        "customer_id": node.get("email") or (node.get("customer") or {}).get("email") or "",
        "ordered_at": node.get("createdAt") or "",
        "amount": total,
        "currency": currency,
        "status": node.get("displayFinancialStatus") or "",
        "customer_name": billing.get("name") or "",
        "company": billing.get("company") or "",
    }
    shopify_order(
        out,
        cancelled=bool(node.get("cancelledAt")),
        refunded=_money(node, "totalRefundedSet")[0],
        outstanding=_money(node, "totalOutstandingSet")[0],
        stand_ins=(
            (billing.get("name") or "", "billing name"),
            (shipping.get("name") or "", "shipping name"),
            (node.get("phone") or "", "phone"),
        ),
        opts=opts,
    )
    return out


def open_source(config: SourceConfig, env: Mapping[str, str]) -> "ShopifySource":
    shop = config.options["shop"]
    if not isinstance(shop, str) or not shop.strip() or "/" in shop.strip().removeprefix("https://").rstrip("/"):
        raise SourceError(
            N_('{where}: [sources.{name}] shop must be the shop\'s domain, like "example.myshopify.com"'),
            where=config.where,
            name=config.name,
        )
    for key in OPTIONAL:
        if key in config.options and not isinstance(config.options[key], str):
            raise SourceError(
                N_("{where}: [sources.{name}] {key} must be a quoted string"),
                where=config.where,
                name=config.name,
                key=key,
            )
    return ShopifySource(
        config,
        config.secret("access_token_env", env),
        shop_url=config.options.get("shop_url"),
        api_version=config.options.get("api_version", API_VERSION),
    )


class ShopifySource:
    """One shop. The cursor (JSON) is where the backfill stands (`{"phase":
    "bulk", "operation": ID, "line": N, "since": T}`) or, once it is done,
    the updates read so far (`{"phase": "updates", "since": T, "seen": [IDs
    of the orders updated at T]}`)."""

    def __init__(
        self,
        config: SourceConfig,
        token: str,
        *,
        shop_url: str | None = None,
        api_version: str = API_VERSION,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config
        self.shop = str(config.options["shop"]).strip().removeprefix("https://").rstrip("/")
        self.base = (shop_url or f"https://{self.shop}").rstrip("/")
        self.endpoint = f"{self.base}/admin/api/{api_version}/graphql.json"
        self._token = token
        self.sleep = sleep
        self.opts = ReadOptions()  # what the order rules noted (stand-in customers, partly paid orders)
        self.total: int | None = None  # orders in the bulk export being read (for the progress bar)

    def close(self) -> None:
        pass

    def check(self) -> Said:
        scopes, _ = self._access()
        self._graphql(UPDATED, {"first": 1, "after": None, "query": "updated_at:>='1970-01-01T00:00:00Z'"})
        return Said(
            N_("Shopify {shop}: orders readable (scopes: {scopes})"),
            {"shop": self.shop, "scopes": ", ".join(sorted(scopes))},
        )

    def batches(self, cursor: str | None) -> Iterator[Batch]:
        state = json.loads(cursor) if cursor else {}
        pages = self._updates(state) if state.get("phase") == "updates" else self._backfill(state)
        yield from batched(pages, self.config.batch_size, lambda: self.total)

    # ---- backfill: one bulk operation ------------------------------------

    def _backfill(self, state: dict) -> Iterator[Page]:
        scopes, shop_created = self._access()
        op = self._operation(state["operation"]) if state.get("phase") == "bulk" else None
        skip = int(state["line"]) if op else 0
        if op is None:
            op = self._wait(self._start_bulk())
        since = op["createdAt"]
        self.total = int(op.get("objectCount") or 0) - skip
        line, rows = 0, []
        for node in self._download(op.get("url")):
            line += 1
            if line <= skip or "__parentId" in node:
                continue
            rows.append(order_row(node, self.opts))
            if len(rows) >= PAGE:
                yield "orders", rows, {"phase": "bulk", "operation": op["id"], "line": line, "since": since}
                rows = []
        if rows:
            yield "orders", rows, {"phase": "bulk", "operation": op["id"], "line": line, "since": since}
        yield "orders", [], {"phase": "updates", "since": since, "seen": []}
        cut = _when(since) - timedelta(days=HISTORY_DAYS)
        if "read_all_orders" not in scopes and shop_created and _when(shop_created) < cut:
            raise SourceError(
                N_(
                    "source {source}: history cut: the shop is older than {days} days, but without the "
                    "read_all_orders scope Shopify gives only the orders since {since}, so older orders are "
                    "missing; request read_all_orders for the app (Shopify asks apps to justify it), add it to "
                    "the app's scopes, reinstall it, then run: {command}"
                ),
                source=self.config.name,
                days=HISTORY_DAYS,
                since=cut.date(),
                command=f"retention-bot sync {self.config.name} --full",
            )

    def _access(self) -> tuple[set[str], str | None]:
        data = self._graphql(ACCESS, {})
        scopes = {s["handle"] for s in (data.get("currentAppInstallation") or {}).get("accessScopes") or ()}
        if "read_orders" not in scopes:
            raise self._scope_problem(
                N_(
                    "source {source}: the app's token lacks the read_orders scope; in {shop}'s admin "
                    "(Settings › Apps and sales channels › Develop apps › the app › Configuration) grant "
                    "read_orders (and read_all_orders for orders older than {days} days), reinstall the app and "
                    "put its new Admin API token in {var}"
                )
            )
        return scopes, (data.get("shop") or {}).get("createdAt")

    def _start_bulk(self) -> str:
        data = self._graphql(RUN_BULK, {"query": BULK_QUERY})["bulkOperationRunQuery"]
        problems = "; ".join(e.get("message", "") for e in data.get("userErrors") or ())
        if problems or not data.get("bulkOperation"):
            raise SourceError(
                N_(
                    "source {source}: Shopify refused the bulk export of orders ({reason}); wait for it to finish "
                    "(at most a few hours) or cancel it, then sync again"
                )
                if "in progress" in problems
                else N_(
                    "source {source}: Shopify refused the bulk export of orders ({reason}); check the app's scopes "
                    "and the shop, then sync again"
                ),
                source=self.config.name,
                reason=problems,
            )
        return data["bulkOperation"]["id"]

    def _operation(self, op_id: str) -> dict | None:
        """A finished bulk operation whose file can still be read (Shopify
        keeps it a week), to resume a backfill in; else None."""
        op = self._graphql(POLL, {"id": op_id}).get("node")
        return (
            op if op and op.get("status") == "COMPLETED" and (op.get("url") or op.get("objectCount") == "0") else None
        )

    def _wait(self, op_id: str) -> dict:
        """Poll the bulk operation until it completes; waits grow from 1 s
        to 30 s."""
        delay, waited = 1.0, 0.0
        while True:
            op = self._graphql(POLL, {"id": op_id}).get("node") or {}
            status = op.get("status")
            if status == "COMPLETED":
                return op
            if status in ("FAILED", "CANCELED", "CANCELING", "EXPIRED") or not status:
                if op.get("errorCode") == "ACCESS_DENIED":
                    raise self._scope_problem(
                        N_(
                            "source {source}: the bulk export of orders was denied; in {shop}'s admin "
                            "(Settings › Apps and sales channels › Develop apps › the app › Configuration) grant "
                            "read_orders (and read_all_orders for orders older than {days} days), reinstall the "
                            "app and put its new Admin API token in {var}"
                        )
                    )
                raise SourceError(
                    N_(
                        "source {source}: Shopify's bulk export of orders ended {status} ({code}); sync again, and "
                        "if it fails again check the shop's status in its admin"
                    ),
                    source=self.config.name,
                    status=status or Said(N_("unknown")),
                    code=op.get("errorCode") or Said(N_("no error code")),
                )
            if waited >= MAX_WAIT:
                raise SourceError(
                    N_(
                        "source {source}: Shopify's bulk export of orders is still {status} after {hours} h; "
                        "sync again later (it goes on meanwhile)"
                    ),
                    source=self.config.name,
                    status=status,
                    hours=round(waited / 3600),
                )
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, 30.0)

    def _download(self, url: str | None) -> Iterator[dict]:
        """The bulk file's orders, streamed line by line. The file is on
        Shopify's storage, signed: the shop's token is not sent there."""
        if not url:
            return  # no orders at all
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as f:
                for raw in f:
                    if raw.strip():
                        yield json.loads(raw)
        except (urllib.error.URLError, OSError) as e:
            raise SourceError(
                N_(
                    "source {source}: could not download Shopify's bulk export of orders ({reason}); "
                    "sync again (it resumes where it stopped)"
                ),
                source=self.config.name,
                reason=_reason(e),
            ) from None

    # ---- increments: orders updated since --------------------------------

    def _updates(self, state: dict) -> Iterator[Page]:
        since, seen = str(state["since"]), set(state.get("seen") or ())
        variables: dict[str, Any] = {"first": PAGE, "after": None, "query": f"updated_at:>='{since}'"}
        while True:
            orders = self._graphql(UPDATED, variables)["orders"]
            nodes = [e["node"] for e in orders["edges"] if e["node"]["id"] not in seen]
            if nodes:
                last = nodes[-1]["updatedAt"]
                at_last = [n["id"] for n in nodes if n["updatedAt"] == last] + (list(seen) if last == since else [])
                since, seen = last, set(at_last)
                rows = [order_row(n, self.opts) for n in nodes]
                yield "orders", rows, {"phase": "updates", "since": since, "seen": sorted(seen)}
            if not orders["pageInfo"]["hasNextPage"]:
                return
            variables["after"] = orders["pageInfo"]["endCursor"]

    # ---- the HTTP calls, Shopify's errors said plainly --------------------

    def _scope_problem(self, message: str, **values: object) -> SourceError:
        """A missing scope (`message` says how it showed), with where in the
        shop's admin to grant it and where to put the new token."""
        return SourceError(
            message,
            source=self.config.name,
            shop=self.shop,
            days=HISTORY_DAYS,
            var=self.config.options["access_token_env"],
            **values,
        )

    def _graphql(self, query: str, variables: dict) -> dict:
        """POST one operation; retry throttling and server errors with
        waits; SourceError for everything that is not data."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(
                self.endpoint,
                data=body,
                headers={"Content-Type": "application/json", "X-Shopify-Access-Token": self._token},
            )
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as f:
                    answer = json.load(f)
            except urllib.error.HTTPError as e:
                if (e.code == 429 or e.code >= 500) and attempt < RETRIES:
                    self.sleep(float(e.headers.get("Retry-After") or 2**attempt))
                    continue
                raise self._http_problem(e) from None
            except (urllib.error.URLError, OSError) as e:
                raise SourceError(
                    N_('source {source}: could not reach {base} ({reason}); check shop ("{shop}") and the network'),
                    source=self.config.name,
                    base=self.base,
                    reason=_reason(e),
                    shop=self.shop,
                ) from None
            errors = answer.get("errors") or []
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if "THROTTLED" in codes and attempt < RETRIES:
                self.sleep(_throttle_wait(answer))
                continue
            if "ACCESS_DENIED" in codes:
                raise self._scope_problem(
                    N_(
                        "source {source}: Shopify denied access ({reason}); in {shop}'s admin "
                        "(Settings › Apps and sales channels › Develop apps › the app › Configuration) grant "
                        "read_orders (and read_all_orders for orders older than {days} days), reinstall the app "
                        "and put its new Admin API token in {var}"
                    ),
                    reason="; ".join(e.get("message", "") for e in errors),
                )
            if errors:
                said = errors if isinstance(errors, str) else "; ".join(str(e.get("message", e)) for e in errors)
                raise SourceError(
                    N_("source {source}: Shopify answered errors: {reason}; check api_version"),
                    source=self.config.name,
                    reason=said,
                )
            return answer.get("data") or {}
        raise SourceError(
            N_("source {source}: Shopify kept throttling the sync; sync again later"), source=self.config.name
        )

    def _http_problem(self, e: urllib.error.HTTPError) -> SourceError:
        name, shop = self.config.name, self.shop
        if e.code == 401:
            return SourceError(
                N_(
                    "source {source}: Shopify refused the access token for {shop} (HTTP 401: invalid or revoked); "
                    "put the Admin API access token (shpat_…) of the app installed on {shop} in {var}"
                ),
                source=name,
                shop=shop,
                var=self.config.options["access_token_env"],
            )
        if e.code == 403:
            return self._scope_problem(
                N_(
                    "source {source}: Shopify refused access (HTTP 403: a scope is missing, or the app is not "
                    "installed); in {shop}'s admin (Settings › Apps and sales channels › Develop apps › the app › "
                    "Configuration) grant read_orders (and read_all_orders for orders older than {days} days), "
                    "reinstall the app and put its new Admin API token in {var}"
                )
            )
        if e.code == 402:
            return SourceError(
                N_(
                    "source {source}: {shop} is frozen (HTTP 402: the shop's plan is unpaid); sync again once it "
                    "is active"
                ),
                source=name,
                shop=shop,
            )
        if e.code == 404:
            return SourceError(
                N_('source {source}: no Shopify shop at {base} (HTTP 404); check shop = "{shop}" and api_version'),
                source=name,
                base=self.base,
                shop=shop,
            )
        return SourceError(
            N_("source {source}: Shopify answered HTTP {code} ({reason}); sync again later"),
            source=name,
            code=e.code,
            reason=str(e.reason),
        )


def _throttle_wait(answer: dict) -> float:
    """Seconds until the query's cost is available again (Shopify's leaky
    bucket), from the cost extension; 1 s when it is not given."""
    cost = (answer.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        return max(missing / float(status["restoreRate"]), 1.0)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return 1.0


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _reason(e: Exception) -> str:
    return str(getattr(e, "reason", None) or e)
