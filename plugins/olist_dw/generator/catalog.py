"""Sellers and products (generated from the calibration, or read from real files), and how items pick them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from olist_dw.contract import SOURCES_BY_TABLE
from olist_dw.generator import facts
from olist_dw.generator.brazil import STATE_INDEX, STATES
from olist_dw.generator.files import quote_id, quote_text, read_rows
from olist_dw.generator.geography import Geography
from olist_dw.generator.randomness import allocate, couple, hex_ids, order_values, rng_for, sample_counts, scaled

# Price level of a category relative to what its weight suggests (public knowledge of the shop's catalogue).
CATEGORY_PRICE_FACTOR = {
    "pcs": 8.0, "pc_gamer": 5.0, "portateis_casa_forno_e_cafe": 5.0, "eletrodomesticos_2": 4.0,
    "agro_industria_e_comercio": 2.5, "instrumentos_musicais": 2.2, "relogios_presentes": 2.0, "climatizacao": 1.6,
    "moveis_escritorio": 1.5, "consoles_games": 1.3, "telefonia_fixa": 1.2, "eletronicos": 0.7, "telefonia": 0.6,
    "papelaria": 0.8, "livros_interesse_geral": 0.6, "livros_tecnicos": 0.9, "livros_importados": 0.7,
    "cds_dvds_musicais": 0.6, "dvds_blu_ray": 0.6, "flores": 0.5, "casa_conforto_2": 0.5, "artes_e_artesanato": 0.7,
}  # fmt: skip
PRICE_BINS = 48
PRICE_RANGE = (0.85, 7000.0)
MIN_PRICE_CENTS = 85
FREIGHT_SHARE_GUESS = 0.14  # freight's share of an order's value, used to aim item prices before freight is known


@dataclass
class Sellers:
    ids: list[str]
    state: np.ndarray  # int16 index into STATES
    lines: list[str] | None  # formatted rows when generated; None when the real file is copied


@dataclass
class Products:
    ids: list[str]
    category: list[str]
    weight_g: np.ndarray
    lines: list[str] | None


def generate_sellers(seed: int, scale: float, geo: Geography, calibration: dict, stream: str = "sellers") -> Sellers:
    rng = rng_for(seed, stream)
    states_table = calibration["sellers"]["states"]
    n = max(1, scaled(calibration["sellers"]["total"], scale))
    codes = [STATE_INDEX[s] for s in states_table]
    state = np.repeat(codes, allocate(n, list(states_table.values()))).astype(np.int16)
    state = rng.permutation(state)
    zips, cities = geo.sample_zips(rng, state, outside_rate=7 / facts.SELLERS)
    ids = hex_ids(rng, n)
    lines = [
        f'{quote_id(i)},"{z:05d}",{geo.city_quoted[c]},{STATES[s].code}'
        for i, z, c, s in zip(ids, zips.tolist(), cities.tolist(), state.tolist(), strict=True)
    ]
    return Sellers(ids, state, lines)


def read_sellers(path: Path) -> Sellers:
    ids, state = [], []
    for seller_id, _zip, _city, seller_state in read_rows(path, SOURCES_BY_TABLE["sellers"]):
        ids.append(seller_id)
        state.append(STATE_INDEX.get(seller_state, STATE_INDEX["SP"]))
    return Sellers(ids, np.asarray(state, dtype=np.int16), None)


def _interp(u: np.ndarray, quantiles: list[float]) -> np.ndarray:
    return np.interp(u, np.linspace(0, 1, len(quantiles)), quantiles)


def generate_products(seed: int, scale: float, calibration: dict, stream: str = "products") -> Products:
    rng = rng_for(seed, stream)
    cal = calibration["products"]
    n = max(1, scaled(cal["total"], scale))
    n_blank = min(n, scaled(cal["without_category"], scale))
    n_no_dims = min(n, scaled(cal["without_dimensions"], scale))
    names = list(cal["categories"])
    per_category = allocate(n - n_blank, list(cal["categories"].values()))
    category = rng.permutation(np.repeat(np.arange(-1, len(names)), [n_blank, *per_category]))
    no_dims = np.zeros(n, dtype=bool)
    no_dims[rng.choice(n, n_no_dims, replace=False)] = True
    photos = np.asarray([int(k) for k in cal["photos"]])
    photo_p = np.asarray(list(cal["photos"].values()), dtype=float)
    fields = {f: np.zeros(n) for f in cal["quantiles"]["_all"]}
    size_u = rng.random(n)  # one "size" per product keeps weight and dimensions coherent
    for c in range(-1, len(names)):
        where = np.flatnonzero(category == c)
        if where.size == 0:
            continue
        q = cal["quantiles"].get(names[c] if c >= 0 else "_none", cal["quantiles"]["_all"])
        for field, values in fields.items():
            quantiles = q.get(field, cal["quantiles"]["_all"][field])
            if field in ("product_name_lenght", "product_description_lenght"):
                u = rng.random(where.size)
            else:
                u = np.clip(size_u[where] + rng.normal(0, 0.12, where.size), 0, 1)
            values[where] = _interp(u, quantiles)
    photo_qty = photos[rng.choice(photos.size, n, p=photo_p / photo_p.sum())]
    ids = hex_ids(rng, n)
    category_names = [names[c] if c >= 0 else "" for c in category.tolist()]
    ints = {f: np.rint(v).astype(np.int64).tolist() for f, v in fields.items()}
    lines = []
    for j in range(n):
        if category[j] >= 0:
            described = f"{ints['product_name_lenght'][j]},{ints['product_description_lenght'][j]},{photo_qty[j]}"
        else:
            described = ",,"
        if no_dims[j]:
            dims = ",,,"
        else:
            dims = (
                f"{ints['product_weight_g'][j]},{ints['product_length_cm'][j]},"
                f"{ints['product_height_cm'][j]},{ints['product_width_cm'][j]}"
            )
        lines.append(f"{quote_id(ids[j])},{quote_text(category_names[j])},{described},{dims}")
    weight = np.where(no_dims, np.nan, fields["product_weight_g"])
    return Products(ids, category_names, weight, lines)


def read_products(path: Path) -> Products:
    ids, category, weight = [], [], []
    for row in read_rows(path, SOURCES_BY_TABLE["products"]):
        ids.append(row[0])
        category.append(row[1])
        weight.append(float(row[5]) if row[5] else np.nan)
    return Products(ids, category, np.asarray(weight), None)


class Assortment:
    """Which product (and seller) an item of a given price picks: products sit in price bins, and
    within a bin popular products are picked more often."""

    def __init__(self, seed: int, products: Products, sellers: Sellers, calibration: dict):
        rng = rng_for(seed, "assortment")
        n, n_sellers = len(products.ids), len(sellers.ids)
        weight = np.nan_to_num(products.weight_g, nan=700.0)
        self.weight_kg = np.maximum(weight, 50.0) / 1000.0
        # Every seller gets at least one product, then products go to sellers by a skewed popularity.
        seller_pop = rng.lognormal(0, 1.5, n_sellers)
        first = min(n, n_sellers)
        self.seller_of = rng.choice(n_sellers, size=n, p=seller_pop / seller_pop.sum())
        self.seller_of[rng.permutation(n)[:first]] = rng.permutation(n_sellers)[:first]
        self.seller_state = sellers.state[self.seller_of]
        # Base price: products rank by their category's level and their weight; the prices along that ranking
        # follow what orders spend per item, so that every price range has products to sell.
        names, category_of = np.unique(np.asarray(products.category, dtype=object).astype(str), return_inverse=True)
        medians = np.asarray([np.median(weight[category_of == c]) for c in range(names.size)])
        median = np.maximum(medians[category_of], 50)
        level = np.asarray([CATEGORY_PRICE_FACTOR.get(str(c), 1.0) for c in names])[category_of]
        score = np.log(level * (median / 300) ** 0.35 * (np.maximum(weight, 50) / median) ** 0.5)
        items_per_order = sample_counts(rng, facts.ITEMS_PER_ORDER, n)
        demand = order_values(rng, calibration, n) * (1 - FREIGHT_SHARE_GUESS) / items_per_order
        self.base_price = np.maximum(couple(demand, score, rng, noise=0.25), PRICE_RANGE[0])
        low, high = np.log(PRICE_RANGE[0]), np.log(PRICE_RANGE[1])
        self._low, self._width = low, (high - low) / PRICE_BINS
        price_bin = np.clip(((np.log(self.base_price) - low) / self._width).astype(int), 0, PRICE_BINS - 1)
        shuffled = rng.permutation(n)
        self._order = shuffled[np.argsort(price_bin[shuffled], kind="stable")]  # by bin, random within a bin
        popularity = rng.lognormal(0, 1.0, n)[self._order]
        self._cum = np.cumsum(popularity)
        sorted_bins = price_bin[self._order]
        starts = np.searchsorted(sorted_bins, np.arange(PRICE_BINS), side="left")
        ends = np.searchsorted(sorted_bins, np.arange(PRICE_BINS), side="right")
        filled = np.flatnonzero(ends > starts)
        self._nearest = filled[np.abs(np.arange(PRICE_BINS)[:, None] - filled[None, :]).argmin(axis=1)]
        self._start, self._end = starts, ends
        self._next_fresh = np.zeros(PRICE_BINS, dtype=np.int64)  # round-robin position within each bin

    def pick(self, rng: np.random.Generator, unit_price: np.ndarray, fresh_rate: float) -> np.ndarray:
        """A product index for each target unit price: mostly by popularity within the price bin; a share
        `fresh_rate` takes the bin's next product in turn, so that (nearly) every product gets sold."""
        position = (np.log(np.maximum(unit_price, PRICE_RANGE[0])) - self._low) / self._width
        bins = self._nearest[np.clip(position.astype(int), 0, PRICE_BINS - 1)]
        start, end = self._start[bins], self._end[bins]
        below = np.where(start > 0, self._cum[np.maximum(start - 1, 0)], 0.0)
        target = below + rng.random(unit_price.size) * (self._cum[end - 1] - below)
        pos = np.clip(np.searchsorted(self._cum, target, side="right"), start, end - 1)
        fresh = rng.random(unit_price.size) < fresh_rate
        for b in np.unique(bins[fresh]).tolist():
            where = np.flatnonzero(fresh & (bins == b))
            size = self._end[b] - self._start[b]
            pos[where] = self._start[b] + (self._next_fresh[b] + np.arange(where.size)) % size
            self._next_fresh[b] += where.size
        return self._order[pos]
