"""Zip prefixes, cities and coordinates: generated from public geography, or read from a real geolocation file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from olist_dw.contract import SOURCES_BY_TABLE
from olist_dw.generator import facts
from olist_dw.generator.brazil import LAT_RANGE, LNG_RANGE, STATE_CODES, STATE_INDEX, STATES, plain
from olist_dw.generator.files import quote_text, read_rows
from olist_dw.generator.randomness import allocate, rng_for

ZIP_SHARE_EXPONENT = 0.7  # zips per state grow slower than customers per state
MAX_RANGE_USE = 0.6  # at most this share of a state's prefix range becomes "known" zips


@dataclass
class Geography:
    """The zip prefixes known to the geolocation file (sorted), with their state, city and position."""

    zip_code: np.ndarray  # int32, sorted
    zip_state: np.ndarray  # int16 index into STATE_CODES
    zip_city: np.ndarray  # int32 index into city_plain / city_variant
    zip_weight: np.ndarray  # float64: how many customers and geolocation rows a zip attracts
    zip_lat: np.ndarray
    zip_lng: np.ndarray
    city_plain: list[str]  # spelling of customers and sellers ('sao paulo')
    city_variant: list[str]  # another spelling some geolocation rows use ('são paulo')
    capital_city: list[int]  # per state: a city index to use for zips outside the geolocation

    def __post_init__(self) -> None:
        # Per state: indices of its zips and their cumulative weights, for sampling.
        self.state_zips: list[np.ndarray] = []
        self.state_cum: list[np.ndarray] = []
        for s in range(len(STATES)):
            idx = np.flatnonzero(self.zip_state == s)
            self.state_zips.append(idx)
            self.state_cum.append(np.cumsum(self.zip_weight[idx]) if idx.size else idx.astype(float))
        self.city_quoted = [quote_text(c) for c in self.city_plain]
        self.variant_quoted = [quote_text(c) for c in self.city_variant]

    def sample_zips(self, rng: np.random.Generator, states: np.ndarray, outside_rate: float) -> tuple[np.ndarray, ...]:
        """(zip code, city index) for each requested state; a share `outside_rate` gets a prefix that is
        not in the geolocation (as some real customers have)."""
        n = states.size
        codes = np.zeros(n, dtype=np.int32)
        cities = np.zeros(n, dtype=np.int32)
        u = rng.random(n)
        outside = rng.random(n) < outside_rate
        for s in np.unique(states):
            where = np.flatnonzero(states == s)
            idx, cum = self.state_zips[s], self.state_cum[s]
            if idx.size == 0:  # tiny scales: a state without known zips
                low, high = STATES[s].zip_ranges[0]
                codes[where] = rng.integers(low, high + 1, where.size)
                cities[where] = self.capital_city[s]
                continue
            pick = idx[np.minimum(np.searchsorted(cum, u[where] * cum[-1], side="right"), idx.size - 1)]
            codes[where] = self.zip_code[pick]
            cities[where] = self.zip_city[pick]
        for i in np.flatnonzero(outside):
            codes[i] = self._unknown_zip_near(int(codes[i]), int(states[i]), rng)
        return codes, cities

    def _unknown_zip_near(self, code: int, state: int, rng: np.random.Generator) -> int:
        for _ in range(20):
            candidate = code + int(rng.integers(1, 60))
            in_state = any(lo <= candidate <= hi for lo, hi in STATES[state].zip_ranges)
            pos = np.searchsorted(self.zip_code, candidate)
            known = pos < self.zip_code.size and self.zip_code[pos] == candidate
            if in_state and not known:
                return candidate
        return code


def _state_zip_counts(total: int) -> list[int]:
    weights = [s.customer_share**ZIP_SHARE_EXPONENT for s in STATES]
    counts = allocate(total, weights)
    capped = []
    for state, count in zip(STATES, counts, strict=True):
        room = sum(hi - lo + 1 for lo, hi in state.zip_ranges)
        capped.append(max(1, min(count, int(room * MAX_RANGE_USE))))
    return capped


def generate_geography(seed: int, scale: float) -> Geography:
    from faker import Faker  # imported here: Faker's import is slow and only this step needs it

    rng = rng_for(seed, "geography")
    faker = Faker("pt_BR")
    faker.seed_instance(seed)
    n_zips = max(len(STATES), round(facts.GEOLOCATION_ZIPS * scale))
    codes, states, cities, weights, lats, lngs = [], [], [], [], [], []
    city_plain: list[str] = []
    city_variant: list[str] = []
    capital_city: list[int] = []
    for s, (state, count) in enumerate(zip(STATES, _state_zip_counts(n_zips), strict=True)):
        # The state's cities: the known ones, then small towns named by Faker around them.
        names = [c[0] for c in state.cities]
        share = [c[3] for c in state.cities]
        centres = [(c[1], c[2]) for c in state.cities]
        n_towns = 0 if state.code == "DF" else 5 + round(1.5 * state.customer_share)
        rest = max(0.05, 1 - sum(share))
        town_share = rng.lognormal(0, 0.8, n_towns)
        seen = {plain(n) for n in names}
        for t in range(n_towns):
            name = faker.city()
            while plain(name) in seen:
                name = faker.city()
            seen.add(plain(name))
            names.append(name)
            share.append(rest * town_share[t] / town_share.sum())
            lat0, lng0 = centres[int(rng.integers(len(state.cities)))]
            centres.append(
                (
                    float(np.clip(lat0 + rng.normal(0, state.spread_deg), LAT_RANGE[0] + 0.5, LAT_RANGE[1] - 0.5)),
                    float(np.clip(lng0 + rng.normal(0, state.spread_deg), LNG_RANGE[0] + 0.5, LNG_RANGE[1] - 0.5)),
                )
            )
        first_city = len(city_plain)
        capital_city.append(first_city)
        city_plain.extend(plain(n) for n in names)
        city_variant.extend(n.lower() for n in names)
        # Zip prefixes of the state, in contiguous blocks per city (like real CEPs: the capital first).
        pool = np.concatenate([np.arange(lo, hi + 1) for lo, hi in state.zip_ranges])
        chosen = np.sort(rng.choice(pool, size=min(count, pool.size), replace=False))
        share_arr = np.asarray(share)
        per_city = allocate(chosen.size, share_arr**0.8)
        city_of_zip = np.repeat(np.arange(len(names)), per_city)
        codes.append(chosen)
        states.append(np.full(chosen.size, s, dtype=np.int16))
        cities.append(first_city + city_of_zip)
        per_zip_share = share_arr[city_of_zip] / np.maximum(np.asarray(per_city)[city_of_zip], 1)
        weights.append(per_zip_share * rng.lognormal(0, 0.8, chosen.size))
        centre = np.asarray(centres)[city_of_zip]
        lats.append(centre[:, 0] + rng.normal(0, 0.03, chosen.size))
        lngs.append(centre[:, 1] + rng.normal(0, 0.03, chosen.size))
    return Geography(
        zip_code=np.concatenate(codes).astype(np.int32),
        zip_state=np.concatenate(states),
        zip_city=np.concatenate(cities).astype(np.int32),
        zip_weight=np.concatenate(weights),
        zip_lat=np.concatenate(lats),
        zip_lng=np.concatenate(lngs),
        city_plain=city_plain,
        city_variant=city_variant,
        capital_city=capital_city,
    )


def read_geography(path: Path) -> Geography:
    """The zip universe of a real geolocation file: each prefix with its first city, state and position."""
    seen: dict[int, list] = {}
    city_index: dict[str, int] = {}
    for zip_code, lat, lng, city, state in read_rows(path, SOURCES_BY_TABLE["geolocation"]):
        code = int(zip_code)
        entry = seen.get(code)
        if entry is None:
            seen[code] = [STATE_INDEX.get(state, STATE_INDEX["SP"]), city_index.setdefault(city, len(city_index)),
                          float(lat), float(lng), 1]  # fmt: skip
        else:
            entry[4] += 1
    codes = np.asarray(sorted(seen), dtype=np.int32)
    rows = [seen[int(c)] for c in codes]
    names = list(city_index)
    states = np.asarray([r[0] for r in rows], dtype=np.int16)
    capital = []
    for s in range(len(STATE_CODES)):
        idx = np.flatnonzero(states == s)
        capital.append(rows[int(idx[0])][1] if idx.size else 0)
    return Geography(
        zip_code=codes,
        zip_state=states,
        zip_city=np.asarray([r[1] for r in rows], dtype=np.int32),
        zip_weight=np.asarray([r[4] for r in rows], dtype=float),
        zip_lat=np.asarray([r[2] for r in rows]),
        zip_lng=np.asarray([r[3] for r in rows]),
        city_plain=names,
        city_variant=names,
        capital_city=capital,
    )
