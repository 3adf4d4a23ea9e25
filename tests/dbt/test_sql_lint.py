"""The SQL lint's environment (olist_dw.sql_lint): everything it compiles against lives in a throwaway folder."""

from __future__ import annotations

import duckdb

from olist_dw.contract import BRAZIL_STATES
from olist_dw.sql_lint import add_placeholder_incremental_tables, add_placeholder_sim_file, lint_environment


def test_lint_environment_points_dbt_and_its_output_into_the_throwaway_home(tmp_path, monkeypatch):
    monkeypatch.setenv("OLIST_TARGET", "aws")  # a developer's shell may name another target: the lint is local
    env = lint_environment(tmp_path)

    assert env["OLIST_TARGET"] == "local"
    for name in ("OLIST_WAREHOUSE_PATH", "OLIST_LAKE_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        assert env[name].startswith(str(tmp_path)), name
    assert env["OLIST_BRAZIL_STATES"].split(",") == list(BRAZIL_STATES)


def test_placeholders_make_the_lake_look_delivered_and_the_realtime_models_built(tmp_path):
    env = lint_environment(tmp_path)
    add_placeholder_sim_file(tmp_path / "lake")
    add_placeholder_incremental_tables(tmp_path / "warehouse.duckdb")

    lake_glob = f"{env['OLIST_LAKE_DIR']}/bronze-sim/**/*.parquet"  # the glob of macros/sim_lake.sql
    con = duckdb.connect(env["OLIST_WAREHOUSE_PATH"])
    try:
        (found,) = con.execute("select count(*) from glob(?)", [lake_glob]).fetchone()
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'realtime' order by 1"
        ).fetchall()
        # one arrival day each, so the incremental window lookup finds a day and the windowed SQL gets linted
        newest = [con.execute(f"select max(arrival_date) from realtime.{t}").fetchone()[0] for (t,) in tables]
        (staged_day,) = con.execute("select max(arrival_date) from staging.stg_sim__order_items").fetchone()
    finally:
        con.close()
    assert found == 1
    assert tables == [("fct_items_sold",), ("gold_sim",)]
    assert str(staged_day) == "1970-01-01"  # a row in the window: the earliest purchase is found too
    assert [str(day) for day in newest] == ["1970-01-01", "1970-01-01"]


def test_a_file_sqlfluff_skipped_fails_the_lint(tmp_path, monkeypatch, capsys):
    import subprocess

    from olist_dw import sql_lint

    def sqlfluff(output: str, returncode: int = 0):
        done = subprocess.CompletedProcess(args=[], returncode=returncode, stdout=output)
        monkeypatch.setattr(sql_lint.subprocess, "run", lambda *args, **kwargs: done)
        return sql_lint.sqlfluff_lint([tmp_path], [], {})

    skipped = "WARNING    Skipped file /x/fct_items_sold.sql because dbt raised a fatal exception\nAll Finished!\n"
    assert sqlfluff(skipped) == 1
    assert "the lint did not read it" in capsys.readouterr().err
    assert sqlfluff("All Finished!\n") == 0
    assert sqlfluff("== [x.sql] FAIL\nAll Finished!\n", returncode=1) == 1
