"""Later releases of the same dataset: what changed in the shop after the first release's data cut.

Release 1 is the dataset as `generate()` always wrote it. Release 2 holds every row of release 1, except that
- some sellers moved: another state, so another zip prefix and city (MOVED_SELLER_RATE);
- some products changed: another category (RECATEGORISED_PRODUCT_RATE) or new weight and dimensions
  (RESIZED_PRODUCT_RATE, never the same product as a category change);
- new sellers, products and orders appear, the orders placed after release 1's last day
  (RELEASE_2_PERIOD), buying from the whole catalogue of release 2 (changed and new products included).
Each draw comes from its own seeded stream, so release 2 is deterministic from (scale, seed) and release 1's
rows keep their bytes. The files stay current-state extracts, like Olist's: nothing in them says what changed
or when; the warehouse's snapshots find out by comparing releases.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from olist_dw.errors import UserFacingError
from olist_dw.generator.brazil import STATE_INDEX, STATES
from olist_dw.generator.catalog import Products, Sellers, generate_products, generate_sellers
from olist_dw.generator.files import quote_id, quote_text
from olist_dw.generator.geography import Geography
from olist_dw.generator.orders import OrderPeriod
from olist_dw.generator.randomness import rng_for

RELEASES = (1, 2)
MOVED_SELLER_RATE = 0.05
RECATEGORISED_PRODUCT_RATE = 0.03
RESIZED_PRODUCT_RATE = 0.03
NEW_SELLER_RATE = 0.04
NEW_PRODUCT_RATE = 0.04
RESIZE_FACTORS = (0.6, 0.85, 1.2, 1.6)  # weight multipliers of a re-measured product (never ~1: a visible change)
# Orders at scale 1 placed after release 1's last purchase day (2018-10-17); the files end on 2018-12-31.
RELEASE_2_PERIOD = OrderPeriod(
    orders_per_month={"2018-10": 3_000, "2018-11": 6_900, "2018-12": 3_300},
    first_purchase="2018-10-18",
    last_purchase="2018-12-15",
    data_cut="2018-12-31 23:59:59",
    stream_prefix="release-2-",
)


def check_release(release: int, real_dir: object | None) -> None:
    """A clear error for a release the generator cannot write."""
    if release not in RELEASES:
        raise UserFacingError(f"release {release} is not one of {', '.join(map(str, RELEASES))}")
    if release > 1 and real_dir is not None:
        raise UserFacingError(
            f"release {release} changes generated products and sellers: it cannot be combined with real files "
            f"({real_dir}), which are copied byte for byte"
        )


@dataclass(frozen=True)
class Catalogue:
    sellers: Sellers
    products: Products


def _fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def _pick(rng: np.random.Generator, population: np.ndarray, rate: float, scale_count: int) -> np.ndarray:
    """A sorted sample of `population`: `rate` of `scale_count` rows, at least one when there is any."""
    count = min(population.size, max(1, round(rate * scale_count)))
    return np.sort(rng.choice(population, size=count, replace=False)) if population.size else population


def move_sellers(seed: int, sellers: Sellers, geo: Geography, calibration: dict) -> Sellers:
    """Release 2's sellers: a share moved to another state (new zip and city), the rest as they were."""
    assert sellers.lines is not None, "only generated sellers change between releases"
    rng = rng_for(seed, "release-2-moved-sellers")
    moved = _pick(rng, np.arange(len(sellers.ids)), MOVED_SELLER_RATE, len(sellers.ids))
    table = calibration["sellers"]["states"]
    codes = np.asarray([STATE_INDEX[s] for s in table])
    weights = np.asarray(list(table.values()), dtype=float)
    state, lines = sellers.state.copy(), list(sellers.lines)
    for i in moved.tolist():
        allowed = codes != state[i]
        new_state = int(rng.choice(codes[allowed], p=weights[allowed] / weights[allowed].sum()))
        zips, cities = geo.sample_zips(rng, np.asarray([new_state], dtype=np.int16), outside_rate=0.0)
        state[i] = new_state
        city = geo.city_quoted[int(cities[0])]
        lines[i] = f'{quote_id(sellers.ids[i])},"{int(zips[0]):05d}",{city},{STATES[new_state].code}'
    return Sellers(list(sellers.ids), state, lines)


def change_products(seed: int, products: Products, calibration: dict) -> Products:
    """Release 2's products: a share in another category, another share re-measured (weight and sizes)."""
    assert products.lines is not None, "only generated products change between releases"
    rng = rng_for(seed, "release-2-changed-products")
    n = len(products.ids)
    names = list(calibration["products"]["categories"])
    weights = np.asarray(list(calibration["products"]["categories"].values()), dtype=float)
    categorised = np.flatnonzero(np.asarray([c != "" for c in products.category]))
    recategorised = _pick(rng, categorised, RECATEGORISED_PRODUCT_RATE, n)
    measured = np.setdiff1d(np.flatnonzero(~np.isnan(products.weight_g)), recategorised)
    resized = _pick(rng, measured, RESIZED_PRODUCT_RATE, n)
    category, weight, lines = list(products.category), products.weight_g.copy(), list(products.lines)
    for i in recategorised.tolist():
        allowed = np.asarray([name != category[i] for name in names])
        category[i] = str(rng.choice(np.asarray(names)[allowed], p=weights[allowed] / weights[allowed].sum()))
        fields = _fields(lines[i])
        lines[i] = ",".join([quote_id(fields[0]), quote_text(category[i]), *fields[2:]])
    for i in resized.tolist():
        fields = _fields(lines[i])
        factor = float(rng.choice(RESIZE_FACTORS))
        new_weight = max(1, round(int(fields[5]) * factor))
        sizes = [max(1, round(int(v) * factor ** (1 / 3))) for v in fields[6:9]]
        weight[i] = new_weight
        lines[i] = ",".join(
            [quote_id(fields[0]), quote_text(fields[1]), *fields[2:5], str(new_weight), *map(str, sizes)]
        )
    return Products(list(products.ids), category, weight, lines)


def release_two_catalogue(
    seed: int, scale: float, geo: Geography, sellers: Sellers, products: Products, calibration: dict
) -> Catalogue:
    """The sellers and products of release 2: release 1's with the changes above, then the new ones."""
    moved = move_sellers(seed, sellers, geo, calibration)
    changed = change_products(seed, products, calibration)
    new_sellers = generate_sellers(seed, scale * NEW_SELLER_RATE, geo, calibration, stream="release-2-new-sellers")
    new_products = generate_products(seed, scale * NEW_PRODUCT_RATE, calibration, stream="release-2-new-products")
    assert moved.lines is not None and new_sellers.lines is not None
    assert changed.lines is not None and new_products.lines is not None
    return Catalogue(
        Sellers(
            [*moved.ids, *new_sellers.ids],
            np.concatenate([moved.state, new_sellers.state]),
            [*moved.lines, *new_sellers.lines],
        ),
        Products(
            [*changed.ids, *new_products.ids],
            [*changed.category, *new_products.category],
            np.concatenate([changed.weight_g, new_products.weight_g]),
            [*changed.lines, *new_products.lines],
        ),
    )
