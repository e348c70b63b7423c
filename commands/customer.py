"""`/retention customer <name|email|id>`: one customer's history and value —
orders, revenue, first and last order, usual gap, recent orders, and the last
score run's P(alive), expected 12-month value and reason. Several matches give a
short pick list; none gives a hint."""

from datetime import UTC, tzinfo

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.quiet import alive_text, explain, top_percent
from analytics.rfm import compute_rfm
from analytics.value import value_label
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, UsageError, command
from commands.i18n import N_
from commands.messages import EMPTY_STORE_HINT, filter_label
from commands.value_parts import load_model_summary, model_line, number, owner_text
from storage.lookup import find_customers, load_customer_orders
from storage.queries import load_last_order_at
from storage.scores import load_score

PICK_LIST = 8
RECENT_ORDERS = 5


@command(
    "customer",
    usage="customer <name|email|id>",
    summary=N_("One customer: history, value, P(alive), reason"),
    aliases=("cust", "who"),
)
def handle_customer(ctx: Context, req: Request) -> Answer:
    query = " ".join(req.args).strip()
    if not query:
        raise UsageError("say which customer, e.g. `customer jane@example.com` or `customer Acme`", command="customer")
    found = find_customers(ctx.db, query, req.filters, limit=PICK_LIST + 1)
    scope = filter_label(req)
    if not found:
        data = {"query": query, "matches": []}
        text = f"No customer matches “{B.escape(B.clip(query, 100))}”{scope}."
        hint = (
            "Try part of a name, company or email, or the customer id."
            if load_last_order_at(ctx.db) is not None
            else EMPTY_STORE_HINT
        )
        return Answer("customer", data, B.message(text, [B.section(f"{text}\n{hint}")]), ok=False)
    if len(found) > 1:
        return Answer("customer", *_pick_list(query, found, scope))
    row = found[0]
    orders = load_customer_orders(ctx.db, row["id"], ctx.cutoff)
    rfm = compute_rfm(orders, ctx.as_of, str(ctx.tz))
    score = load_score(ctx.db, row["id"])
    summary = load_model_summary(ctx)
    data = customer_data(row, orders, rfm, score, summary, ctx.tz)
    return Answer("customer", data, build_customer_message(data, ctx.currency, ctx.calendar))


def _pick_list(query: str, found: list[dict], scope: str) -> tuple[dict, dict]:
    matches = [
        {"customer_id": r["id"], "name": r["name"], "company": r["company"], "email": r["email"]}
        for r in found[:PICK_LIST]
    ]
    lines = []
    for m in matches:
        label = B.literal(m["name"] or m["customer_id"])
        extra = " · ".join(B.literal(v) for v in (m["company"], m["email"]) if v)
        lines.append(f"• *{label}*{' — ' + extra if extra else ''} · id `{B.escape(m['customer_id'])}`")
    if len(found) > PICK_LIST:
        lines.append("_…and more: type more of the name, or the email or id_")
    text = f"{len(matches)}{'+' if len(found) > PICK_LIST else ''} customers match “{B.escape(query)}”{scope}"
    data = {"query": query, "matches": matches, "more": bool(len(found) > PICK_LIST)}
    return data, B.message(
        text,
        [
            B.section(f"{text}. Which one?"),
            *B.lines_section(lines),
            B.context(
                "Ask again with the email or id, e.g. `/retention customer " + B.escape(matches[0]["customer_id"]) + "`"
            ),
        ],
    )


def customer_data(row: dict, orders, rfm, score: dict | None, summary: dict | None, tz: tzinfo) -> dict:
    """Dates are the workspace's local days (`tz`), like every day the
    numbers were counted in."""
    local = [d.isoformat() for d in orders["ordered_at"].dt.tz_convert(tz).dt.date]
    stats = {
        "orders": 0,
        "revenue": 0.0,
        "first_order": None,
        "last_order": None,
        "purchase_days": 0,
        "typical_gap_days": None,
        "days_since_last": None,
    }
    if len(rfm):
        s = rfm.iloc[0]
        gap = number(s["typical_gap_days"]) if bool(s["own_gap"]) else None
        if gap is None and score is not None:
            gap = number(score["typical_gap_days"])
        stats = {
            "orders": int(s["orders"]),
            "revenue": round(float(s["revenue"]), 2),
            "first_order": local[0],
            "last_order": local[-1],
            "purchase_days": int(s["purchase_days"]),
            "typical_gap_days": gap,
            "own_gap": bool(s["own_gap"]),
            "days_since_last": int(s["days_since_last"]),
        }
    recent = orders.assign(day=local).tail(RECENT_ORDERS).iloc[::-1]
    scored = None
    if score is not None:
        scored = {
            "as_of": score["as_of"],
            "value": number(score["value"]),
            "predicted_clv_12m": number(score["predicted_clv_12m"]),
            "revenue_12m": number(score["revenue_12m"]),
            "p_alive": number(score["p_alive"]),
            "expected_orders_90d": number(score["expected_orders_90d"]),
            "frequency": None if number(score["frequency"]) is None else int(score["frequency"]),
            "value_pct": number(score["value_pct"]),
            "quiet": bool(score["quiet"]),
            "reason": score["reason"],
            "followup_state": score["followup_state"],
        }
    return {
        "customer": {k: row[k] for k in ("id", "name", "email", "company", "segment", "owner_rep_id")},
        "stats": stats,
        "recent_orders": [
            {
                "id": r["id"],
                "day": r["day"],
                "amount": float(r["amount"]),
                "currency": r["currency"],
                "paid": number(r["source_amount"]),
            }
            for r in recent.to_dict("records")
        ],
        "score": scored,
        "model": summary,
    }


