"""Seeding the simulated inventory from the products file (generated or real).

Prices are calibrated from the order items file when it is there (each product's mean item price; a product
never sold gets a draw around its category's median), else drawn per category (a lognormal around a category
base price: the same category always gets the same base). Stock levels are small random numbers, so the
popular products run out and orders get rejected, as in a real shop.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import random
import statistics
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from olist_dw.errors import UserFacingError
from olist_dw.sim.core import InventoryItem

PRODUCTS_FILE = "olist_products_dataset.csv"
ORDER_ITEMS_FILE = "olist_order_items_dataset.csv"
CENT = Decimal("0.01")


def _find(source_dir: Path, file_name: str) -> Path | None:
    """The file as a user has it: plain CSV, or gzip-compressed beside it."""
    for candidate in (source_dir / file_name, source_dir / f"{file_name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed by the caller's `with`)


def read_products(source_dir: Path) -> list[tuple[str, str | None]]:
    """(product_id, category) of every product; a clear error names the file when it is missing or wrong."""
    path = _find(source_dir, PRODUCTS_FILE)
    if path is None:
        raise UserFacingError(
            f"no {PRODUCTS_FILE} in {source_dir}: run `olist-dw generate` or set OLIST_SOURCE_DIR to the Olist files"
        )
    with _open_text(path) as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "product_id" not in reader.fieldnames:
            raise UserFacingError(f"{path}: header has no product_id column (got {reader.fieldnames})")
        return [(row["product_id"], row.get("product_category_name") or None) for row in reader]


def read_item_prices(source_dir: Path) -> dict[str, list[Decimal]]:
    path = _find(source_dir, ORDER_ITEMS_FILE)
    prices: dict[str, list[Decimal]] = defaultdict(list)
    if path is None:
        return prices
    with _open_text(path) as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                prices[row["product_id"]].append(Decimal(row["price"]))
            except Exception as err:
                raise UserFacingError(f"{path}, line {line}: unreadable price {row.get('price')!r}") from err
    return prices


def _category_base_price(category: str | None) -> float:
    """A stable base price per category: 15..400 BRL on a log scale, from a hash of its name."""
    digest = hashlib.sha256((category or "").encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64
    return math.exp(math.log(15) + unit * (math.log(400) - math.log(15)))


def build_inventory(source_dir: Path, seed: int, stock_max: int) -> list[InventoryItem]:
    products = read_products(source_dir)
    item_prices = read_item_prices(source_dir)
    rng = random.Random(seed)
    category_medians: dict[str | None, float] = {}
    by_category: dict[str | None, list[float]] = defaultdict(list)
    for product_id, category in products:
        for price in item_prices.get(product_id, ()):
            by_category[category].append(float(price))
    for category, values in by_category.items():
        category_medians[category] = statistics.median(values)

    inventory = []
    ranks = list(range(len(products)))
    rng.shuffle(ranks)
    for (product_id, category), rank in zip(products, ranks, strict=True):
        sold = item_prices.get(product_id)
        if sold:
            price = (sum(sold, Decimal(0)) / len(sold)).quantize(CENT)
        else:
            base = category_medians.get(category) or _category_base_price(category)
            price = Decimal(str(max(0.85, round(base * rng.lognormvariate(0, 0.5), 2)))).quantize(CENT)
        inventory.append(InventoryItem(product_id, category, price, rng.randint(1, stock_max), rank))
    return inventory
