"""SQL lint of the dbt project: sqlfluff (rules in .sqlfluff, dbt templater) with the environment the DAGs give dbt.

`python -m olist_dw.sql_lint [sqlfluff lint options]` is what `make lint-sql` runs. The dbt templater compiles
every model, so it needs the profile's environment (`Target.dbt_env`): it gets the local target's over a
throwaway OLIST_HOME (a new DuckDB file, a lake holding one empty placeholder file) and its own dbt target/
and logs/ folders. Linting needs no warehouse, no network and no earlier run, leaves include/dbt/target
(Cosmos's manifest) alone, and lints a fresh clone the same as a working copy.

The placeholder is there for stg_sim__order_items: its SQL depends on whether the lake holds simulated orders
(macros/sim_lake.sql lists the files at compile time, it never reads them). With a file found, sqlfluff lints
both of its branches (the taken `if` and the `else`); with none, only the `else`. Likewise the warehouse holds
an empty table for each realtime model (incremental: dbt_project.yml), so that `is_incremental()` is true and
sqlfluff lints what an incremental run compiles, which adds to what a full refresh compiles.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from olist_dw.settings import DBT_PROJECT_DIR, Settings
from olist_dw.targets import get_target

REPO_ROOT = DBT_PROJECT_DIR.parent.parent


def lint_environment(home: Path) -> dict[str, str]:
    """The local target's dbt environment over `home`, with dbt's own output kept under `home` too."""
    env = get_target(Settings(home=home, target="local")).dbt_env()
    env["DBT_TARGET_PATH"] = str(home / "dbt-target")
    env["DBT_LOG_PATH"] = str(home / "dbt-logs")
    return env


def add_placeholder_sim_file(lake_dir: Path) -> None:
    """An empty file where the delivery lands simulated orders: enough for `sim_lake_has_files()`."""
    partition = lake_dir / "bronze-sim" / "dt=1970-01-01" / "hour=00"
    partition.mkdir(parents=True, exist_ok=True)
    (partition / "placeholder.parquet").touch()


def add_placeholder_incremental_tables(warehouse_path: Path) -> None:
    """Empty tables where the realtime models are built (their schema is used as-is: generate_schema_name).

    Each has `arrival_date` and one row: fct_items_sold's incremental branch looks up its newest arrival day and
    the earliest purchase it reads in the staging view at compile time (a placeholder of the view too, with a
    row in that day), and with both found sqlfluff lints the bounded SQL an incremental run compiles.
    """
    import duckdb

    models = sorted(path.stem for path in (DBT_PROJECT_DIR / "models" / "realtime").glob("*.sql"))
    con = duckdb.connect(str(warehouse_path))
    try:
        con.execute("create schema realtime")
        for model in models:
            con.execute(f"create table realtime.{model} (placeholder integer, arrival_date date)")
            con.execute(f"insert into realtime.{model} values (0, date '1970-01-01')")
        con.execute("create schema staging")
        con.execute("create table staging.stg_sim__order_items (purchased_at timestamp, arrival_date date)")
        con.execute("insert into staging.stg_sim__order_items values (timestamp '1970-01-01 00:00:00', '1970-01-01')")
    finally:
        con.close()


SKIPPED_FILE = "Skipped file"  # sqlfluff's warning when dbt cannot compile a model: it lints nothing of it


def sqlfluff_lint(paths: list[Path], options: list[str], env: dict[str, str]) -> int:
    """sqlfluff's exit code, or 1 where it skipped a file (it exits 0 then: a model dbt cannot compile here
    would pass the lint unread)."""
    command = [str(Path(sys.executable).with_name("sqlfluff")), "lint", *options, *map(str, paths)]
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        check=False,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sys.stdout.write(done.stdout)
    if done.returncode == 0 and SKIPPED_FILE in done.stdout:
        print(f"error: sqlfluff skipped a file (see '{SKIPPED_FILE}' above): the lint did not read it", file=sys.stderr)
        return 1
    return done.returncode


def main(options: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="olist-sql-lint-") as tmp:
        home = Path(tmp)
        env = lint_environment(home)
        add_placeholder_sim_file(Path(env["OLIST_LAKE_DIR"]))
        add_placeholder_incremental_tables(Path(env["OLIST_WAREHOUSE_PATH"]))
        return sqlfluff_lint([DBT_PROJECT_DIR], options, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
