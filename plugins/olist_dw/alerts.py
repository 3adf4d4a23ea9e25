"""Alerts through Airflow's notifier mechanism: a failed task, a stale `gold_sim`, a dbt source freshness warning.

Every alert is one JSON line appended to `OLIST_HOME/alerts/alerts.jsonl` (the embedded default, which the health
page reads), in this exact shape:

    {"at": "2026-12-02T18:40:00.123456+00:00", "kind": "task_failed" | "stale_gold_sim" | "source_freshness",
     "severity": "error" | "warn", "dag_id": ..., "task_id": ..., "run_id": ..., "message": ...}

(null where not applicable). With `OLIST_ALERT_CONN_ID` set, the alert also goes to that Airflow connection through
the provider notifier its connection type names: `slackwebhook` (SlackWebhookNotifier), `smtp` (SmtpNotifier, to
`OLIST_ALERT_EMAIL_TO`) or `http` (HttpNotifier: the same JSON object POSTed to the connection's URL). See
docs/operations.md.

`AlertNotifier` is the `BaseNotifier` every task gets as its `on_failure_callback` (olist_dw.dag_defaults);
`send_alert` is what the freshness check (olist_dw.freshness) calls.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from airflow.sdk import BaseNotifier

from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings, get_settings

log = logging.getLogger(__name__)

AlertKind = Literal["task_failed", "stale_gold_sim", "source_freshness"]
Severity = Literal["error", "warn"]
ALERT_KINDS: tuple[str, ...] = ("task_failed", "stale_gold_sim", "source_freshness")
SEVERITIES: tuple[str, ...] = ("error", "warn")
# Connection types OLIST_ALERT_CONN_ID may name, each with its provider's notifier.
NOTIFIER_CONN_TYPES = ("slackwebhook", "smtp", "http")


class AlertConfigError(UserFacingError):
    """OLIST_ALERT_CONN_ID names a connection no notifier can send to, or the smtp one has no recipient."""


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    severity: Severity
    message: str
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def __post_init__(self) -> None:
        if self.kind not in ALERT_KINDS or self.severity not in SEVERITIES:
            raise ValueError(f"alert kind {self.kind!r} / severity {self.severity!r}: not one of the known ones")

    def as_record(self) -> dict[str, Any]:
        """The line's fields, in the order the file documents."""
        record = asdict(self)
        return {key: record[key] for key in ("at", "kind", "severity", "dag_id", "task_id", "run_id", "message")}

    def title(self) -> str:
        where = ".".join(part for part in (self.dag_id, self.task_id) if part)
        return f"[olist-dw {self.severity}] {self.kind}" + (f" {where}" if where else "")


def alerts_path(settings: Settings) -> Path:
    return settings.alerts_path


def write_alert(settings: Settings, alert: Alert) -> Path:
    """Append the alert as one line. One write() of a whole line on an O_APPEND file: concurrent task processes
    never interleave their lines."""
    path = alerts_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(alert.as_record(), ensure_ascii=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return path


def read_alerts(settings: Settings, limit: int | None = 50) -> list[dict[str, Any]]:
    """The newest `limit` alerts (None: all), newest first; a missing file is no alerts, a torn or foreign line is
    skipped."""
    path = alerts_path(settings)
    if not path.exists():
        return []
    alerts = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("kind") in ALERT_KINDS:
            alerts.append(record)
    return alerts[::-1][:limit]


def provider_notifier(settings: Settings, alert: Alert) -> BaseNotifier | None:
    """The provider notifier OLIST_ALERT_CONN_ID's connection type picks, or None when the setting is empty.

    Providers are imported here, only when a connection is configured."""
    conn_id = settings.alert_conn_id
    if not conn_id:
        return None
    from airflow.sdk import Connection

    conn_type = (Connection.get(conn_id).conn_type or "").lower()
    text = f"{alert.title()}: {alert.message}"
    if conn_type == "slackwebhook":
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        return SlackWebhookNotifier(slack_webhook_conn_id=conn_id, text=text)
    if conn_type == "smtp":
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        recipients = [address.strip() for address in settings.alert_email_to.split(",") if address.strip()]
        if not recipients:
            raise AlertConfigError(
                f"OLIST_ALERT_CONN_ID={conn_id} is an smtp connection: set OLIST_ALERT_EMAIL_TO to the recipients"
            )
        return SmtpNotifier(to=recipients, smtp_conn_id=conn_id, subject=alert.title(), html_content=f"<p>{text}</p>")
    if conn_type == "http":
        from airflow.providers.http.notifications.http import HttpNotifier

        return HttpNotifier(http_conn_id=conn_id, json=alert.as_record())
    raise AlertConfigError(
        f"OLIST_ALERT_CONN_ID={conn_id} is a connection of type {conn_type or 'none'!r}; "
        f"alerts can go to one of type {', '.join(NOTIFIER_CONN_TYPES)}"
    )


def send_alert(alert: Alert, settings: Settings | None = None, context: Any = None) -> None:
    """Write the alert to the local file, then send it through the configured connection (if any).

    The file comes first: a Slack or SMTP outage still leaves the alert where the health page shows it. A failed
    send raises (Airflow logs a failing callback; the freshness task fails visibly, not the micro-batch)."""
    settings = settings or get_settings()
    write_alert(settings, alert)
    notifier = provider_notifier(settings, alert)
    if notifier is not None:
        # notify() directly: the text is final, and Jinja must not render braces in an error message.
        notifier.notify(context if context is not None else {})
        log.info("alert %s sent to connection %s", alert.kind, settings.alert_conn_id)


def _context_id(context: Any, name: str) -> str | None:
    ti = context.get("ti") or context.get("task_instance")
    value = getattr(ti, name, None) if ti is not None else None
    if value is None and name == "run_id":
        value = context.get("run_id")
    return str(value) if value is not None else None


class AlertNotifier(BaseNotifier):
    """`on_failure_callback` of every task (olist_dw.dag_defaults): a `task_failed` alert naming the task, its
    run and the error (Airflow calls it in the task's process once the task has failed for good, not on a try
    that will be retried)."""

    def __init__(self, kind: AlertKind = "task_failed", severity: Severity = "error", **kwargs: Any):
        super().__init__(**kwargs)
        self.kind: AlertKind = kind
        self.severity: Severity = severity

    def notify(self, context: Any) -> None:
        error = context.get("exception")
        try_number = getattr(context.get("ti"), "try_number", None)
        message = f"{type(error).__name__}: {error}" if error is not None else "the task failed"
        if try_number:
            message += f" (try {try_number})"
        alert = Alert(
            kind=self.kind,
            severity=self.severity,
            message=message,
            dag_id=_context_id(context, "dag_id"),
            task_id=_context_id(context, "task_id"),
            run_id=_context_id(context, "run_id"),
        )
        send_alert(alert, context=context)
