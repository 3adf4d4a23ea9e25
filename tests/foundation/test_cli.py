"""The `olist-dw` command line as a user runs it: the installed executable, every subcommand's `--help`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from olist_dw.cli import build_parser, main

OLIST_DW = Path(sys.executable).with_name("olist-dw")  # the console script the install put beside python
# The subcommands the README and the Makefile use: dropping one fails here, not only on a user's machine.
EXPECTED_COMMANDS = {
    "generate",
    "settings",
    "airflow",
    "dbt-manifest",
    "dbt",
    "docs",
    "metadb",
    "demo",
    "simulate",
    "deliver",
    "dashboard",
    "infra",
}
EXPECTED_INFRA_ACTIONS = {"plan", "deploy", "destroy", "redshift-setup", "simulator", "outputs", "package-lambda"}


def subcommand_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every (command path, parser) below `parser`, nested subcommands included (`infra deploy`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from subcommand_parsers(sub, (*path, name))


COMMANDS = dict(subcommand_parsers(build_parser()))
HELPED = {path: sub for path, sub in COMMANDS.items() if sub.add_help}
PASSTHROUGH = {path: sub for path, sub in COMMANDS.items() if not sub.add_help}  # `airflow`: its own tool's help


def run_olist_dw(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OLIST_HOME": str(home), "COLUMNS": "200"}  # wide: no option name split across lines
    return subprocess.run([str(OLIST_DW), *args], capture_output=True, text=True, timeout=60, env=env)


def named_in_help(parser: argparse.ArgumentParser) -> list[str]:
    """What `--help` must show: every option string, every choice of a positional."""
    names = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        names.extend(action.option_strings)
        if not action.option_strings and action.choices:
            names.extend(action.choices)
    return names


def test_the_parser_has_every_expected_subcommand():
    top = {path[0] for path in COMMANDS if len(path) == 1}
    assert not EXPECTED_COMMANDS - top, f"subcommands gone: {EXPECTED_COMMANDS - top}"
    infra = {path[1] for path in COMMANDS if len(path) == 2 and path[0] == "infra"}
    assert not EXPECTED_INFRA_ACTIONS - infra, f"infra actions gone: {EXPECTED_INFRA_ACTIONS - infra}"


def test_installed_executable_prints_its_version(tmp_path):
    result = run_olist_dw("--version", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("olist-dw ")


def test_top_level_help_lists_every_subcommand(tmp_path):
    result = run_olist_dw("--help", home=tmp_path)
    assert result.returncode == 0, result.stderr
    for (name,) in (path for path in COMMANDS if len(path) == 1):
        assert f"\n    {name} " in result.stdout or f"\n    {name}\n" in result.stdout, name


@pytest.mark.parametrize("path", sorted(HELPED), ids=" ".join)
def test_subcommand_help_exits_0_and_names_every_option(path: tuple[str, ...], tmp_path):
    result = run_olist_dw(*path, "--help", home=tmp_path)
    assert result.returncode == 0, f"olist-dw {' '.join(path)} --help: {result.stderr}"
    assert result.stdout.startswith(f"usage: olist-dw {' '.join(path)} "), result.stdout
    missing = [name for name in named_in_help(HELPED[path]) if name not in result.stdout]
    assert not missing, f"olist-dw {' '.join(path)} --help does not name {missing}:\n{result.stdout}"


@pytest.mark.parametrize("path", sorted(PASSTHROUGH), ids=" ".join)
def test_passthrough_subcommand_hands_help_to_its_tool(path: tuple[str, ...]):
    # `olist-dw airflow --help` is Airflow's own help: check what reaches Airflow (running it needs its database).
    args = build_parser().parse_args([*path, "--help", "dags", "-v"])
    forwarded = [value for key, value in vars(args).items() if key.endswith("_args")]
    assert forwarded == [["--help", "dags", "-v"]], vars(args)


def test_settings_command_prints_resolved_paths(olist_home, capsys):
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert str(olist_home.resolve() / "warehouse.duckdb") in out
