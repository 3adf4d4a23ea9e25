"""Orders with their customer, items, payments and reviews, generated chunk by chunk.

A plan fixes, for every order, what must hold exactly over the whole file (status mix, null patterns,
purchase months, which orders have no items or no payment); each chunk then draws the rest from its own
seeded generator, so memory stays bounded and the bytes do not depend on anything but (scale, seed, inputs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from olist_dw.contract import SOURCES_BY_TABLE
from olist_dw.generator import facts, texts
from olist_dw.generator.brazil import STATES
from olist_dw.generator.catalog import FREIGHT_SHARE_GUESS, MIN_PRICE_CENTS, Assortment, Products, Sellers
from olist_dw.generator.files import quote_id, quote_text, read_rows
from olist_dw.generator.geography import Geography
from olist_dw.generator.randomness import (
    NULL_TIME,
    allocate,
    couple,
    format_money,
    format_times,
    hex_ids,
    order_values,
    quote_ids,
    rng_for,
    sample_counts,
    scaled,
)

DAY = 86_400
STATUSES = list(facts.STATUS_COUNTS)
DELIVERED, SHIPPED, CANCELED = STATUSES.index("delivered"), STATUSES.index("shipped"), STATUSES.index("canceled")
REGION = np.asarray([s.region for s in STATES])
FRESH_PRODUCT_RATE = 0.4  # share of items that take the next unsold product of their price range
INTEREST_RATE = 0.2  # share of card payments in instalments that carry interest
INTEREST_SHARE = 0.01  # payments run ~1% above item values in the real data (16.01 vs 15.84 million)
SCORES_ON_TIME = (0.06, 0.025, 0.08, 0.215, 0.62)  # P(score = 1..5)
SCORES_LATE = (0.48, 0.08, 0.12, 0.12, 0.20)
SCORES_UNDELIVERED = (0.68, 0.07, 0.10, 0.05, 0.10)
MESSAGE_RATE_BY_SCORE = (0.78, 0.68, 0.52, 0.31, 0.34)  # P(message | score 1..5): ~41% overall
SENTIMENT = ("bad", "bad", "mixed", "good", "good")


@dataclass
class RealPayments:
    """Keys and totals of a real payments file: orders are generated for exactly these ids."""

    order_ids: list[str]
    total_cents: np.ndarray


def read_payments(path: Path) -> RealPayments:
    totals: dict[str, int] = {}
    for order_id, _seq, _kind, _inst, value in read_rows(path, SOURCES_BY_TABLE["order_payments"]):
        totals[order_id] = totals.get(order_id, 0) + round(float(value) * 100)
    return RealPayments(list(totals), np.fromiter(totals.values(), dtype=np.int64, count=len(totals)))


@dataclass(frozen=True)
class OrderPeriod:
    """When a release's new orders are placed: orders per purchase month, the first and last purchase day,
    the moment nothing in the files happens after, and the prefix of the seeded streams of its orders."""

    orders_per_month: dict[str, int]
    first_purchase: str
    last_purchase: str
    data_cut: str
    stream_prefix: str = ""

    @property
    def cut(self) -> int:
        return int(np.datetime64(self.data_cut, "s").astype(np.int64))


FIRST_RELEASE_PERIOD = OrderPeriod(facts.ORDERS_PER_MONTH, facts.FIRST_PURCHASE, facts.LAST_PURCHASE, facts.DATA_CUT)


@dataclass
class OrderPlan:
    n: int
    status: np.ndarray
    approved_null: np.ndarray
    carrier_null: np.ndarray
    customer_null: np.ndarray
    no_items: np.ndarray
    has_payment: np.ndarray
    purchase: np.ndarray  # int64 seconds
    real_pos: np.ndarray  # index into RealPayments, -1 for a generated order
    period: OrderPeriod = FIRST_RELEASE_PERIOD


def _purchase_times(rng: np.random.Generator, n: int, period: OrderPeriod) -> np.ndarray:
    months = list(period.orders_per_month)
    counts = allocate(n, list(period.orders_per_month.values()))
    month_of = rng.permutation(np.repeat(np.arange(len(months)), counts))
    starts = np.asarray([np.datetime64(m, "M").astype("datetime64[D]") for m in months])
    ends = np.asarray([(np.datetime64(m, "M") + 1).astype("datetime64[D]") for m in months])
    starts[0] = np.datetime64(period.first_purchase, "D")
    ends[-1] = np.datetime64(period.last_purchase, "D") + 1
    first_day, span = starts.astype(np.int64), (ends - starts).astype(np.int64)
    day = first_day[month_of] + (rng.random(n) * span[month_of]).astype(np.int64)
    hours = np.asarray(facts.ORDERS_PER_HOUR, dtype=float)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    return day * DAY + hour * 3600 + rng.integers(0, 3600, n)


def plan_orders(
    seed: int, scale: float, real: RealPayments | None, period: OrderPeriod = FIRST_RELEASE_PERIOD
) -> OrderPlan:
    rng = rng_for(seed, f"{period.stream_prefix}order-plan")
    unpaid = max(1, scaled(facts.ORDERS_WITHOUT_PAYMENT, scale))
    n = len(real.order_ids) + unpaid if real else max(10, scaled(sum(period.orders_per_month.values()), scale))
    status = rng.permutation(np.repeat(np.arange(len(STATUSES)), allocate(n, list(facts.STATUS_COUNTS.values()))))
    status = status.astype(np.int8)
    approved_null = np.zeros(n, dtype=bool)
    carrier_null = np.ones(n, dtype=bool)
    customer_null = np.ones(n, dtype=bool)
    no_items = np.zeros(n, dtype=bool)
    for code, name in enumerate(STATUSES):
        where = rng.permutation(np.flatnonzero(status == code))
        share = where.size / facts.STATUS_COUNTS[name]
        if name in facts.NULLS_BY_STATUS:
            n_approved, n_carrier, n_customer = (min(where.size, round(c * share)) for c in facts.NULLS_BY_STATUS[name])
            # Nested like the real data: no carrier date -> no customer date; no approval -> no carrier date.
            carrier_null[where] = False
            customer_null[where] = False
            if name == "delivered":  # isolated gaps in otherwise complete orders
                approved_null[where[:n_approved]] = True
                carrier_null[where[n_approved : n_approved + n_carrier]] = True
                customer_null[where[n_approved + n_carrier : n_approved + n_carrier + n_customer]] = True
            else:
                customer_null[where[where.size - n_customer :]] = True
                carrier_null[where[where.size - n_carrier :]] = True
                approved_null[where[where.size - n_approved :]] = True
        if name in facts.WITHOUT_ITEMS_BY_STATUS:
            # Orders without items come from those never handed to a carrier.
            never_shipped = where[carrier_null[where]]
            n_without = min(never_shipped.size, round(facts.WITHOUT_ITEMS_BY_STATUS[name] * share))
            no_items[never_shipped[:n_without]] = True
    delivered = np.flatnonzero((status == DELIVERED) & ~no_items)
    unpaid_at = rng.choice(delivered if delivered.size >= unpaid else n, size=unpaid, replace=False)
    has_payment = np.ones(n, dtype=bool)
    has_payment[unpaid_at] = False
    real_pos = np.full(n, -1, dtype=np.int32)
    if real:
        real_pos[has_payment] = np.arange(len(real.order_ids), dtype=np.int32)
    purchase = _purchase_times(rng, n, period)
    return OrderPlan(
        n, status, approved_null, carrier_null, customer_null, no_items, has_payment, purchase, real_pos, period
    )


class People:
    """Customers as people: most place one order, ~3% come back (same customer_unique_id and address)."""

    def __init__(self, n_orders: int):
        self.uid: list[str] = []
        self.zip = np.zeros(n_orders, dtype=np.int32)
        self.city = np.zeros(n_orders, dtype=np.int32)
        self.state = np.zeros(n_orders, dtype=np.int16)

    def assign(self, rng: np.random.Generator, geo: Geography, count: int) -> np.ndarray:
        """Person index of each of `count` new orders."""
        known = len(self.uid)
        is_new = rng.random(count) >= facts.REPEAT_CUSTOMER_RATE
        if known == 0:
            is_new[0] = True
        new_index = known + np.cumsum(is_new) - 1
        seen_before = known + np.cumsum(is_new) - is_new  # people that exist before each order
        person = np.where(is_new, new_index, (rng.random(count) * np.maximum(seen_before, 1)).astype(np.int64))
        n_new = int(is_new.sum())
        shares = np.asarray([s.customer_share for s in STATES])
        states = rng.choice(len(STATES), size=n_new, p=shares / shares.sum()).astype(np.int16)
        zips, cities = geo.sample_zips(rng, states, facts.CUSTOMER_ZIP_NOT_IN_GEOLOCATION)
        self.uid.extend(hex_ids(rng, n_new))
        self.zip[known : known + n_new] = zips
        self.city[known : known + n_new] = cities
        self.state[known : known + n_new] = states
        return person


@dataclass
class Context:
    seed: int
    plan: OrderPlan
    geo: Geography
    products: Products
    sellers: Sellers
    assortment: Assortment
    calibration: dict
    real: RealPayments | None
    people: People


def _lognormal_days(rng: np.random.Generator, median_days: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return (np.asarray(median_days) * rng.lognormal(0, sigma, n) * DAY).astype(np.int64)


def _midnight(t: np.ndarray) -> np.ndarray:
    return t // DAY * DAY


def generate_chunk(ctx: Context, chunk: int, start: int, stop: int) -> dict[str, list[str]]:
    """Rows of customers, orders, order_items, order_payments and order_reviews for orders [start, stop)."""
    plan, geo, cal = ctx.plan, ctx.geo, ctx.calibration
    rng = rng_for(ctx.seed, f"{plan.period.stream_prefix}orders", chunk)
    cut = plan.period.cut
    n = stop - start
    sl = slice(start, stop)
    status, purchase = plan.status[sl], plan.purchase[sl]
    real_pos = plan.real_pos[sl]

    # --- ids and customers -----------------------------------------------------------------------------
    order_ids = hex_ids(rng, n)
    if ctx.real is not None:
        for i in np.flatnonzero(real_pos >= 0).tolist():
            order_ids[i] = ctx.real.order_ids[real_pos[i]]
    customer_ids = hex_ids(rng, n)
    person = ctx.people.assign(rng, geo, n)
    people = ctx.people
    cust_state = people.state[person]
    customers = [
        f'{quote_id(c)},{quote_id(people.uid[p])},"{z:05d}",{geo.city_quoted[city]},{STATES[s].code}'
        for c, p, z, city, s in zip(
            customer_ids,
            person.tolist(),
            people.zip[person].tolist(),
            people.city[person].tolist(),
            cust_state.tolist(),
            strict=True,
        )
    ]

    # --- order value and item count ----------------------------------------------------------------------
    # Drawn totals are what customers paid; items are worth a little less (interest on instalments).
    drawn = np.rint(order_values(rng, cal, n) * (1 - INTEREST_SHARE) * 100).astype(np.int64)
    if ctx.real is not None:
        value = np.where(real_pos >= 0, ctx.real.total_cents[np.maximum(real_pos, 0)], drawn)
    else:
        value = drawn
    value = np.maximum(value, MIN_PRICE_CENTS)
    has_items = ~plan.no_items[sl]
    k = np.zeros(n, dtype=np.int64)
    k[has_items] = couple(
        sample_counts(rng, facts.ITEMS_PER_ORDER, int(has_items.sum())), value[has_items], rng, noise=0.35
    )

    # --- items -------------------------------------------------------------------------------------------
    item_order = np.repeat(np.arange(n), k)
    item_no = np.arange(item_order.size) - np.repeat(np.cumsum(k) - k, k) + 1
    unit_target = value[item_order] / 100 * (1 - FREIGHT_SHARE_GUESS) / k[item_order]
    product = ctx.assortment.pick(rng, unit_target * rng.lognormal(0, 0.15, item_order.size), FRESH_PRODUCT_RATE)
    same = (k > 1) & (rng.random(n) < facts.SAME_PRODUCT_IN_MULTI_ITEM_ORDER)
    first_item = np.cumsum(k) - k
    repeat = same[item_order]
    product[repeat] = product[first_item[item_order[repeat]]]
    seller_state = ctx.assortment.seller_state[product]
    buyer_state = cust_state[item_order]
    distance = np.where(
        seller_state == buyer_state, 0.0, np.where(REGION[seller_state] == REGION[buyer_state], 4.0, 9.0)
    )
    freight = (8.0 + 2.6 * ctx.assortment.weight_kg[product] ** 0.8 + distance) * rng.lognormal(0, 0.25, product.size)
    freight[repeat] = freight[first_item[item_order[repeat]]]
    order_freight = np.bincount(item_order, weights=freight, minlength=n)
    value_units = value / 100
    too_much = order_freight > 0.6 * value_units  # cheap orders: freight cannot eat the whole value
    shrink = np.where(too_much, 0.6 * value_units / np.maximum(order_freight, 1e-9), 1.0)
    freight_cents = np.rint(freight * shrink[item_order] * 100).astype(np.int64)
    budget = value - np.bincount(item_order, weights=freight_cents, minlength=n).astype(np.int64)
    base = ctx.assortment.base_price[product]
    base[repeat] = base[first_item[item_order[repeat]]]
    share = base / np.bincount(item_order, weights=base, minlength=n)[item_order]
    price_cents = np.maximum(np.floor(budget[item_order] * share).astype(np.int64), MIN_PRICE_CENTS)

    # --- order dates -------------------------------------------------------------------------------------
    # The main seller (first item) decides how far the parcel travels.
    lead_state = cust_state.copy()
    lead_state[k > 0] = seller_state[first_item[k > 0]]
    hop = np.where(lead_state == cust_state, 3.5, np.where(REGION[lead_state] == REGION[cust_state], 7.0, 12.0))
    kind = rng.random(n)
    approve_delay = np.where(
        kind < 0.6,
        rng.integers(60, 1800, n),
        np.where(kind < 0.87, rng.integers(1800, DAY, n), rng.integers(DAY, 4 * DAY, n)),
    )
    approved = purchase + approve_delay
    carrier = approved + np.maximum(_lognormal_days(rng, 1.8, 0.8, n), 3 * 3600)
    delivered = carrier + _lognormal_days(rng, hop, 0.5, n)
    estimated = _midnight(purchase) + (np.rint(hop + 2.5 + rng.normal(13, 4.5, n)).clip(3, 120)).astype(np.int64) * DAY
    carrier = np.minimum(carrier, cut - DAY)
    delivered = np.minimum(delivered, cut - rng.integers(0, DAY, n))
    approved_out = np.where(plan.approved_null[sl], NULL_TIME, approved)
    carrier_out = np.where(plan.carrier_null[sl], NULL_TIME, carrier)
    delivered_out = np.where(plan.customer_null[sl], NULL_TIME, delivered)
    status_names = [STATUSES[s] for s in status.tolist()]
    orders = [
        f"{quote_id(o)},{quote_id(c)},{st},{p},{a},{ca},{cu},{e}"
        for o, c, st, p, a, ca, cu, e in zip(
            order_ids,
            customer_ids,
            status_names,
            format_times(purchase),
            format_times(approved_out),
            format_times(carrier_out),
            format_times(delivered_out),
            format_times(estimated),
            strict=True,
        )
    ]
    limit = approved + (np.rint(rng.normal(6, 1.5, n)).clip(1, 30) * DAY).astype(np.int64)
    product_ids = [ctx.products.ids[j] for j in product.tolist()]
    seller_ids = [ctx.sellers.ids[ctx.assortment.seller_of[j]] for j in product.tolist()]
    items = [
        f"{o},{no},{p},{s},{t},{pr},{fr}"
        for o, no, p, s, t, pr, fr in zip(
            [quote_id(order_ids[i]) for i in item_order.tolist()],
            item_no.tolist(),
            quote_ids(product_ids),
            quote_ids(seller_ids),
            format_times(limit[item_order]),
            format_money(price_cents),
            format_money(freight_cents),
            strict=True,
        )
    ]

    # --- payments (generated only when no real payments file is used) -------------------------------------
    items_value = np.bincount(item_order, weights=price_cents + freight_cents, minlength=n).astype(np.int64)
    paid_value = np.where(k > 0, items_value, value)
    payments = []
    if ctx.real is None:
        payments = _payments(rng, cal["payments"], order_ids, paid_value, plan.has_payment[sl])

    # --- reviews -----------------------------------------------------------------------------------------
    was_delivered = ~plan.customer_null[sl]
    late = was_delivered & (delivered > estimated)
    reviews = _reviews(rng, order_ids, was_delivered, late, delivered, estimated, purchase, cut)
    return {
        "customers": customers,
        "orders": orders,
        "order_items": items,
        "order_payments": payments,
        "order_reviews": reviews,
    }


def _payments(
    rng: np.random.Generator, cal: dict, order_ids: list[str], value: np.ndarray, has_payment: np.ndarray
) -> list[str]:
    n = len(order_ids)
    count = sample_counts(rng, cal["payments_per_order"], n)
    single = cal["single_types"]
    single_type = np.asarray(list(single))[rng.choice(len(single), n, p=_p(single.values()))]
    patterns = cal["multi_patterns"]
    pattern = np.asarray(list(patterns))[rng.choice(len(patterns), n, p=_p(patterns.values()))]
    multi = cal["multi_non_voucher_types"]
    multi_type = np.asarray(list(multi))[rng.choice(len(multi), n, p=_p(multi.values()))]
    table = cal["card_installments_by_total"]
    bucket = np.searchsorted(np.asarray(table["edges"]) * 100, value, side="right")
    installments = np.ones(n, dtype=np.int64)
    for b, counts in enumerate(table["counts"]):
        where = np.flatnonzero(bucket == b)
        installments[where] = rng.choice(len(counts), where.size, p=_p(counts))
    interest = rng.random(n) < INTEREST_RATE
    rate = rng.uniform(0.01, 0.12, n)
    u = rng.random((n, 2))
    lines: list[str] = []
    for i in np.flatnonzero(has_payment).tolist():
        m = int(count[i])
        if m == 1:
            kinds = [str(single_type[i])]
        elif pattern[i] == "all_vouchers":
            kinds = ["voucher"] * m
        else:
            kinds = ["voucher"] * m
            at = 0 if pattern[i] == "first" else 1 + int(u[i, 0] * (m - 1))
            kinds[at] = str(multi_type[i])
        inst = [int(installments[i]) if kind == "credit_card" else 1 for kind in kinds]
        total = int(value[i])
        if interest[i] and max(inst) >= 2:
            total = round(total * (1 + rate[i]))
        if m == 1:
            parts = [total]
        else:
            # Vouchers cover slices of the order; a card or debit payment pays the larger rest.
            weights = rng.dirichlet(np.ones(m))
            payer = [j for j, x in enumerate(kinds) if x != "voucher"]
            if payer:
                weights[payer[0]] += 1.5
            parts = np.floor(weights / weights.sum() * total).astype(np.int64).tolist()
            parts[int(np.argmax(parts))] += total - sum(parts)
        oid = quote_id(order_ids[i])
        for seq, (kind, installment, cents) in enumerate(zip(kinds, inst, parts, strict=True), start=1):
            lines.append(f"{oid},{seq},{kind},{installment},{cents // 100}.{cents % 100:02d}")
    return lines


def _p(values) -> np.ndarray:
    v = np.asarray(list(values), dtype=float)
    return v / v.sum()


def _reviews(
    rng: np.random.Generator,
    order_ids: list[str],
    was_delivered: np.ndarray,
    late: np.ndarray,
    delivered: np.ndarray,
    estimated: np.ndarray,
    purchase: np.ndarray,
    cut: int,
) -> list[str]:
    n = len(order_ids)
    per_order = sample_counts(rng, facts.REVIEWS_PER_ORDER, n)
    order_of = np.repeat(np.arange(n), per_order)
    rows = order_of.size
    nth = np.arange(rows) - np.repeat(np.cumsum(per_order) - per_order, per_order)
    group = np.where(was_delivered, np.where(late, 1, 0), 2)[order_of]
    score = np.zeros(rows, dtype=np.int64)
    for g, dist in enumerate((SCORES_ON_TIME, SCORES_LATE, SCORES_UNDELIVERED)):
        where = np.flatnonzero(group == g)
        score[where] = 1 + rng.choice(5, where.size, p=dist)
    days_after = rng.choice([0, 1, 2, 3, 5], rows, p=[0.15, 0.6, 0.12, 0.08, 0.05])
    after_delivery = _midnight(delivered[order_of]) + days_after * DAY
    expected_by = np.maximum(estimated[order_of], purchase[order_of] + 3 * DAY)
    undelivered = _midnight(expected_by) + rng.integers(0, 4, rows) * DAY
    created = np.where(was_delivered[order_of], after_delivery, undelivered) + nth * rng.integers(1, 20, rows) * DAY
    created = np.minimum(created, _midnight(np.asarray(cut)))
    answered = np.minimum(created + _lognormal_days(rng, 1.2, 1.0, rows) + rng.integers(3600, 6 * 3600, rows), cut)
    has_title = rng.random(rows) < facts.REVIEW_TITLE_RATE
    has_message = rng.random(rows) < np.asarray(MESSAGE_RATE_BY_SCORE)[score - 1]
    ids = hex_ids(rng, rows)
    repeat = rng.random(rows) < facts.REPEATED_REVIEW_ID_RATE
    repeat[:1] = False
    created_s, answered_s = format_times(created), format_times(answered)
    lines: list[str] = []
    previous = ("", "")
    for r in range(rows):
        order = quote_id(order_ids[order_of[r]])
        if repeat[r] and order_of[r - 1] != order_of[r]:
            # The same review filed for another order (real review ids repeat across orders like this).
            lines.append(f"{previous[0]},{order},{previous[1]}")
            continue
        mood = SENTIMENT[score[r] - 1]
        title = texts.TITLES[mood][int(rng.integers(len(texts.TITLES[mood])))] if has_title[r] else ""
        message = ""
        if has_message[r]:
            pool = texts.MESSAGES[mood]
            parts = [pool[int(j)] for j in rng.integers(len(pool), size=int(rng.integers(1, 4)))]
            joiners = [texts.JOINERS[int(j)] for j in rng.integers(len(texts.JOINERS), size=len(parts) - 1)]
            message = parts[0]
            for joiner, part in zip(joiners, parts[1:], strict=True):
                # "bom. Chegou" but "bom, chegou": drop the full stop before a comma or space.
                message = (message.rstrip(".!") if joiner in (", ", " ") else message) + joiner + part
        previous = (
            quote_id(ids[r]),
            f"{score[r]},{quote_text(title)},{quote_text(message)},{created_s[r]},{answered_s[r]}",
        )
        lines.append(f"{previous[0]},{order},{previous[1]}")
    return lines
