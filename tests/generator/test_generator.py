"""The generator against the source contract, checked by an independent reader (olist_contract_checker)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from olist_dw.cli import main
from olist_dw.contract import SOURCES, SOURCES_BY_TABLE
from olist_dw.errors import UserFacingError
from olist_dw.generator import derive_calibration, generate, load_calibration
from olist_dw.generator.calibration import CALIBRATION_PATH
from tests.generator.olist_contract_checker import check_dataset, check_file

# md5 of the uncompressed real files (../shared/data/olist-real/README.md)
REAL_MD5 = {
    "olist_order_payments_dataset.csv": "75ce0c041d18e5f250c5cea9a8042944",
    "olist_products_dataset.csv": "e935401104a3669223b83c9a01fdf5ca",
    "olist_sellers_dataset.csv": "5b22c02facdf842d6c0aea36e1849018",
    "product_category_name_translation.csv": "4196d142e8f2b9697521fc50c97f626b",
}
# Real row counts at scale 1 (contract); the generator scales them linearly.
SCALE_1_ROWS = {"orders": 99_441, "customers": 99_441, "products": 32_951, "sellers": 3_095, "geolocation": 1_000_163}
STATUS_SHARE = {"delivered": 0.9702, "shipped": 0.0111, "canceled": 0.0063, "unavailable": 0.0061}


def digest(path: Path, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scale-0.05")
    generate(out, scale=0.05, seed=7)
    return out


@pytest.fixture(scope="module")
def small_checked(small):
    return check_dataset(small)


@pytest.mark.parametrize("scale", [0.01, 0.05])
def test_generated_files_meet_the_contract(scale, small_checked, tmp_path):
    dataset = small_checked if scale == 0.05 else check_dataset(_generate(tmp_path, scale, seed=3))
    assert dataset.problems == []
    assert set(dataset.tables) == {s.table for s in SOURCES}


def _generate(out: Path, scale: float, seed: int, **kwargs) -> Path:
    generate(out, scale=scale, seed=seed, **kwargs)
    return out


def test_real_files_meet_the_same_contract(real_data_dir):
    dataset = check_dataset(real_data_dir)
    assert len(dataset.tables) == 4
    assert dataset.problems == []
    assert dataset.stats["products_without_category"] == 610
    assert dataset.stats["untranslated_categories"] == ["pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos"]


def test_checker_catches_broken_quoting_and_formats(tmp_path):
    source = SOURCES_BY_TABLE["sellers"]
    path = tmp_path / source.file_name
    path.write_text(
        '"seller_id","seller_zip_code_prefix","seller_city","seller_state"\n'
        "3442f8959a84dea7ee197c632cb2df15,13023,campinas,SP\n"  # id and zip starting with a digit left unquoted
        'd1b65fc7debc3361ea86b5f14c68d2e2,"1384",mogi guacu,XX\n',  # 4-digit zip, unknown state
        encoding="utf-8",
    )
    problems = check_file(path, source).problems
    assert any("seller_id" in p and "quoted=False" in p for p in problems)
    assert any("not a 5-character zip" in p for p in problems)
    assert any("not a Brazilian state" in p for p in problems)


def test_row_counts_scale_linearly(small_checked):
    stats = small_checked.stats
    for table, rows in SCALE_1_ROWS.items():
        assert stats[table] == round(rows * 0.05), table
    assert stats["product_category_name_translation"] == 71
    assert 0.10 <= stats["order_items"] / stats["orders"] - 1 <= 0.17  # ~112,650 items per 99,441 orders
    assert 0.02 <= stats["order_payments"] / stats["orders"] - 1 <= 0.06  # ~103,886 payments
    assert 0.98 <= stats["order_reviews"] / stats["orders"] <= 1.01  # ~99,224 reviews


def test_status_mix_nulls_and_dates_are_like_the_real_data(small_checked):
    stats = small_checked.stats
    for status, share in STATUS_SHARE.items():
        assert stats["status_share"][status] == pytest.approx(share, abs=0.002), status
    orders = stats["orders"]
    assert stats["order_approved_at_null"] == pytest.approx(160 / 99_441 * orders, abs=3)
    assert stats["order_delivered_carrier_date_null"] == pytest.approx(1_783 / 99_441 * orders, abs=3)
    assert stats["order_delivered_customer_date_null"] == pytest.approx(2_965 / 99_441 * orders, abs=3)
    assert stats["purchase_min"] >= "2016-09-04" and stats["purchase_max"] < "2018-10-18"
    assert stats["purchase_core_share"] > 0.98


def test_items_payments_and_reviews_have_the_real_quirks(small_checked):
    stats = small_checked.stats
    assert stats["multi_item_orders"] > 0.06 * stats["orders"]
    assert stats["items_per_order_max"] >= 4
    assert stats["payment_sequential_max"] >= 3  # vouchers split payments
    assert set(stats["payment_types"]) >= {"credit_card", "boleto", "voucher", "debit_card"}
    # Sums per order of the real data: R$ 136.7 of items and R$ 161.0 of payments.
    assert stats["item_price_total"] / stats["orders"] == pytest.approx(136.7, rel=0.12)
    assert stats["payment_total"] / stats["orders"] == pytest.approx(161.0, rel=0.12)
    assert stats["review_title_empty"] == pytest.approx(0.883, abs=0.03)
    assert stats["review_message_empty"] == pytest.approx(0.587, abs=0.04)
    assert stats["review_ids_repeated"] > 0 and stats["orders_with_several_reviews"] > 0
    assert stats["score_share"]["5"] == pytest.approx(0.578, abs=0.04)
    assert all(count > 0 for count in stats["messages_with"].values()), stats["messages_with"]


def test_customers_products_and_geolocation_have_the_real_shape(small_checked):
    stats = small_checked.stats
    assert stats["customer_sp_share"] == pytest.approx(0.42, abs=0.03)
    assert stats["customer_states"] >= 24
    assert 0.95 <= stats["customer_unique_ratio"] <= 0.985  # ~3% of people order again
    assert stats["customers_zip_not_in_geolocation"] > 0
    assert stats["products_without_category"] == round(610 * 0.05)
    assert stats["geolocation_zips"] == pytest.approx(19_015 * 0.05, rel=0.02)
    assert stats["geolocation_outside_brazil"] >= 1
    assert stats["geolocation_zips_with_spelling_variants"] > 0


def test_untranslated_categories_and_missing_dimensions(tmp_path):
    # At scale 0.35 the rarest real categories (3 and 10 products) appear and round(2 * 0.35) = 1 product
    # lacks dimensions; only products and translation are checked (geolocation is the slow file to read).
    out = _generate(tmp_path / "out", 0.35, seed=5)
    subset = tmp_path / "subset"
    subset.mkdir()
    for name in ("olist_products_dataset.csv", "product_category_name_translation.csv"):
        shutil.copyfile(out / name, subset / name)
    dataset = check_dataset(subset)
    assert dataset.problems == []
    assert dataset.stats["untranslated_categories"] == ["pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos"]
    assert dataset.stats["products_without_dimensions"] == 1


def test_same_scale_and_seed_give_the_same_bytes(small, tmp_path):
    again = _generate(tmp_path / "again", 0.05, seed=7)
    other = _generate(tmp_path / "other", 0.05, seed=8)
    for source in SOURCES:
        assert digest(small / source.file_name) == digest(again / source.file_name), source.file_name
    assert digest(small / "olist_orders_dataset.csv") != digest(other / "olist_orders_dataset.csv")


def test_translation_file_is_the_real_bytes(small):
    assert (
        digest(small / "product_category_name_translation.csv", "md5")
        == REAL_MD5["product_category_name_translation.csv"]
    )


def test_mixed_mode_copies_real_files_and_references_their_keys(real_data_dir, tmp_path):
    out = _generate(tmp_path / "out", 1.0, seed=11, real_dir=real_data_dir)
    for name, md5 in REAL_MD5.items():
        assert digest(out / name, "md5") == md5, name
    # Everything but the 1M-row geolocation (checked at small scales above), to keep the test quick.
    subset = tmp_path / "subset"
    subset.mkdir()
    for source in SOURCES:
        if source.table != "geolocation":
            (subset / source.file_name).hardlink_to(out / source.file_name)
    dataset = check_dataset(subset)
    assert dataset.problems == []  # includes every foreign key into the real products, sellers and payments
    orders = set(dataset.tables["orders"].column("order_id"))
    paid = set(dataset.tables["order_payments"].column("order_id"))
    assert paid <= orders and len(orders - paid) == 1  # one order without payment, as in the real data
    items: dict[str, float] = {}
    for r in dataset.tables["order_items"].rows:
        items[r["order_id"]] = items.get(r["order_id"], 0) + float(r["price"]) + float(r["freight_value"])
    payments: dict[str, float] = {}
    for r in dataset.tables["order_payments"].rows:
        payments[r["order_id"]] = payments.get(r["order_id"], 0) + float(r["payment_value"])
    coherent = sum(1 for o, total in items.items() if abs(total - payments.get(o, 0)) <= 0.05)
    assert coherent / len(items) > 0.97


def test_mixed_mode_rejects_a_partial_set_of_order_files(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "olist_orders_dataset.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(UserFacingError, match="complete set of nine"):
        generate(tmp_path / "out", scale=0.01, seed=1, real_dir=real)


def test_a_failed_run_leaves_previous_files_and_no_partial_ones(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "olist_orders_dataset.csv").write_text("previous\n", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("olist_dw.generator.core.generate_chunk", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        generate(out, scale=0.01, seed=1)
    assert sorted(p.name for p in out.iterdir()) == ["olist_orders_dataset.csv"]
    assert (out / "olist_orders_dataset.csv").read_text(encoding="utf-8") == "previous\n"


def test_scale_out_of_range_is_a_clear_error(tmp_path):
    with pytest.raises(UserFacingError, match="scale 11"):
        generate(tmp_path, scale=11, seed=1)


def test_committed_calibration_is_what_the_real_files_give(real_data_dir):
    assert derive_calibration(real_data_dir) == load_calibration()


def test_cli_generates_and_prints_a_summary(olist_home, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["generate", "--scale", "0.01", "--seed", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    for source in SOURCES:
        path = out / source.file_name
        lines = [line for line in printed.splitlines() if source.file_name in line]
        assert len(lines) == 1, source.file_name
        rows, size = (int(v.replace(",", "")) for v in lines[0].split()[1:3])
        assert size == path.stat().st_size
        assert rows == len(check_file(path, source).rows)
    assert main(["generate", "--scale", "50", "--out", str(out)]) == 2
    assert "scale 50" in capsys.readouterr().err


def test_cli_recalibrates_from_real_files(real_data_dir, tmp_path, capsys):
    target = tmp_path / "calibration.json"
    assert main(["generate", "--calibrate-from", str(real_data_dir), "--calibration-out", str(target)]) == 0
    assert target.read_bytes() == CALIBRATION_PATH.read_bytes()


def test_mixed_mode_accepts_plain_csv_and_any_subset(real_data_dir, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    sellers = "olist_sellers_dataset.csv"
    (real / sellers).write_bytes(gzip.decompress((real_data_dir / f"{sellers}.gz").read_bytes()))
    out = _generate(tmp_path / "out", 0.02, seed=2, real_dir=real)
    assert digest(out / sellers, "md5") == REAL_MD5[sellers]
    dataset = check_dataset(out)
    assert dataset.problems == []  # order items reference the real seller ids
    assert dataset.stats["orders"] == round(99_441 * 0.02)


# --- release 2: the same dataset later (olist_dw.generator.releases) -------------------------------------


def _rows_by_id(folder: Path, table: str) -> dict[str, list[str]]:
    with (folder / SOURCES_BY_TABLE[table].file_name).open(encoding="utf-8-sig", newline="") as fh:
        return {row[0]: row for row in list(csv.reader(fh))[1:]}


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("release-1"), tmp_path_factory.mktemp("release-2")
    generate(first, scale=0.01, seed=3)
    generate(second, scale=0.01, seed=3, release=2)
    return first, second


def test_release_2_meets_the_contract_and_adds_orders_only_after_release_1(releases):
    first, second = releases
    dataset = check_dataset(second)
    assert dataset.problems == []
    before = check_dataset(first).stats
    assert before["purchase_max"] < "2018-10-18"
    new_orders = {k: v for k, v in _rows_by_id(second, "orders").items() if k not in _rows_by_id(first, "orders")}
    assert len(new_orders) == round(13_200 * 0.01)
    assert min(r[3] for r in new_orders.values()) >= "2018-10-18 00:00:00"
    assert max(r[3] for r in new_orders.values()) < "2018-12-16"


def test_release_2_keeps_release_1_rows_and_changes_a_known_share_of_sellers_and_products(releases):
    first, second = releases
    for table in ("orders", "customers"):
        old, new = _rows_by_id(first, table), _rows_by_id(second, table)
        assert all(new[k] == row for k, row in old.items()), table
    old_sellers, new_sellers = _rows_by_id(first, "sellers"), _rows_by_id(second, "sellers")
    moved = [k for k in old_sellers if new_sellers[k] != old_sellers[k]]
    assert len(moved) == round(0.05 * len(old_sellers))
    assert all(new_sellers[k][3] != old_sellers[k][3] for k in moved)  # another state (so zip and city too)
    assert len(new_sellers) - len(old_sellers) == max(1, round(3_095 * 0.01 * 0.04))
    old_products, new_products = _rows_by_id(first, "products"), _rows_by_id(second, "products")
    recategorised = [k for k in old_products if new_products[k][1] != old_products[k][1]]
    resized = [k for k in old_products if new_products[k][5:] != old_products[k][5:]]
    assert len(recategorised) == len(resized) == round(0.03 * len(old_products))
    assert not set(recategorised) & set(resized)
    assert all(new_products[k][2:] == old_products[k][2:] for k in recategorised)
    assert all(new_products[k][:5] == old_products[k][:5] for k in resized)
    assert len(new_products) - len(old_products) == round(32_951 * 0.01 * 0.04)


def test_release_2_orders_buy_changed_and_new_products_and_from_moved_sellers(releases):
    first, second = releases
    old_products, new_products = _rows_by_id(first, "products"), _rows_by_id(second, "products")
    old_sellers, new_sellers = _rows_by_id(first, "sellers"), _rows_by_id(second, "sellers")
    old_orders = _rows_by_id(first, "orders")
    with (second / SOURCES_BY_TABLE["order_items"].file_name).open(encoding="utf-8", newline="") as fh:
        later_items = [r for r in csv.DictReader(fh) if r["order_id"] not in old_orders]
    changed_products = {k for k, row in old_products.items() if new_products[k] != row}
    moved_sellers = {k for k, row in old_sellers.items() if new_sellers[k] != row}
    assert any(i["product_id"] in changed_products for i in later_items)
    assert any(i["product_id"] not in old_products for i in later_items)
    assert any(i["seller_id"] in moved_sellers for i in later_items)


def test_release_2_is_deterministic_and_release_1_is_the_default_dataset(releases, small, tmp_path):
    _, second = releases
    again = _generate(tmp_path / "again", 0.01, seed=3, release=2)
    for source in SOURCES:
        assert digest(second / source.file_name) == digest(again / source.file_name), source.file_name
    explicit = _generate(tmp_path / "release-1", 0.05, seed=7, release=1)
    for source in SOURCES:
        assert digest(small / source.file_name) == digest(explicit / source.file_name), source.file_name


def test_release_2_with_real_files_or_an_unknown_release_is_a_clear_error(tmp_path):
    with pytest.raises(UserFacingError, match="release 2 .* real files"):
        generate(tmp_path / "out", scale=0.01, seed=1, real_dir=tmp_path, release=2)
    with pytest.raises(UserFacingError, match="release 3 is not one of 1, 2"):
        generate(tmp_path / "out", scale=0.01, seed=1, release=3)


def test_cli_writes_release_2(olist_home, tmp_path, capsys):
    out = tmp_path / "cli-release-2"
    assert main(["generate", "--scale", "0.01", "--seed", "3", "--release", "2", "--out", str(out), "--quiet"]) == 0
    assert "release 2" in capsys.readouterr().out
    assert check_dataset(out).problems == []
    assert len(_rows_by_id(out, "orders")) == round(99_441 * 0.01) + round(13_200 * 0.01)
