"""Statistics of the real products, sellers and payments files that the generator draws from.

Only aggregates are stored (counts, frequencies, quantiles), never rows. `derive_calibration(folder)`
recomputes them from a folder of real files; `olist-dw generate --calibrate-from DIR` rewrites
calibration.json with the result.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import numpy as np

from olist_dw.contract import SOURCES_BY_TABLE
from olist_dw.errors import UserFacingError
from olist_dw.generator.files import find_real_files, read_rows

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
PRODUCT_FIELDS = (
    "product_name_lenght",
    "product_description_lenght",
    "product_weight_g",
    "product_length_cm",
    "product_height_cm",
    "product_width_cm",
)
QUANTILE_POINTS = 11  # deciles per category and field
# Order totals: every half percentile, then finer in the long upper tail (a few orders above R$ 10,000).
TOTAL_QUANTILE_PROBS = (
    *np.linspace(0, 0.99, 199).round(6).tolist(),
    *np.linspace(0.991, 0.999, 9).round(6).tolist(),
    0.9995,
    0.9999,
    1.0,
)
INSTALLMENT_BUCKETS = 10  # credit-card installments by decile of the order total
NEEDED = ("products", "sellers", "order_payments")


def _quantiles(values: list[float], points: int) -> list[float]:
    return [round(float(q), 2) for q in np.quantile(np.asarray(values, dtype=float), np.linspace(0, 1, points))]


def derive_calibration(folder: Path | str) -> dict:
    """Calibration statistics from the real products, sellers and payments files in `folder`."""
    files = find_real_files(folder)
    missing = [t for t in NEEDED if SOURCES_BY_TABLE[t].file_name not in files]
    if missing:
        names = ", ".join(SOURCES_BY_TABLE[t].file_name for t in missing)
        raise UserFacingError(f"calibration needs {names} (.csv or .csv.gz) in {folder}")
    return {
        "products": _products(files[SOURCES_BY_TABLE["products"].file_name]),
        "sellers": _sellers(files[SOURCES_BY_TABLE["sellers"].file_name]),
        "payments": _payments(files[SOURCES_BY_TABLE["order_payments"].file_name]),
    }


def _products(path: Path) -> dict:
    source = SOURCES_BY_TABLE["products"]
    index = {name: i for i, name in enumerate(source.header)}
    categories: Counter[str] = Counter()
    photos: Counter[str] = Counter()
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    total = without_category = without_dimensions = 0
    for row in read_rows(path, source):
        total += 1
        category = row[index["product_category_name"]]
        if category:
            categories[category] += 1
        else:
            without_category += 1
        if row[index["product_weight_g"]] == "":
            without_dimensions += 1
        if row[index["product_photos_qty"]]:
            photos[row[index["product_photos_qty"]]] += 1
        for field in PRODUCT_FIELDS:
            if row[index[field]]:
                values[category or "_none"][field].append(float(row[index[field]]))
                values["_all"][field].append(float(row[index[field]]))
    quantiles = {
        category: {field: _quantiles(v, QUANTILE_POINTS) for field, v in sorted(fields.items())}
        for category, fields in sorted(values.items())
    }
    return {
        "total": total,
        "without_category": without_category,
        "without_dimensions": without_dimensions,
        "categories": dict(sorted(categories.items())),
        "photos": dict(sorted(photos.items(), key=lambda kv: int(kv[0]))),
        "quantiles": quantiles,
    }


def _sellers(path: Path) -> dict:
    source = SOURCES_BY_TABLE["sellers"]
    states = Counter(row[3] for row in read_rows(path, source))
    return {"total": sum(states.values()), "states": dict(sorted(states.items()))}


def _payments(path: Path) -> dict:
    source = SOURCES_BY_TABLE["order_payments"]
    by_order: dict[str, list[tuple[int, str, int, float]]] = defaultdict(list)
    for order_id, sequential, kind, installments_text, value_text in read_rows(path, source):
        by_order[order_id].append((int(sequential), kind, int(installments_text), float(value_text)))
    per_order: Counter[int] = Counter()
    single_types: Counter[str] = Counter()
    patterns: Counter[str] = Counter()
    multi_types: Counter[str] = Counter()
    totals: list[float] = []
    card_rows: list[tuple[float, int]] = []
    vouchers = zero_vouchers = 0
    for payments in by_order.values():
        payments.sort()
        per_order[len(payments)] += 1
        total = sum((p[3] for p in payments), 0.0)
        totals.append(total)
        for _, kind, installments, value in payments:
            if kind == "credit_card":
                card_rows.append((total, installments))
            if kind == "voucher":
                vouchers += 1
                zero_vouchers += value == 0
        if len(payments) == 1:
            single_types[payments[0][1]] += 1
            continue
        others = [i for i, p in enumerate(payments) if p[1] != "voucher"]
        patterns["all_vouchers" if not others else "first" if others == [0] else "other"] += 1
        multi_types.update(payments[i][1] for i in others)
    edges = [round(float(e), 2) for e in np.quantile(totals, np.linspace(0, 1, INSTALLMENT_BUCKETS + 1)[1:-1])]
    max_installments = max(i for _, i in card_rows)
    installment_counts = [[0] * (max_installments + 1) for _ in range(INSTALLMENT_BUCKETS)]
    for order_total, count in card_rows:
        installment_counts[int(np.searchsorted(edges, order_total, side="right"))][count] += 1
    return {
        "orders": len(by_order),
        "rows": sum(per_order[k] * k for k in per_order),
        "payments_per_order": {str(k): per_order[k] for k in sorted(per_order)},
        "single_types": dict(single_types.most_common()),
        "multi_patterns": dict(patterns.most_common()),
        "multi_non_voucher_types": dict(multi_types.most_common()),
        "zero_value_voucher_rate": round(zero_vouchers / max(vouchers, 1), 6),
        "order_total_quantiles": {
            "probs": list(TOTAL_QUANTILE_PROBS),
            "values": [round(float(q), 2) for q in np.quantile(totals, TOTAL_QUANTILE_PROBS)],
        },
        "card_installments_by_total": {"edges": edges, "counts": installment_counts},
    }


def write_calibration(folder: Path | str, target: Path | str = CALIBRATION_PATH) -> Path:
    """Derive the calibration from real files and write it as JSON (stable bytes for the same input)."""
    target = Path(target)
    target.write_text(json.dumps(derive_calibration(folder), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    load_calibration.cache_clear()
    return target


@cache
def load_calibration(path: Path = CALIBRATION_PATH) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