def build_customer_message(data: dict, currency: str, calendar: Calendar = GREGORIAN_CALENDAR) -> dict:
    c, s, sc, summary = data["customer"], data["stats"], data["score"], data["model"]
    title = c["name"] or c["id"]
    sub = " · ".join(B.literal(v) for v in (c["company"], c["segment"], c["email"]) if v)
    gap = s["typical_gap_days"]
    gap_text = "—" if gap is None else f"~{gap:.0f} days" + ("" if s.get("own_gap") else " (store usual)")
    pairs = [
        ("Orders", fmt.count(s["orders"])),
        ("Revenue", fmt.money(s["revenue"], currency)),
        ("First order", fmt.day(s["first_order"], UTC, calendar)),
        (
            "Last order",
            fmt.day(s["last_order"], UTC, calendar)
            + (f" ({fmt.plural(s['days_since_last'], 'day')} ago)" if s["days_since_last"] is not None else ""),
        ),
        ("Usual gap", gap_text),
        ("Owner", owner_text(c["owner_rep_id"])),
    ]
    blocks = [B.header(title)]
    if sub:
        blocks.append(B.context(sub))
    blocks += B.fields(pairs)
    if sc is not None:
        uses_model = summary is not None and summary["model"] != "rules"
        value_pairs = [
            (value_label(uses_model).capitalize(), fmt.money(sc["value"], currency)),
            ("Rank", f"top {top_percent(sc['value_pct'] or 100.0)}%"),
        ]
        if uses_model:
            value_pairs += [
                ("P(alive)", alive_text(sc["p_alive"], sc["frequency"]) or "—"),
                ("Expected orders, 90 days", f"{sc['expected_orders_90d']:.1f}"),
            ]
        blocks += B.fields(value_pairs)
        if sc["quiet"]:
            state = f" Follow-up {sc['followup_state']}." if sc["followup_state"] else ""
            blocks.append(B.section(f":warning: *Going quiet*: {B.escape(sc['reason'] or '')}.{state}"))
        elif s["days_since_last"] is not None:
            blocks.append(
                B.section(
                    B.escape(
                        explain(
                            typical_gap=gap if gap is not None else float("nan"),
                            own_gap=bool(s.get("own_gap")),
                            days_since_last=s["days_since_last"],
                            p_alive=sc["p_alive"],
                            value=sc["value"] or 0.0,
                            value_pct=sc["value_pct"] or 100.0,
                            uses_model=uses_model,
                            frequency=sc["frequency"],
                            money=lambda v: fmt.money(v, currency),
                        )
                    )
                )
            )
    if data["recent_orders"]:
        lines = [
            f"{fmt.day(o['day'], UTC, calendar)} · {fmt.money(o['amount'], currency, cents=True)}"
            + (
                f" (paid {fmt.money(o['paid'], o['currency'], cents=True)})"
                if o["currency"] != currency and o["paid"]
                else ""
            )
            for o in data["recent_orders"]
        ]
        blocks.append(B.section("*Recent orders*\n" + "\n".join(lines)))
    blocks.append(
        B.context(
            B.escape(model_line(summary)) + (f" · scores as of {fmt.day(sc['as_of'], UTC, calendar)}" if sc else "")
        )
    )
    text = (
        f"{B.escape(title)}: {fmt.plural(s['orders'], 'order')}, {fmt.money(s['revenue'], currency)}, "
        f"last order {fmt.day(s['last_order'], UTC, calendar)}"
    )
    if sc is not None and sc["quiet"]:
        text += " — going quiet"
    return B.message(text, blocks)
