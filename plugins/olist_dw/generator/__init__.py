"""Synthetic Olist-shaped dataset: the nine CSV files at any scale, byte-compatible with the real ones.

from olist_dw.generator import generate
generate("out/", scale=0.05, seed=1)                       # all nine generated
generate("out/", scale=1, real_dir="../shared/data/olist-real")  # around real products/sellers/payments
"""

from olist_dw.generator.calibration import derive_calibration, load_calibration, write_calibration
from olist_dw.generator.core import FileSummary, generate

__all__ = ["FileSummary", "derive_calibration", "generate", "load_calibration", "write_calibration"]
