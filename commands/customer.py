"""`/retention customer <name|email|id>`: one customer's history and value —
orders, revenue, first and last order, usual gap, recent orders, and the last
score run's P(alive), expected 12-month value and reason. Several matches give a
short pick list; none gives a hint."""

from datetime import UTC, tzinfo

from analytics.calendars import GREGORIAN_CALENDAR, Calendar
from analytics.quiet import QuietReason, reason_code, top_percent
from analytics.rfm import compute_rfm
from analytics.value import value_label
from commands import blocks as B
from commands import format as fmt
from commands.core import Answer, Context, Request, UsageError, command
from commands.i18n import DEFAULT_LANGUAGE, N_, _, _n, shown_in
from commands.messages import empty_store_hint, filter_label
from commands.value_parts import (
    alive_words,
    load_model_summary,
    model_line,
    number,
    owner_text,
    quiet_reason,
    reason_from,
    reason_sentence,
    reason_text,
    reason_values,
    state_name,
)
from commands.value_parts import (
    value_label as shown_value_label,
)
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
    lang = ctx.lang
    scope = filter_label(req, lang)
    if not found:
        data = {"query": query, "matches": []}
        text = _(lang, "No customer matches “{query}”{scope}.", query=B.escape(B.clip(query, 100)), scope=scope)
        hint = (
            _(lang, "Try part of a name, company or email, or the customer id.")
            if load_last_order_at(ctx.db) is not None
            else empty_store_hint(lang)
        )
        return Answer("customer", data, B.message(text, [B.section("\n".join([text, hint]))]), ok=False)
    if len(found) > 1:
        return Answer("customer", *_pick_list(query, found, scope, lang))
    row = found[0]
    orders = load_customer_orders(ctx.db, row["id"], ctx.cutoff)
    rfm = compute_rfm(orders, ctx.as_of, str(ctx.tz))
    score = load_score(ctx.db, row["id"])
    summary = load_model_summary(ctx)
    data = customer_data(row, orders, rfm, score, summary, ctx.tz, ctx.currency)
    return Answer("customer", data, build_customer_message(data, ctx.display_currency, ctx.calendar, lang))


def _pick_list(query: str, found: list[dict], scope: str, lang: str) -> tuple[dict, dict]:
    matches = [
        {"customer_id": r["id"], "name": r["name"], "company": r["company"], "email": r["email"]}
        for r in found[:PICK_LIST]
    ]
    lines = []
    for m in matches:
        values = {"name": B.literal(m["name"] or m["customer_id"]), "id": f"`{B.escape(m['customer_id'])}`"}
        extra = " · ".join(B.literal(v) for v in (m["company"], m["email"]) if v)
        if extra:
            lines.append(_(lang, "• *{name}* — {details} · id {id}", details=extra, **values))
        else:
            lines.append(_(lang, "• *{name}* · id {id}", **values))
    more = len(found) > PICK_LIST
    if more:
        lines.append(_(lang, "_…and more: type more of the name, or the email or id_"))
    shown = fmt.count(len(matches), lang) + ("+" if more else "")
    asked = {"count": shown, "query": B.escape(query), "scope": scope}
    text = _n(
        lang,
        "{count} customer matches “{query}”{scope}",
        "{count} customers match “{query}”{scope}",
        len(matches),
        **asked,
    )
    question = _n(
        lang,
        "{count} customer matches “{query}”{scope}. Which one?",
        "{count} customers match “{query}”{scope}. Which one?",
        len(matches),
        **asked,
    )
    data = {"query": query, "matches": matches, "more": more}
    return data, B.message(
        text,
        [
            B.section(question),
            *B.lines_section(lines),
            B.context(
                _(
                    lang,
                    "Ask again with the email or id, e.g. {example}",
                    example=f"`/retention customer {B.escape(matches[0]['customer_id'])}`",
                )
            ),
        ],
    )


def customer_data(row: dict, orders, rfm, score: dict | None, summary: dict | None, tz: tzinfo, currency: str) -> dict:
    """Dates are the workspace's local days (`tz`), like every day the
    numbers were counted in; money in the reason's English sentence is in
    the reporting `currency`."""
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
        why = quiet_reason(score)
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
            "reason": reason_sentence(why, currency),
            "why": reason_values(why),
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


