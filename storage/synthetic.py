"""A deterministic, realistic synthetic book of business.

Used by `retention-bot demo` (about 2,000 customers) and by `bench/` (100k or
1M customers): the same generator at any size, fully vectorised with numpy so
a million customers and ten million orders take seconds.

Customers follow archetypes a sales team will recognise: loyal regulars,
occasional buyers, declining ones (ordering less and less, the ones to
catch), churned ones, new ones, and a few very valuable accounts. Orders have
November–December seasonality; a few are refunded or cancelled.
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd

REPS = [
    ("U0DEMOMGR", "Dana Whitfield", "America/New_York", None),
    ("U0DEMO001", "Maria Lopez", "America/Los_Angeles", "U0DEMOMGR"),
    ("U0DEMO002", "Sam Okafor", "America/New_York", "U0DEMOMGR"),
    ("U0DEMO003", "Priya Natarajan", "Europe/London", "U0DEMOMGR"),
    ("U0DEMO004", "Jonas Becker", "Europe/Berlin", "U0DEMOMGR"),
    ("U0DEMO005", "Yuki Tanaka", "Asia/Tokyo", "U0DEMOMGR"),
    ("U0DEMO006", "Liam Brennan", "America/Chicago", "U0DEMOMGR"),
]

ARCHETYPES = np.array(["loyal", "casual", "declining", "churned", "new", "vip"])
_ARCH_P = [0.33, 0.30, 0.13, 0.14, 0.08, 0.02]
# Mean days between orders, and how the orders spread over the active span
# (an exponent > 1 crowds them early: the customer is ordering less and less).
_GAP_DAYS = {"loyal": 28, "casual": 75, "declining": 20, "churned": 35, "new": 21, "vip": 12}
_SPREAD = {"loyal": 1.0, "casual": 1.0, "declining": 2.6, "churned": 1.0, "new": 1.0, "vip": 1.0}

SEGMENTS = np.array(["SMB", "Mid-Market", "Enterprise"])
_SEG_P = [0.62, 0.28, 0.10]
_SEG_AOV = np.array([140.0, 620.0, 2400.0])

_FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Diego",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jack",
    "Kemal",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Paula",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
_LAST = [
    "Adams",
    "Berg",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Olsen",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Urban",
    "Vargas",
    "Weber",
    "Xu",
    "Young",
    "Zimmer",
]
_CO_A = [
    "North",
    "Blue",
    "Bright",
    "Iron",
    "Silver",
    "Green",
    "Summit",
    "Harbor",
    "Cedar",
    "Atlas",
    "Nova",
    "Pioneer",
    "Granite",
    "Lumen",
    "Vector",
    "Orchid",
]
_CO_B = [
    "Labs",
    "Foods",
    "Logistics",
    "Health",
    "Retail",
    "Studio",
    "Works",
    "Systems",
    "Outfitters",
    "Partners",
    "Energy",
    "Media",
]


def generate(n_customers: int, end: date, *, years: float = 2.0, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Return DataFrames `reps`, `customers`, `orders`, `feedback` (import-file
    columns) for a book of `n_customers` whose history ends on `end`."""
    rng = np.random.default_rng(seed)
    span = int(years * 365)
    day0 = np.datetime64(end - timedelta(days=span - 1), "D")
    n = n_customers

    arch = rng.choice(len(ARCHETYPES), size=n, p=_ARCH_P)
    arch_name = ARCHETYPES[arch]
    seg = rng.choice(len(SEGMENTS), size=n, p=_SEG_P)
    seg = np.where(arch_name == "vip", 2, seg)

    # First orders spread evenly over the years (no month without new
    # customers); each archetype late enough in the span to be what it is.
    latest = np.select(
        [arch_name == "new", arch_name == "churned", arch_name == "declining"],
        [span - 5, span - 210, span - 160],
        span - 5,
    )
    earliest = np.where(arch_name == "new", span - 90, 0)
    start = earliest + np.floor(rng.random(n) * (latest - earliest)).astype(np.int64)
    stop = np.full(n, span - 1)
    churn_end = start + rng.integers(60, 240, size=n)
    stop = np.where(arch_name == "churned", np.minimum(churn_end, span - 150), stop)
    stop = np.where(arch_name == "declining", span - 1 - rng.integers(40, 120, size=n), stop)
    start = np.minimum(start, stop - 1)
    active_days = np.maximum(stop - start, 1)

    gap = np.array([_GAP_DAYS[a] for a in ARCHETYPES])[arch] * rng.lognormal(0, 0.35, size=n)
    n_orders = 1 + rng.poisson(active_days / gap)
    spread = np.array([_SPREAD[a] for a in ARCHETYPES])[arch]

    owner = np.repeat(np.arange(len(REPS)), 1)[rng.integers(0, len(REPS), size=n)]
    rep_ids = np.array([r[0] for r in REPS], dtype=object)
    owner_id = np.where(rng.random(n) < 0.9, rep_ids[owner], None)  # type: ignore[call-overload]  # numpy's stubs refuse None

    aov = _SEG_AOV[seg] * rng.lognormal(0, 0.45, size=n) * np.where(arch_name == "vip", 4.0, 1.0)

    # Orders: first on the start day, the rest spread over the active span.
    cust = np.repeat(np.arange(n), n_orders)
    first = np.r_[True, cust[1:] != cust[:-1]]
    u = rng.random(cust.size) ** spread[cust]
    offset = np.where(first, start[cust], start[cust] + np.floor(u * active_days[cust]).astype(np.int64))
    days = day0 + offset.astype("timedelta64[D]")
    month = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    keep = first | (rng.random(cust.size) < np.where(month >= 11, 1.0, 0.72))
    cust, days, first = cust[keep], days[keep], first[keep]
    seconds = rng.integers(8 * 3600, 20 * 3600, size=cust.size).astype("timedelta64[s]")
    ordered_at = days.astype("datetime64[s]") + seconds
    amount = np.round(aov[cust] * rng.lognormal(0, 0.3, size=cust.size), 2)
    r = rng.random(cust.size)
    status = np.where(r < 0.025, "refunded", np.where(r < 0.035, "cancelled", "paid"))
    status = np.where(first, "paid", status)

    width = len(str(n))
    cid = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    fn = np.array(_FIRST)[rng.integers(0, len(_FIRST), size=n)]
    ln = np.array(_LAST)[rng.integers(0, len(_LAST), size=n)]
    co = np.char.add(
        np.char.add(np.array(_CO_A)[rng.integers(0, len(_CO_A), size=n)], " "),
        np.array(_CO_B)[rng.integers(0, len(_CO_B), size=n)],
    )
    name = np.char.add(np.char.add(fn, " "), ln)
    email = np.char.add(
        np.char.add(np.char.lower(np.char.add(np.char.add(fn, "."), ln)), np.arange(1, n + 1).astype(str)),
        "@example.com",
    )
    churned_at = np.where(
        (arch_name == "churned") & (seg == 2) & (rng.random(n) < 0.5),
        (day0 + (stop + 30).astype("timedelta64[D]")).astype(str),
        "",
    )
    customers = pd.DataFrame(
        {
            "id": cid,
            "name": name,
            "email": email,
            "company": co,
            "segment": SEGMENTS[seg],
            "owner_rep_id": owner_id,
            "created_at": (day0 + start.astype("timedelta64[D]")).astype(str),
            "churned_at": churned_at,
        }
    )
    orders = pd.DataFrame(
        {
            "id": np.char.add("O", np.char.zfill(np.arange(1, cust.size + 1).astype(str), len(str(cust.size)))),
            "customer_id": cid[cust],
            "ordered_at": np.datetime_as_string(ordered_at, unit="s"),
            "amount": amount,
            "currency": "USD",
            "status": status,
        }
    )
    orders["ordered_at"] = orders["ordered_at"] + "Z"

    # Feedback: happier customers answer higher; declining ones sour.
    fb_n = int(n * 0.5)
    who = rng.choice(n, size=fb_n, replace=False)
    kind = rng.choice(np.array(["nps", "csat", "ces"]), size=fb_n, p=[0.6, 0.25, 0.15])
    mood = np.select(
        [
            arch_name[who] == "vip",
            arch_name[who] == "loyal",
            arch_name[who] == "declining",
            arch_name[who] == "churned",
        ],
        [0.92, 0.88, 0.5, 0.4],
        0.8,
    )
    mood = np.clip(mood + rng.normal(0, 0.12, size=fb_n), 0, 1)
    score = np.select(
        [kind == "nps", kind == "csat"], [np.round(mood * 10), np.round(1 + mood * 4)], np.round(7 - mood * 6)
    )
    # Answered at a random day of the customer's active months (and up to a
    # month after), never piled up on the last day.
    answered_by = np.minimum(stop[who] + 30, span - 1)
    fb_day = start[who] + np.floor(rng.random(fb_n) * (answered_by - start[who] + 1)).astype(np.int64)
    feedback = pd.DataFrame(
        {
            "id": np.char.add("F", np.arange(1, fb_n + 1).astype(str)),
            "customer_id": cid[who],
            "kind": kind,
            "score": score.astype(int),
            "submitted_at": (day0 + fb_day.astype("timedelta64[D]")).astype(str),
            "comment": "",
        }
    )
    reps = pd.DataFrame(REPS, columns=["id", "name", "tz", "manager_id"])
    reps["email"] = [f"{r[1].split()[0].lower()}@demo-company.example" for r in REPS]
    reps["active"] = "true"
    return {"reps": reps, "customers": customers, "orders": orders, "feedback": feedback}


def write_csvs(frames: dict[str, pd.DataFrame], directory) -> dict[str, str]:
    """Write each frame as `<kind>.csv` in `directory`; return the paths."""
    from pathlib import Path

    out = {}
    for kind, df in frames.items():
        path = Path(directory) / f"{kind}.csv"
        df.to_csv(path, index=False)
        out[kind] = str(path)
    return out
