"""AWS Lambda: one tick of the simulated shop (EventBridge Scheduler invokes it every minute).

The same simulation core as the local DAG (`olist_dw.sim`), with the AWS adapters: clock and inventory in
DynamoDB (`Sim_Config` hash key `config_id`, `Sim_Inventory` hash key `product_id`), orders to Kinesis.
Configured by environment only:
  OLIST_TARGET=aws, OLIST_AWS_REGION, OLIST_SIM_CONFIG_TABLE, OLIST_SIM_INVENTORY_TABLE, OLIST_KINESIS_STREAM,
  optional OLIST_SIM_TICK_SECONDS, OLIST_SIM_ORDERS_MIN, OLIST_SIM_ORDERS_MAX.
The speed factor lives in the clock record (set it with `olist-dw simulate --speed S`).
Event (optional): {"ticks": N} runs N ticks in one invocation (default 1).
Package: `olist-dw infra package-lambda` (handler + the olist_dw modules it imports + requirements.txt).
IAM: dynamodb GetItem/UpdateItem/Scan on both tables, kinesis PutRecords on the stream.

At least once: a tick moves the clock only after its orders are on Kinesis. If PutRecords fails, the
invocation fails with the window still pending in Sim_Config (stock reserved, accepted orders recorded), and
the next invocation (Lambda's retry or the next minute's) re-sends those orders with the same event ids before
it commits the clock (olist_dw.sim.core); the warehouse keeps one copy per event id.

Warm invocations reuse the AWS clients, the Faker pools and the product list (module-level caches).
"""

from __future__ import annotations

import json
import logging

from olist_dw.settings import get_settings
from olist_dw.sim import tick
from olist_dw.targets import get_target

logger = logging.getLogger()
logger.setLevel(logging.INFO)

_ADAPTERS: dict[tuple, tuple] = {}  # kept while the container is warm


def _adapters(settings):
    key = (settings.aws_region, settings.sim_config_table, settings.sim_inventory_table, settings.kinesis_stream)
    if key not in _ADAPTERS:
        _ADAPTERS.clear()
        target = get_target(settings, required="aws")
        _ADAPTERS[key] = (target.state_store(), target.stream())
    return _ADAPTERS[key]


def handler(event, context):
    settings = get_settings()
    ticks = int((event or {}).get("ticks", 1)) if isinstance(event, dict) else 1
    store, stream = _adapters(settings)
    results = [tick(store, stream, settings).as_dict() for _ in range(max(1, ticks))]
    logger.info(json.dumps({"ticks": results}))
    return {"ticks": results}