def build_customer_message(
    data: dict, currency: str, calendar: Calendar = GREGORIAN_CALENDAR, lang: str = DEFAULT_LANGUAGE
) -> dict:
    c, s, sc, summary = data["customer"], data["stats"], data["score"], data["model"]
    title = c["name"] or c["id"]
    sub = " · ".join(B.literal(v) for v in (c["company"], c["segment"], c["email"]) if v)
    gap = s["typical_gap_days"]
    last_order = fmt.day(s["last_order"], UTC, calendar, lang)
    if s["days_since_last"] is not None:
        since = s["days_since_last"]
        last_order = _n(
            lang,
            "{day} ({count} day ago)",
            "{day} ({count} days ago)",
            since,
            day=last_order,
            count=fmt.count(since, lang),
        )
    pairs = [
        (_(lang, "Orders"), fmt.count(s["orders"], lang)),
        (_(lang, "Revenue"), fmt.money(s["revenue"], currency, lang=lang)),
        (_(lang, "First order"), fmt.day(s["first_order"], UTC, calendar, lang)),
        (_(lang, "Last order"), last_order),
        (_(lang, "Usual gap"), gap_text(gap, bool(s.get("own_gap")), lang)),
        (_(lang, "Owner"), owner_text(c["owner_rep_id"], lang)),
    ]
    blocks = [B.header(shown_in(lang, title))]
    if sub:
        blocks.append(B.context(shown_in(lang, sub)))
    blocks += B.fields(pairs)
    if sc is not None:
        uses_model = summary is not None and summary["model"] != "rules"
        value_pairs = [
            (value_title(uses_model, lang), fmt.money(sc["value"], currency, lang=lang)),
            (
                _(lang, "Rank"),
                _(lang, "top {percent}", percent=fmt.pct(top_percent(sc["value_pct"] or 100.0), 0, lang)),
            ),
        ]
        if uses_model:
            value_pairs += [
                (_(lang, "P(alive)"), alive_words(sc["p_alive"], sc["frequency"], lang)),
                (_(lang, "Expected orders, 90 days"), fmt.number(sc["expected_orders_90d"], lang, 1)),
            ]
        blocks += B.fields(value_pairs)
        if sc["quiet"]:
            reason = reason_text(reason_from(sc["why"]), currency, lang)
            if sc["followup_state"]:
                warning = _(
                    lang,
                    ":warning: *Going quiet*: {reason}. Follow-up {state}.",
                    reason=reason,
                    state=state_name(sc["followup_state"], lang),
                )
            else:
                warning = _(lang, ":warning: *Going quiet*: {reason}.", reason=reason)
            blocks.append(B.section(warning))
        elif s["days_since_last"] is not None:
            why = QuietReason(
                code=reason_code(gap, bool(s.get("own_gap"))),
                usual_gap_days=gap,
                days_quiet=int(s["days_since_last"]),
                p_alive=sc["p_alive"],
                frequency=sc["frequency"],
                uses_model=uses_model,
                value=sc["value"] or 0.0,
                value_pct=sc["value_pct"] or 100.0,
            )
            blocks.append(B.section(reason_text(why, currency, lang)))
    if data["recent_orders"]:
        lines = []
        for o in data["recent_orders"]:
            values = {
                "day": fmt.day(o["day"], UTC, calendar, lang),
                "amount": fmt.money(o["amount"], currency, cents=True, lang=lang),
            }
            if o["currency"] != currency and o["paid"]:
                paid = fmt.money(o["paid"], o["currency"], cents=True, lang=lang)
                lines.append(_(lang, "{day} · {amount} (paid {paid})", paid=paid, **values))
            else:
                lines.append(_(lang, "{day} · {amount}", **values))
        blocks.append(B.section("\n".join([_(lang, "*Recent orders*"), *lines])))
    footer = [B.escape(model_line(summary, lang, calendar))]
    if sc:
        footer.append(_(lang, "scores as of {day}", day=fmt.day(sc["as_of"], UTC, calendar, lang)))
    blocks.append(B.context(" · ".join(footer)))
    values = {
        "name": B.escape(title),
        "orders": _n(lang, "{count} order", "{count} orders", s["orders"], count=fmt.count(s["orders"], lang)),
        "revenue": fmt.money(s["revenue"], currency, lang=lang),
        "day": fmt.day(s["last_order"], UTC, calendar, lang),
    }
    if sc is not None and sc["quiet"]:
        text = _(lang, "{name}: {orders}, {revenue}, last order {day} — going quiet", **values)
    else:
        text = _(lang, "{name}: {orders}, {revenue}, last order {day}", **values)
    return B.message(text, blocks)


def gap_text(gap: float | None, own_gap: bool, lang: str) -> str:
    """ "~18 days", or the store's usual gap when the customer has too few orders for their own."""
    if gap is None:
        return "—"
    days = round(gap)
    values = {"days": fmt.count(days, lang)}
    if own_gap:
        return _n(lang, "~{days} day", "~{days} days", days, **values)
    return _n(lang, "~{days} day (store usual)", "~{days} days (store usual)", days, **values)


def value_title(uses_model: bool, lang: str) -> str:
    """The value figure's name as a field title (capitalised in English)."""
    if lang == DEFAULT_LANGUAGE:
        return value_label(uses_model).capitalize()
    label = shown_value_label(uses_model, lang)
    return label[:1].upper() + label[1:]
