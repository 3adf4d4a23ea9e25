"""Published figures of the real dataset at scale 1 (the source contract handed to the project beside it, not shipped).

These shape the five files we have no real copy of (orders, items, customers, reviews, geolocation);
the four files we do have are calibrated from the files themselves (calibration.json).
"""

from __future__ import annotations

ORDERS = 99_441
PRODUCTS = 32_951
SELLERS = 3_095
GEOLOCATION_ROWS = 1_000_163
GEOLOCATION_ZIPS = 19_015
ORDERS_WITHOUT_PAYMENT = 1
PRODUCTS_WITHOUT_CATEGORY = 610
PRODUCTS_WITHOUT_DIMENSIONS = 2
REPEAT_CUSTOMER_RATE = 1 - 96_096 / 99_441  # orders placed by a person seen before
CUSTOMER_ZIP_NOT_IN_GEOLOCATION = 278 / 99_441

STATUS_COUNTS: dict[str, int] = {
    "delivered": 96_478,
    "shipped": 1_107,
    "canceled": 625,
    "unavailable": 609,
    "invoiced": 314,
    "processing": 301,
    "created": 5,
    "approved": 2,
}
# Null patterns per status, as counts at scale 1: (approved_at null, carrier date null, customer date null).
# Statuses not listed: approved present, carrier and customer dates null.
NULLS_BY_STATUS: dict[str, tuple[int, int, int]] = {
    "delivered": (14, 2, 8),
    "shipped": (0, 0, 1_107),
    "canceled": (141, 550, 619),
    "created": (5, 5, 5),
}
# Orders without any item (mostly unavailable, some canceled, all created).
WITHOUT_ITEMS_BY_STATUS: dict[str, int] = {"unavailable": 603, "canceled": 164, "created": 5}

# Items per order among orders that have items (98,666 orders, 112,650 items).
ITEMS_PER_ORDER: dict[int, int] = {
    1: 88_863, 2: 7_516, 3: 1_322, 4: 505, 5: 204, 6: 198, 7: 22, 8: 8, 9: 3, 10: 8,
    11: 4, 12: 5, 13: 1, 14: 2, 15: 2, 20: 2, 21: 1,
}  # fmt: skip
SAME_PRODUCT_IN_MULTI_ITEM_ORDER = 0.55  # share of multi-item orders that repeat one product
ITEM_PRICE_TOTAL = 13_591_643.70
FREIGHT_TOTAL = 2_251_909.54

# Orders per purchase month (2016-09 .. 2018-10).
ORDERS_PER_MONTH: dict[str, int] = {
    "2016-09": 4, "2016-10": 324, "2016-11": 0, "2016-12": 1,
    "2017-01": 800, "2017-02": 1_780, "2017-03": 2_682, "2017-04": 2_404, "2017-05": 3_700, "2017-06": 3_245,
    "2017-07": 4_026, "2017-08": 4_331, "2017-09": 4_285, "2017-10": 4_631, "2017-11": 7_544, "2017-12": 5_673,
    "2018-01": 7_269, "2018-02": 6_728, "2018-03": 7_211, "2018-04": 6_939, "2018-05": 6_873, "2018-06": 6_167,
    "2018-07": 6_292, "2018-08": 6_512, "2018-09": 16, "2018-10": 4,
}  # fmt: skip
FIRST_PURCHASE = "2016-09-04"
LAST_PURCHASE = "2018-10-17"
DATA_CUT = "2018-10-17 23:59:59"  # nothing in the files happens after this
ORDERS_PER_HOUR: tuple[int, ...] = (
    2394, 1170, 510, 272, 206, 188, 502, 1231, 2967, 4785, 6177, 6578,
    5995, 6518, 6569, 6454, 6675, 6150, 5769, 5982, 6193, 6217, 5816, 4123,
)  # fmt: skip

# Reviews: 99,224 rows over 98,673 orders; 98,410 distinct review ids.
REVIEWS_PER_ORDER: dict[int, int] = {0: 768, 1: 98_132, 2: 535, 3: 6}
REPEATED_REVIEW_ID_RATE = 814 / 99_224
REVIEW_TITLE_RATE = 1 - 87_656 / 99_224
REVIEW_MESSAGE_RATE = 1 - 58_247 / 99_224
