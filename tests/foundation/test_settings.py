from pathlib import Path

import pytest
from pydantic import ValidationError

from olist_dw.settings import Settings


def test_defaults_put_all_local_state_under_home(olist_home: Path):
    settings = Settings()
    assert settings.target == "local"
    assert settings.home == olist_home.resolve()
    for derived in (settings.lake_dir, settings.warehouse_path, settings.serving_path, settings.sim_dir):
        assert derived.is_relative_to(settings.home)
    assert settings.warehouse_path.name == "warehouse.duckdb"
    assert settings.effective_source_dir == settings.generated_source_dir


def test_source_dir_overrides_generated_data(olist_home: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(tmp_path / "kaggle"))
    assert Settings().effective_source_dir == (tmp_path / "kaggle").resolve()


def test_bad_setting_names_the_variable(olist_home: Path, monkeypatch):
    monkeypatch.setenv("OLIST_TARGET", "gcp")
    with pytest.raises(ValidationError, match="target"):
        Settings()


def test_orders_range_is_checked(olist_home: Path, monkeypatch):
    monkeypatch.setenv("OLIST_SIM_ORDERS_MIN", "10")
    monkeypatch.setenv("OLIST_SIM_ORDERS_MAX", "5")
    with pytest.raises(ValidationError, match="OLIST_SIM_ORDERS_MAX"):
        Settings()


def test_every_setting_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [f"OLIST_{name.upper()}" for name in Settings.model_fields if f"`OLIST_{name.upper()}`" not in readme]
    assert missing == [], f"add these settings to the README's table: {missing}"


@pytest.mark.parametrize(
    ("bind_host", "client_host"),
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::", "[::1]"), ("192.168.1.5", "192.168.1.5")],
)
def test_local_clients_reach_the_bind_host_on_loopback_when_every_interface_is_open(
    olist_home: Path, monkeypatch, bind_host: str, client_host: str
):
    monkeypatch.setenv("OLIST_BIND_HOST", bind_host)
    assert Settings().client_host == client_host
