import subprocess
import sys

import pytest

from olist_dw.cli import build_parser, main


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("generate", "demo", "settings", "airflow", "dbt-manifest"):
        assert name in out


def test_entry_point_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "olist_dw.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("olist-dw ")


def test_settings_command_prints_resolved_paths(olist_home, capsys):
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert str(olist_home.resolve() / "warehouse.duckdb") in out


def test_every_subcommand_has_help():
    parser = build_parser()
    subactions = [a for a in parser._actions if a.dest == "command"][0]
    for name, sub in subactions.choices.items():
        assert sub.description or subactions._name_parser_map[name], name
