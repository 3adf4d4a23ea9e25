"""Alerts: the line format the health page reads, the provider notifier a connection picks (a real HttpNotifier
POSTing to a server on 127.0.0.1), and a bad OLIST_ALERT_CONN_ID named in the error."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from olist_dw.alerts import Alert, AlertConfigError, AlertNotifier, alerts_path, read_alerts, send_alert
from olist_dw.settings import get_settings

LINE_KEYS = ["at", "kind", "severity", "dag_id", "task_id", "run_id", "message"]


def test_alert_lines_have_the_documented_keys_and_read_back_newest_first(olist_home):
    settings = get_settings()
    send_alert(Alert(kind="source_freshness", severity="warn", message="first"), settings)
    send_alert(Alert(kind="stale_gold_sim", severity="error", message="second", dag_id="olist_realtime"), settings)
    with open(alerts_path(settings), "a") as fh:
        fh.write('{"torn": \n')  # a foreign or torn line is skipped, not an error

    lines = alerts_path(settings).read_text().splitlines()
    first = json.loads(lines[0])
    assert list(first) == LINE_KEYS
    assert first["at"].endswith("+00:00") and first["dag_id"] is None and first["task_id"] is None
    assert [a["message"] for a in read_alerts(settings, limit=5)] == ["second", "first"]
    assert [a["kind"] for a in read_alerts(settings, limit=1)] == ["stale_gold_sim"]


def test_the_failure_callback_names_the_task_the_run_and_the_error(olist_home):
    class FakeTaskInstance:
        dag_id, task_id, run_id, try_number = "olist_batch", "load", "manual__2026", 3

    AlertNotifier()({"ti": FakeTaskInstance(), "exception": ValueError("raw.orders: 2 columns missing")})

    (alert,) = read_alerts(get_settings())
    assert alert["kind"] == "task_failed" and alert["severity"] == "error"
    assert (alert["dag_id"], alert["task_id"], alert["run_id"]) == ("olist_batch", "load", "manual__2026")
    assert alert["message"] == "ValueError: raw.orders: 2 columns missing (try 3)"


@pytest.fixture
def webhook():
    """A JSON webhook on 127.0.0.1 that records what it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "body": json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()
    thread.join(5)


def test_an_http_connection_gets_the_alert_as_json_and_the_file_keeps_it(olist_home, monkeypatch, webhook):
    port, received = webhook
    monkeypatch.setenv("OLIST_ALERT_CONN_ID", "team_webhook")
    monkeypatch.setenv(
        "AIRFLOW_CONN_TEAM_WEBHOOK",
        json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http"}),
    )
    settings = get_settings()
    alert = Alert(kind="stale_gold_sim", severity="error", message="gold_sim is 901 s old", dag_id="olist_realtime")

    send_alert(alert, settings)

    assert received == [{"path": "/", "body": alert.as_record()}]
    assert read_alerts(settings) == [alert.as_record()]


def test_a_connection_no_notifier_can_use_is_named_in_the_error(olist_home, monkeypatch):
    monkeypatch.setenv("OLIST_ALERT_CONN_ID", "warehouse_db")
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE_DB", json.dumps({"conn_type": "postgres", "host": "127.0.0.1"}))
    with pytest.raises(AlertConfigError, match=r"OLIST_ALERT_CONN_ID=warehouse_db is a connection of type 'postgres'"):
        send_alert(Alert(kind="task_failed", severity="error", message="x"), get_settings())
    assert len(read_alerts(get_settings())) == 1  # the local file has it all the same


def test_an_smtp_connection_without_recipients_names_the_setting(olist_home, monkeypatch):
    monkeypatch.setenv("OLIST_ALERT_CONN_ID", "team_mail")
    monkeypatch.setenv("AIRFLOW_CONN_TEAM_MAIL", json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": 2525}))
    with pytest.raises(AlertConfigError, match="set OLIST_ALERT_EMAIL_TO"):
        send_alert(Alert(kind="task_failed", severity="error", message="x"), get_settings())
