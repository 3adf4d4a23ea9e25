"""`generate()`: write the nine Olist-shaped CSV files for a scale and seed, optionally around real files.

Files are written into a temporary folder inside `out` and renamed into place at the end, so a failed or
interrupted run never leaves a half-written file under a real file's name.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from olist_dw.contract import SOURCES, SOURCES_BY_TABLE
from olist_dw.errors import UserFacingError
from olist_dw.generator import facts
from olist_dw.generator.brazil import OUTSIDE_BRAZIL, STATE_CODES
from olist_dw.generator.calibration import load_calibration
from olist_dw.generator.catalog import (
    Assortment,
    generate_products,
    generate_sellers,
    read_products,
    read_sellers,
)
from olist_dw.generator.categories import TRANSLATION
from olist_dw.generator.files import CsvOut, copy_decompressed, find_real_files, quote_text
from olist_dw.generator.geography import Geography, generate_geography, read_geography
from olist_dw.generator.orders import Context, People, generate_chunk, plan_orders, read_payments
from olist_dw.generator.randomness import rng_for, scaled
from olist_dw.generator.releases import RELEASE_2_PERIOD, check_release, release_two_catalogue

MIN_SCALE, MAX_SCALE = 0.001, 10.0
ORDER_CHUNK = 10_000
GEO_ZIP_CHUNK = 1_000
GEO_OUTSIDE_BRAZIL = 29  # rows pointing outside Brazil at scale 1
GEO_VARIANT_RATE = 0.12  # geolocation rows spelling the city with its accents
# Real files that the generator can build the others around; the rest only come as a complete set.
KEY_FILES = {"products", "sellers", "order_payments", "product_category_name_translation", "geolocation"}
SOURCES_BY_FILE_TABLE = {s.file_name: s.table for s in SOURCES}
ORDER_FILES = ("customers", "orders", "order_items", "order_payments", "order_reviews")


@dataclass(frozen=True)
class FileSummary:
    file_name: str
    rows: int
    bytes: int
    origin: str  # "generated" or "real"


def _progress(total: int, quiet: bool):
    from tqdm import tqdm

    return tqdm(
        total=total, unit=" rows", unit_scale=True, desc="generate", file=sys.stderr,
        disable=quiet or not sys.stderr.isatty(), leave=False,
    )  # fmt: skip


def generate(
    out: Path | str,
    scale: float = 1.0,
    seed: int = 42,
    real_dir: Path | str | None = None,
    quiet: bool = True,
    release: int = 1,
) -> list[FileSummary]:
    """Write the nine files into `out`; real files found in `real_dir` are copied byte for byte and the
    generated files reference their keys. With a real payments file, orders are generated for exactly its
    order ids (plus one without payment), so the scale follows that file. `release` 2 writes the later
    release of the same (scale, seed) dataset (olist_dw.generator.releases). Returns one summary per file,
    in contract order."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise UserFacingError(f"scale {scale} is outside {MIN_SCALE} .. {MAX_SCALE} (1.0 = the real dataset's size)")
    check_release(release, real_dir)
    real = {SOURCES_BY_FILE_TABLE[name]: path for name, path in find_real_files(real_dir).items()}
    if set(real) - KEY_FILES and len(real) < len(SOURCES):
        extra = ", ".join(sorted(SOURCES_BY_TABLE[t].file_name for t in set(real) - KEY_FILES))
        raise UserFacingError(
            f"{real_dir}: {extra} can only be used as part of the complete set of nine real files; "
            f"mixed mode builds around products, sellers, payments, translation and geolocation"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".olist-generate-", dir=out))
    try:
        rows = _write_all(work, scale, seed, real, quiet, release)
        summaries = []
        for source in SOURCES:
            os.replace(work / source.file_name, out / source.file_name)
            origin = "real" if source.table in real else "generated"
            size = (out / source.file_name).stat().st_size
            summaries.append(FileSummary(source.file_name, rows[source.table], size, origin))
        return summaries
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _count_rows(path: Path) -> int:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _write_all(
    work: Path, scale: float, seed: int, real: dict[str, Path], quiet: bool, release: int = 1
) -> dict[str, int]:
    calibration = load_calibration()
    rows: dict[str, int] = {}
    if len(real) == len(SOURCES):  # nothing to generate: the complete real dataset
        for table, path in real.items():
            target = work / SOURCES_BY_TABLE[table].file_name
            copy_decompressed(path, target)
            rows[table] = _count_rows(target)
        return rows
    for table, path in real.items():
        target = work / SOURCES_BY_TABLE[table].file_name
        copy_decompressed(path, target)
        rows[table] = _count_rows(target)

    payments = read_payments(real["order_payments"]) if "order_payments" in real else None
    if payments is not None:  # the real payments fix the orders, and so the scale of everything around them
        scale = len(payments.order_ids) / facts.ORDERS
    geo = read_geography(real["geolocation"]) if "geolocation" in real else generate_geography(seed, scale)
    sellers = read_sellers(real["sellers"]) if "sellers" in real else generate_sellers(seed, scale, geo, calibration)
    products = read_products(real["products"]) if "products" in real else generate_products(seed, scale, calibration)
    plan = plan_orders(seed, scale, payments)
    # Release 1's orders are placed with release 1's catalogue; a later release adds its own orders after them.
    catalogue = release_two_catalogue(seed, scale, geo, sellers, products, calibration) if release == 2 else None
    later_plan = plan_orders(seed, scale, None, RELEASE_2_PERIOD) if catalogue is not None else None
    geo_rows = 0 if "geolocation" in real else max(geo.zip_code.size, scaled(facts.GEOLOCATION_ROWS, scale))
    expected = geo_rows + int((plan.n + (later_plan.n if later_plan else 0)) * 5.2)
    with _progress(expected, quiet) as bar:
        if "geolocation" not in real:
            with closing(CsvOut(work, SOURCES_BY_TABLE["geolocation"])) as geo_out:
                for lines in _geolocation_chunks(seed, scale, geo, geo_rows):
                    geo_out.write_lines(lines)
                    bar.update(len(lines))
            rows["geolocation"] = geo_out.rows
        written = (catalogue.sellers, catalogue.products) if catalogue is not None else (sellers, products)
        for table, generated in (("sellers", written[0].lines), ("products", written[1].lines)):
            if table not in real:
                assert generated is not None, f"{table}: generated rows are None only for a copied real file"
                with closing(CsvOut(work, SOURCES_BY_TABLE[table])) as handle:
                    handle.write_lines(generated)
                rows[table] = handle.rows
        if "product_category_name_translation" not in real:
            with closing(CsvOut(work, SOURCES_BY_TABLE["product_category_name_translation"])) as handle:
                handle.write_lines([f"{quote_text(pt)},{quote_text(en)}" for pt, en in TRANSLATION])
            rows["product_category_name_translation"] = handle.rows
        ctx = Context(
            seed, plan, geo, products, sellers, Assortment(seed, products, sellers, calibration), calibration, payments,
            People(plan.n),
        )  # fmt: skip
        contexts = [ctx]
        if catalogue is not None and later_plan is not None:
            contexts.append(
                Context(
                    seed, later_plan, geo, catalogue.products, catalogue.sellers,
                    Assortment(seed, catalogue.products, catalogue.sellers, calibration), calibration, None,
                    People(later_plan.n),
                )
            )  # fmt: skip
        outputs = {t: CsvOut(work, SOURCES_BY_TABLE[t]) for t in ORDER_FILES if t not in real}
        try:
            for context in contexts:
                for chunk, start in enumerate(range(0, context.plan.n, ORDER_CHUNK)):
                    produced = generate_chunk(context, chunk, start, min(start + ORDER_CHUNK, context.plan.n))
                    for table, handle in outputs.items():
                        handle.write_lines(produced[table])
                        bar.update(len(produced[table]))
        finally:
            for handle in outputs.values():
                handle.close()
        rows.update({t: h.rows for t, h in outputs.items()})
    return rows


