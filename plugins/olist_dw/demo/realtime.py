"""The real-time step of `olist-dw demo`: simulated hours through simulator -> stream -> delivery ->
olist_realtime, each as a real DAG run (`airflow dags test`), then gold_sim as readers see it."""

from __future__ import annotations

from olist_dw.settings import Settings

DEMO_TICKS = 24  # one simulated hour per tick at the default tick (60 s) x speed (60)


def realtime_demo(settings: Settings, ticks: int = DEMO_TICKS) -> None:
    from olist_dw.airflow_local import ensure_airflow_db, run_dag
    from olist_dw.sim.runs import ensure_initialised
    from olist_dw.targets import get_target
    from olist_dw.warehouse import connect_read_only, fetch_row

    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    store = get_target(settings).state_store()
    if ensure_initialised(store, settings):
        print("real time: simulation seeded from the products file")
    start = store.load_config().simulated_time
    ensure_airflow_db(settings)
    print(f"real time: {ticks} ticks from simulated {start} (olist_sim_generator) ...", flush=True)
    seconds = run_dag("olist_sim_generator", settings, log_dir / "demo-olist_sim_generator.log", {"ticks": ticks})
    print(f"  generated in {seconds:.0f} s; delivering the stream to bronze-sim/ (olist_sim_delivery) ...", flush=True)
    seconds = run_dag("olist_sim_delivery", settings, log_dir / "demo-olist_sim_delivery.log", {"drain": True})
    print(f"  delivered in {seconds:.0f} s; micro-batch (olist_realtime: dbt tag:realtime, publish) ...", flush=True)
    seconds = run_dag("olist_realtime", settings, log_dir / "demo-olist_realtime.log", None)
    print(f"  done in {seconds:.0f} s (DAG logs: {log_dir}/demo-*.log)")

    with connect_read_only(settings.serving_path) as con:
        totals = fetch_row(
            con, "select count(distinct order_date), sum(total_orders), sum(daily_revenue) from realtime.gold_sim"
        )
        rows = con.execute(
            "select order_date, customer_state, total_orders, daily_revenue from realtime.gold_sim "
            "order by order_date desc, daily_revenue desc limit 12"
        ).fetchall()
    print(f"\nrealtime.gold_sim: {totals[0]} day(s), {totals[1]:,} orders, R$ {totals[2]:,.2f} (latest rows):")
    print(f"  {'order_date':<12}{'state':<7}{'orders':>8}{'revenue':>14}")
    for order_date, state, orders, revenue in rows:
        print(f"  {order_date!s:<12}{state:<7}{orders:>8,}{revenue:>14,.2f}")
