"""olist-dw: a sales-analysis data warehouse for Olist-shaped e-commerce data."""

__version__ = "0.1.0"
