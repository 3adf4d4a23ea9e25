"""The real-time step of `olist-dw demo`: simulated hours through simulator -> stream -> delivery ->
olist_realtime, each as a real DAG run (`airflow dags test`), then gold_sim as readers see it."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings

DEMO_TICKS = 24  # one simulated hour per tick at the default tick (60 s) x speed (60)


def _dag_test(dag_id: str, conf: dict | None, settings: Settings, log_dir: Path) -> float:
    from olist_dw.airflow_local import run_airflow

    log_path = log_dir / f"demo-{dag_id}.log"
    args = ["dags", "test", dag_id]
    if conf:
        args += ["--conf", json.dumps(conf)]
    started = time.monotonic()
    with open(log_path, "w") as log:
        result = run_airflow(args, settings, check=False, stdout=log, stderr=subprocess.STDOUT)
    text = log_path.read_text(errors="replace")
    if result.returncode != 0 or "state=failed" in text:
        raise UserFacingError(f"DAG {dag_id} failed: see {log_path}")
    return time.monotonic() - started


def realtime_demo(settings: Settings, ticks: int = DEMO_TICKS) -> None:
    from olist_dw.airflow_local import ensure_airflow_db
    from olist_dw.sim import open_store
    from olist_dw.sim.tasks import ensure_initialised
    from olist_dw.warehouse import connect_read_only

    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    if ensure_initialised(store, settings):
        print("real time: simulation seeded from the products file")
    start = store.load_config().simulated_time
    ensure_airflow_db(settings)
    print(f"real time: {ticks} ticks from simulated {start} (olist_sim_generator) ...", flush=True)
    seconds = _dag_test("olist_sim_generator", {"ticks": ticks}, settings, log_dir)
    print(f"  generated in {seconds:.0f} s; delivering the stream to bronze-sim/ (olist_sim_delivery) ...", flush=True)
    seconds = _dag_test("olist_sim_delivery", {"drain": True}, settings, log_dir)
    print(f"  delivered in {seconds:.0f} s; micro-batch (olist_realtime: dbt tag:realtime, publish) ...", flush=True)
    seconds = _dag_test("olist_realtime", None, settings, log_dir)
    print(f"  done in {seconds:.0f} s (DAG logs: {log_dir}/demo-*.log)")

    with connect_read_only(settings.serving_path) as con:
        totals = con.execute(
            "select count(distinct order_date), sum(total_orders), sum(daily_revenue) from realtime.gold_sim"
        ).fetchone()
        rows = con.execute(
            "select order_date, customer_state, total_orders, daily_revenue from realtime.gold_sim "
            "order by order_date desc, daily_revenue desc limit 12"
        ).fetchall()
    print(f"\nrealtime.gold_sim: {totals[0]} day(s), {totals[1]:,} orders, R$ {totals[2]:,.2f} (latest rows):")
    print(f"  {'order_date':<12}{'state':<7}{'orders':>8}{'revenue':>14}")
    for order_date, state, orders, revenue in rows:
        print(f"  {order_date!s:<12}{state:<7}{orders:>8,}{revenue:>14,.2f}")