def _geolocation_chunks(seed: int, scale: float, geo: Geography, total: int) -> Iterator[list[str]]:
    """Rows of the geolocation file, zip by zip: many points per prefix around its centre, the city spelt
    two ways, and a few points that a bad geocoder put outside Brazil."""
    rng = rng_for(seed, "geolocation")
    n_zips = geo.zip_code.size
    weight = geo.zip_weight**0.6
    counts = 1 + rng.multinomial(total - n_zips, weight / weight.sum())
    outside = np.sort(rng.choice(total, size=min(total, max(1, scaled(GEO_OUTSIDE_BRAZIL, scale))), replace=False))
    zip_text = np.asarray([f'"{z:05d}"' for z in geo.zip_code.tolist()], dtype=object)
    state_text = np.asarray(STATE_CODES, dtype=object)
    plain_text = np.asarray(geo.city_quoted, dtype=object)
    variant_text = np.asarray(geo.variant_quoted, dtype=object)
    offset = 0
    for chunk, z0 in enumerate(range(0, n_zips, GEO_ZIP_CHUNK)):
        crng = rng_for(seed, "geolocation", chunk)
        zips = np.repeat(np.arange(z0, min(z0 + GEO_ZIP_CHUNK, n_zips)), counts[z0 : z0 + GEO_ZIP_CHUNK])
        m = zips.size
        lat = geo.zip_lat[zips] + crng.normal(0, 0.008, m)
        lng = geo.zip_lng[zips] + crng.normal(0, 0.008, m)
        lo, hi = np.searchsorted(outside, [offset, offset + m])
        for row in (outside[lo:hi] - offset).tolist():
            place = OUTSIDE_BRAZIL[int(crng.integers(len(OUTSIDE_BRAZIL)))]
            lat[row], lng[row] = place[0] + crng.normal(0, 0.05), place[1] + crng.normal(0, 0.05)
        city = geo.zip_city[zips]
        city_text = np.where(crng.random(m) < GEO_VARIANT_RATE, variant_text[city], plain_text[city])
        yield [
            f"{z},{a!r},{b!r},{c},{s}"
            for z, a, b, c, s in zip(
                zip_text[zips].tolist(),
                lat.tolist(),
                lng.tolist(),
                city_text.tolist(),
                state_text[geo.zip_state[zips]].tolist(),
                strict=True,
            )
        ]
        offset += m
