"""Seeded randomness and vectorised formatting helpers shared by the generator's steps."""

from __future__ import annotations

import zlib

import numpy as np

NULL_TIME = np.int64(-1)  # marks an absent timestamp in the int64 seconds arrays


def rng_for(seed: int, *parts: str | int) -> np.random.Generator:
    """An independent generator per (seed, step, chunk): the same inputs give the same stream on any machine."""
    keys = [zlib.crc32(p.encode()) if isinstance(p, str) else int(p) for p in parts]
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, *keys]))


def allocate(total: int, weights) -> list[int]:
    """Split `total` into integer counts proportional to `weights` (largest remainder: exact sum)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(w)
    exact = w / w.sum() * total
    counts = np.floor(exact).astype(np.int64)
    short = int(total - counts.sum())
    if short:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts.tolist()


def scaled(count: int, scale: float) -> int:
    return int(round(count * scale))


def hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    """n random ids of 32 lowercase hex characters."""
    text = rng.bytes(16 * n).hex()
    return [text[i : i + 32] for i in range(0, 32 * n, 32)]


def sample_counts(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    """n draws from a {value: count} frequency table."""
    values = np.asarray([int(k) for k in table])
    weights = np.asarray(list(table.values()), dtype=float)
    return values[rng.choice(values.size, size=n, p=weights / weights.sum())]


def format_times(seconds: np.ndarray) -> list[str]:
    """int64 seconds since the epoch -> 'YYYY-MM-DD HH:MM:SS' ('' where NULL_TIME)."""
    if seconds.size == 0:
        return []
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()
    absent = (seconds == NULL_TIME).tolist()
    return ["" if a else t[:10] + " " + t[11:] for t, a in zip(text, absent, strict=True)]


def format_money(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


def quote_ids(ids: list[str]) -> list[str]:
    return [f'"{v}"' if v[0] <= "9" else v for v in ids]


def couple(values: np.ndarray, driver: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """Reorder `values` so that they rise with `driver` (rank correlation weakened by `noise`)."""
    if values.size == 0:
        return values
    rank = np.argsort(np.argsort(driver, kind="stable"), kind="stable") / max(values.size - 1, 1)
    order = np.argsort(rank + rng.normal(0, noise, values.size), kind="stable")
    out = np.empty_like(values)
    out[order] = np.sort(values, kind="stable")
    return out


def order_values(rng: np.random.Generator, calibration: dict, n: int) -> np.ndarray:
    """n order totals (R$) drawn from the real payments' distribution (log-interpolated quantiles)."""
    table = calibration["payments"]["order_total_quantiles"]
    return np.expm1(np.interp(rng.random(n), table["probs"], np.log1p(table["values"])))
