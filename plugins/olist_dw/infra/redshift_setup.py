"""Redshift setup through the Data API: users from Secrets Manager, Spectrum schema, grants (infra/redshift/setup.sql).

Passwords are read from the stack's secrets and sent to Redshift only as md5 hashes
('md5' + md5(password + user), Redshift's documented hashed form for CREATE/ALTER USER), so no plain
password appears in a statement, a log line, Redshift's query history or an error message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from olist_dw.errors import UserFacingError
from olist_dw.settings import PROJECT_ROOT

SETUP_SQL = PROJECT_ROOT / "infra" / "redshift" / "setup.sql"
MANAGED_USERS = ("dbt_user", "bi_analyst")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,126}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


class SqlExecutor(Protocol):
    """Runs SQL on the warehouse (the Data API in production, a fake in tests)."""

    def run(self, sql: str) -> None: ...

    def query(self, sql: str) -> list[list[object]]: ...


@dataclass(frozen=True)
class SetupInputs:
    database: str
    glue_database: str
    redshift_role_arn: str
    passwords: dict[str, str]  # user -> plain password (from Secrets Manager); never printed

    def __repr__(self) -> str:  # keep passwords out of tracebacks and debug prints
        return f"SetupInputs(database={self.database!r}, users={list(self.passwords)})"


def md5_password(user: str, password: str) -> str:
    """Redshift's hashed password literal: 'md5' followed by md5(password + user) in hex."""
    return "md5" + hashlib.md5((password + user).encode("utf-8"), usedforsecurity=False).hexdigest()


def setup_statements(inputs: SetupInputs) -> list[str]:
    """The statements of infra/redshift/setup.sql with the placeholders filled (validated values only)."""
    for name, value in (("database", inputs.database), ("glue database", inputs.glue_database)):
        if not _IDENTIFIER.match(value):
            raise UserFacingError(f"Redshift setup: {name} {value!r} is not a plain lower-case identifier")
    if not _ROLE_ARN.match(inputs.redshift_role_arn):
        raise UserFacingError(f"Redshift setup: {inputs.redshift_role_arn!r} is not an IAM role ARN")
    text = SETUP_SQL.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    body = body.format(
        database=inputs.database, glue_database=inputs.glue_database, redshift_role_arn=inputs.redshift_role_arn
    )
    return [" ".join(statement.split()) for statement in body.split(";") if statement.strip()]


def user_statements(existing: set[str], passwords: dict[str, str]) -> list[str]:
    """CREATE USER for a missing user, ALTER USER (re-key to the secret) for an existing one."""
    statements = []
    for user in MANAGED_USERS:
        password = passwords.get(user)
        if not password:
            raise UserFacingError(f"Redshift setup: no password for {user} in its secret (key 'password')")
        verb = "ALTER" if user in existing else "CREATE"
        statements.append(f"{verb} USER {user} PASSWORD '{md5_password(user, password)}'")
    return statements


def run_setup(executor: SqlExecutor, inputs: SetupInputs, echo: Callable[[str], None] = print) -> list[str]:
    """Users first (the grants name them), then setup.sql. Returns the statements run (hashes redacted)."""
    rows = executor.query(
        "SELECT usename FROM pg_user WHERE usename IN (" + ", ".join(f"'{u}'" for u in MANAGED_USERS) + ")"
    )
    existing = {str(row[0]) for row in rows}
    done = []
    for statement in [*user_statements(existing, inputs.passwords), *setup_statements(inputs)]:
        shown = redact(statement)
        echo(f"  {shown}")
        try:
            executor.run(statement)
        except Exception as err:  # the Data API's error may quote the statement: redact before showing
            raise UserFacingError(f"Redshift setup failed at: {shown}\n  {redact(str(err))}") from None
        done.append(shown)
    return done


def redact(text: str) -> str:
    return re.sub(r"md5[0-9a-f]{32}", "md5********", text)


# --------------------------------------------------------------------------------------------------
# Production executor: the Amazon provider's RedshiftDataHook on the workgroup, as the admin user whose
# password Redshift keeps in Secrets Manager (ManageAdminPassword).


class DataApiExecutor:
    def __init__(self, workgroup: str, database: str, secret_arn: str, region: str) -> None:
        from airflow.providers.amazon.aws.hooks.redshift_data import RedshiftDataHook

        # aws_conn_id=None: the caller's own AWS credentials (profile, SSO, role), no Airflow connection.
        self._hook = RedshiftDataHook(aws_conn_id=None, region_name=region)
        self._workgroup, self._database, self._secret_arn = workgroup, database, secret_arn

    def _execute(self, sql: str):
        return self._hook.execute_query(
            sql=sql,
            wait_for_completion=True,
            poll_interval=1,
            workgroup_name=self._workgroup,
            database=self._database,
            secret_arn=self._secret_arn,
        )

    def run(self, sql: str) -> None:
        self._execute(sql)

    def query(self, sql: str) -> list[list[object]]:
        output = self._execute(sql)
        rows: list[list[object]] = []
        paginator = self._hook.conn.get_paginator("get_statement_result")
        for page in paginator.paginate(Id=output.statement_id):
            for record in page.get("Records", []):
                rows.append([next(iter(field.values())) if field else None for field in record])
        return rows


def read_secret_passwords(secretsmanager, secret_arns: dict[str, str]) -> dict[str, str]:
    """user -> password from each user's JSON secret (key 'password')."""
    passwords = {}
    for user, arn in secret_arns.items():
        try:
            value = json.loads(secretsmanager.get_secret_value(SecretId=arn)["SecretString"])
        except (KeyError, ValueError) as err:
            raise UserFacingError(f"secret {arn} of {user} is not a JSON object with a 'password' key") from err
        passwords[user] = value.get("password", "")
    return passwords


def statements_preview(inputs: SetupInputs, existing: Sequence[str] = ()) -> list[str]:
    """What run_setup would send, hashes redacted (for `--dry-run`)."""
    return [redact(s) for s in (*user_statements(set(existing), inputs.passwords), *setup_statements(inputs))]
