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


def test_an_order_without_a_state_fails_the_build_by_the_contract_and_adds_nothing(sim_home, build_realtime, query):
    """The not-null columns are contract constraints (checked on insert), not tests that scan the table. Staging
    drops rows without a key or a price; a managed delivery stream lands what it gets, and an order without
    a state must fail the micro-batch, not be counted."""
    import pyarrow.parquet as pq
    import pytest

    from olist_dw.errors import UserFacingError
    from tests.sim.conftest import tick_and_deliver

    (first, *_) = tick_and_deliver(2)
    build_realtime()
    items_before = query("select count(*) from realtime.fct_items_sold")
    nullable = query(
        "select column_name from information_schema.columns where table_schema = 'realtime' "
        "and table_name = 'fct_items_sold' and is_nullable = 'NO' order by column_name"
    )
    assert [name for (name,) in nullable] == [
        "customer_state", "event_id", "event_item_key", "order_id", "order_item_id", "price", "product_id",
        "purchased_at",
    ]  # fmt: skip

    table = pq.read_table(first.path)
    event = table.slice(0, 1).to_pylist()[0]
    event.update(event_id=str(uuid.uuid4()), order_id=uuid.uuid4().hex)
    event["customer_state"] = None
    pq.write_table(type(table).from_pylist([event], schema=table.schema), first.path.with_name("no-state.parquet"))

    with pytest.raises(UserFacingError, match="dbt build"):
        build_realtime()
    assert query("select count(*) from realtime.fct_items_sold") == items_before
