"""A small Olist-shaped dataset and a raw-schema loader for the dbt tests (and bench/dbt_build.py).

Stands in for the generator (`olist-dw generate`) and the batch loader until both exist: the CSVs
follow `olist_dw.contract` (headers, formats) and the loader types every column with
`contract.SQL_TYPES`, as the batch load does. Besides random rows, the data holds the cases the models
must handle: canceled/unavailable orders with items, orders without items or payments, late and
on-time deliveries, people with several customer_ids, a review id shared by two orders, an order with
two reviews, products without category or with an untranslated one, city spellings with accents,
points outside Brazil and a customer zip prefix missing from geolocation.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from olist_dw.contract import SOURCES, SOURCES_BY_TABLE, SQL_TYPES, TIMESTAMP_FORMAT

TRANSLATED = {
    "beleza_saude": "health_beauty",
    "informatica_acessorios": "computers_accessories",
    "cama_mesa_banho": "bed_bath_table",
    "esporte_lazer": "sports_leisure",
}
UNTRANSLATED = "pc_gamer"
CITIES = [  # (zip prefix, state, spellings as found in the geolocation source)
    ("01037", "SP", ["sao paulo", "são paulo", "SAO PAULO "]),
    ("20040", "RJ", ["rio de janeiro"]),
    ("30130", "MG", ["belo horizonte"]),
    ("80010", "PR", ["curitiba"]),
    ("69005", "AM", ["manaus"]),
]
ZIP_WITHOUT_GEOLOCATION = ("99999", "RS", "lugar nenhum")
STATUS_WEIGHTS = {
    "delivered": 70,
    "shipped": 6,
    "canceled": 6,
    "unavailable": 6,
    "invoiced": 4,
    "processing": 4,
    "created": 2,
    "approved": 2,
}


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _ts(value: datetime | None) -> str:
    return value.strftime(TIMESTAMP_FORMAT) if value else ""


def build_rows(n_orders: int, seed: int = 7, geolocation_per_zip: int = 6) -> dict[str, list[list]]:
    """Rows of the nine tables (lists in contract column order) for `n_orders` orders."""
    rng = random.Random(seed)
    rows: dict[str, list[list]] = {s.table: [] for s in SOURCES}

    rows["product_category_name_translation"] = [[pt, en] for pt, en in TRANSLATED.items()]

    categories = [*TRANSLATED, UNTRANSLATED, None]
    products = []
    for i in range(max(8, n_orders // 3)):
        product_id = _hex(rng)
        category = categories[i % len(categories)]
        figures = [rng.randint(10, 60), rng.randint(50, 3000), rng.randint(1, 6)] if category else ["", "", ""]
        dims = [rng.randint(100, 30000), rng.randint(10, 100), rng.randint(2, 100), rng.randint(6, 100)]
        rows["products"].append([product_id, category or "", *figures, *dims])
        products.append(product_id)

    sellers = []
    for _ in range(max(4, n_orders // 20)):
        zip_prefix, state, spellings = rng.choice(CITIES)
        seller_id = _hex(rng)
        rows["sellers"].append([seller_id, zip_prefix, spellings[0], state])
        sellers.append(seller_id)

    for zip_prefix, state, spellings in CITIES:
        base_lat, base_lng = -10 - rng.random() * 15, -40 - rng.random() * 15
        for j in range(geolocation_per_zip):
            city = spellings[j % len(spellings)] if j < geolocation_per_zip - 1 else spellings[0]
            lat, lng = base_lat + rng.uniform(-0.01, 0.01), base_lng + rng.uniform(-0.01, 0.01)
            rows["geolocation"].append([zip_prefix, f"{lat:.14f}", f"{lng:.14f}", city, state])
        rows["geolocation"].append([zip_prefix, "42.18", "-8.72", spellings[0], state])  # a point abroad

    people: list[str] = []
    start = datetime(2017, 1, 1)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    review_ids: list[str] = []
    for i in range(n_orders):
        order_id, customer_id = _hex(rng), _hex(rng)
        person = rng.choice(people) if people and rng.random() < 0.15 else _hex(rng)
        people.append(person)
        if i == 0:
            zip_prefix, state, city = ZIP_WITHOUT_GEOLOCATION
        else:
            zip_prefix, state, spellings = rng.choice(CITIES)
            city = spellings[0]
        rows["customers"].append([customer_id, person, zip_prefix, city, state])

        status = rng.choices(statuses, weights)[0]
        purchased = start + timedelta(seconds=rng.randint(0, 300 * 86400))
        approved = purchased + timedelta(hours=rng.randint(1, 30)) if status not in ("created",) else None
        estimated = datetime.combine((purchased + timedelta(days=rng.randint(10, 30))).date(), datetime.min.time())
        carrier = delivered = None
        if status in ("delivered", "shipped"):
            carrier = approved + timedelta(days=rng.randint(1, 4))
        if status == "delivered":
            delivered = estimated + timedelta(days=rng.randint(-9, 6), hours=rng.randint(8, 20))
        rows["orders"].append(
            [order_id, customer_id, status, _ts(purchased), _ts(approved), _ts(carrier), _ts(delivered), _ts(estimated)]
        )

        has_items = not (status == "unavailable" and i % 2 == 0)
        for item in range(1, (rng.choice([1, 1, 1, 2, 3]) if has_items else 0) + 1):
            price = rng.randint(500, 50000) / 100
            freight = rng.randint(0, 5000) / 100
            rows["order_items"].append(
                [
                    order_id,
                    item,
                    rng.choice(products),
                    rng.choice(sellers),
                    _ts(purchased + timedelta(days=3)),
                    f"{price:.2f}",
                    f"{freight:.2f}",
                ]
            )

        if i % 50 != 1:  # a few orders have no payment row
            n_payments = 3 if i % 10 == 0 else 1
            total = rng.randint(1000, 60000)
            for seq in range(1, n_payments + 1):
                kind = "voucher" if n_payments > 1 else rng.choice(["credit_card", "boleto", "debit_card"])
                value = total // n_payments if seq < n_payments else total - (total // n_payments) * (n_payments - 1)
                installments = rng.randint(1, 10) if kind == "credit_card" else 1
                rows["order_payments"].append([order_id, seq, kind, installments, f"{value / 100:.2f}"])

        if status in ("delivered", "shipped", "canceled") and i % 7 != 3:
            reviews = 2 if i % 23 == 0 else 1  # some orders have two reviews
            for r in range(reviews):
                # one review id in 30 is reused for a second order, as in the source
                review_id = review_ids[-1] if (i % 30 == 0 and review_ids and r == 0) else _hex(rng)
                review_ids.append(review_id)
                created = datetime.combine((purchased + timedelta(days=15 + r * 5)).date(), datetime.min.time())
                answered = created + timedelta(days=1, hours=rng.randint(0, 40))
                title = rng.choice(["", "", "Ótimo", 'Produto "bom", recomendo'])
                message = rng.choice(["", "Chegou antes do prazo.\nRecomendo!", "Não recebi, péssimo"])
                rows["order_reviews"].append(
                    [review_id, order_id, rng.randint(1, 5), title, message, _ts(created), _ts(answered)]
                )
    return rows


def write_dataset(out_dir: Path, n_orders: int, seed: int = 7, geolocation_per_zip: int = 6) -> Path:
    """Write the nine CSVs (the translation file with a BOM and CRLF, as the real one) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = build_rows(n_orders, seed, geolocation_per_zip)
    for source in SOURCES:
        path = out_dir / source.file_name
        with path.open("w", encoding="utf-8-sig" if source.bom else "utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n" if source.crlf else "\n")
            writer.writerow(source.header)
            writer.writerows(rows[source.table])
    return out_dir


def load_raw(warehouse_path: Path, source_dir: Path, overrides: dict[str, Path] | None = None) -> dict[str, int]:
    """(Re)create schema `raw` in the DuckDB warehouse from the CSVs, typed by the contract.

    `overrides` maps a table to another file (e.g. a real, gzip-compressed Olist file).
    """
    overrides = overrides or {}
    counts = {}
    con = duckdb.connect(str(warehouse_path))
    try:
        con.execute("create schema if not exists raw")
        for table, source in SOURCES_BY_TABLE.items():
            columns = ", ".join(f"'{c.name}': '{SQL_TYPES[c.kind]}'" for c in source.columns)
            con.execute(
                f"create or replace table raw.{table} as select * from read_csv(?, header = true, "
                f"columns = {{{columns}}}, nullstr = '', quote = '\"', escape = '\"', "
                f"timestampformat = '%Y-%m-%d %H:%M:%S')",
                [str(overrides.get(table, source_dir / source.file_name))],
            )
            counts[table] = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
    finally:
        con.close()
    return counts
