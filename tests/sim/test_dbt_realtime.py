"""dbt realtime models: empty lake, redelivery changes nothing, late events update their own day."""

from __future__ import annotations

import json
import shutil
import uuid

from olist_dw.settings import get_settings
from olist_dw.sim import log_path, reset, tick
from olist_dw.sim.local_log import LocalLog
from olist_dw.targets import get_target

GOLD = "select order_date, customer_state, total_orders, daily_revenue from realtime.gold_sim order by 1, 2"


def test_empty_lake_builds_empty_tables(sim_home, build_realtime, query):
    build_realtime()
    assert query("select count(*) from realtime.fct_items_sold") == [(0,)]
    assert query("select count(*) from realtime.gold_sim") == [(0,)]


def test_redelivery_changes_nothing_and_late_events_update_their_day(sim_home, build_realtime, query):
    settings = get_settings()
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    reset(store, settings)
    for _ in range(30):  # 30 simulated hours: two purchase days
        tick(store, stream, settings)
    with get_target(settings).delivery() as delivery:
        files = delivery.drain()
    build_realtime()
    gold_before = query(GOLD)
    silver_count = query("select count(*) from realtime.fct_items_sold")
    assert len({row[0] for row in gold_before}) >= 2

    # The same file delivered again: once under another name (as Firehose may), once rewritten in place.
    copy = files[0].path.parent.parent / "hour=23" / "redelivered-copy.parquet"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(files[0].path, copy)
    files[0].path.touch()
    build_realtime()
    assert query(GOLD) == gold_before
    assert query("select count(*) from realtime.fct_items_sold") == silver_count

    # A late event: bought on the first simulated day, delivered now. Only that day changes, by its amount.
    first_day = gold_before[0][0]
    log = LocalLog(log_path(settings))
    late = json.loads(log.read(0, 1)[0].data)
    late.update(event_id=str(uuid.uuid4()), order_id=uuid.uuid4().hex, customer_state="AC")
    late["purchased_at"] = f"{first_day} 23:59:00"
    log.put_records([(late["order_id"], json.dumps(late).encode())])
    with get_target(settings).delivery() as delivery:
        delivery.drain()
    build_realtime()
    gold_after = {(d, s): (n, round(float(r), 2)) for d, s, n, r in query(GOLD)}
    expected = {(d, s): (n, round(float(r), 2)) for d, s, n, r in gold_before}
    orders, revenue = expected.get((first_day, "AC"), (0, 0.0))
    expected[(first_day, "AC")] = (orders + 1, round(revenue + sum(i["price"] for i in late["items"]), 2))
    assert gold_after == expected
