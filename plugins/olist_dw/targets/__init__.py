"""Where the pipeline runs: the one place that reads OLIST_TARGET.

`get_target(settings)` returns the target object (one module per target: `local`, `aws`) that builds every
adapter that differs between them: the lake, the simulation's state store, stream and delivery, the batch
stages' Airflow tasks, the dbt profile and environment, the warehouse writers' pool, what schedules the
micro-batch and how it publishes. DAGs, the CLI and the Lambda ask it; nothing else branches on the target.
A third target is a new module here with a `Target` subclass and one line in `TARGETS`
(docs/architecture.md, "Adding a target").
"""

from __future__ import annotations

import importlib

from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings
from olist_dw.targets.base import Target

# name -> "module:class"; imported on demand, so the Lambda's package needs only the AWS module.
TARGETS = {
    "local": "olist_dw.targets.local:LocalTarget",
    "aws": "olist_dw.targets.aws:AwsTarget",
}


def get_target(settings: Settings, required: str | None = None) -> Target:
    """The target OLIST_TARGET names; with `required`, refuse any other (the Lambda runs only on AWS)."""
    name = settings.target
    if required is not None and name != required:
        raise UserFacingError(f"this entry point needs OLIST_TARGET={required} (got OLIST_TARGET={name})")
    if name not in TARGETS:
        raise UserFacingError(f"OLIST_TARGET={name!r} is not a target: choose one of {', '.join(TARGETS)}")
    module_name, class_name = TARGETS[name].split(":")
    target_class = getattr(importlib.import_module(module_name), class_name)
    return target_class(settings)


__all__ = ["TARGETS", "Target", "get_target"]
