"""Redshift setup: users from the secrets (hashed, never in clear), Spectrum schema, writer and reader grants."""

from __future__ import annotations

import hashlib
import json

import boto3
import pytest
from moto import mock_aws

from olist_dw.errors import UserFacingError
from olist_dw.infra.redshift_setup import (
    SetupInputs,
    md5_password,
    read_secret_passwords,
    run_setup,
    setup_statements,
)

PASSWORDS = {"dbt_user": "Dbt-Pass-1234-abcd", "bi_analyst": "Bi-Pass-5678-efgh"}  # pragma: allowlist secret
ROLE = "arn:aws:iam::123456789012:role/olist-test-RedshiftRole-ABC"
INPUTS = SetupInputs(database="olist", glue_database="olist_lake", redshift_role_arn=ROLE, passwords=PASSWORDS)


class FakeWarehouse:
    """Records statements; answers the user lookup with the users that 'exist'."""

    def __init__(self, existing=(), fail_on: str | None = None):
        self.existing = list(existing)
        self.fail_on = fail_on
        self.statements: list[str] = []

    def query(self, sql):
        self.statements.append(sql)
        return [[user] for user in self.existing]

    def run(self, sql):
        if self.fail_on and self.fail_on in sql:
            raise RuntimeError(f"ERROR: syntax error in statement: {sql}")
        self.statements.append(sql)


def test_new_users_are_created_with_hashed_passwords_before_any_grant():
    warehouse, echoed = FakeWarehouse(), []
    run_setup(warehouse, INPUTS, echoed.append)
    sent = warehouse.statements
    expected_hash = "md5" + hashlib.md5(b"Dbt-Pass-1234-abcddbt_user").hexdigest()
    assert sent[1] == f"CREATE USER dbt_user PASSWORD '{expected_hash}'"
    assert sent[2].startswith("CREATE USER bi_analyst PASSWORD 'md5")
    first_grant = next(i for i, s in enumerate(sent) if s.startswith(("GRANT", "ALTER SCHEMA")))
    assert first_grant > 2
    for text in [*sent, *echoed]:
        for password in PASSWORDS.values():
            assert password not in text
    assert all("md5********" in line for line in echoed if "USER" in line and "PASSWORD" in line)


def test_existing_users_are_rekeyed_to_the_secret_so_a_rerun_is_harmless():
    warehouse = FakeWarehouse(existing=["dbt_user", "bi_analyst"])
    run_setup(warehouse, INPUTS, lambda _: None)
    rekeyed = md5_password("dbt_user", PASSWORDS["dbt_user"])
    assert warehouse.statements[1] == f"ALTER USER dbt_user PASSWORD '{rekeyed}'"
    assert warehouse.statements[2].startswith("ALTER USER bi_analyst")
    assert not any(s.startswith("CREATE USER") for s in warehouse.statements)


def test_spectrum_schema_and_grants():
    statements = setup_statements(INPUTS)
    assert statements[0] == (
        f"CREATE EXTERNAL SCHEMA IF NOT EXISTS bronze_sim_ext FROM DATA CATALOG DATABASE 'olist_lake' IAM_ROLE '{ROLE}'"
    )
    for schema in ("raw", "staging", "intermediate", "marts", "gold", "realtime"):
        assert f"CREATE SCHEMA IF NOT EXISTS {schema}" in statements
        assert f"ALTER SCHEMA {schema} OWNER TO dbt_user" in statements
    assert "GRANT USAGE ON SCHEMA bronze_sim_ext TO dbt_user" in statements
    analyst = [s for s in statements if "bi_analyst" in s]
    assert analyst == [
        "GRANT USAGE ON SCHEMA marts, gold, realtime TO bi_analyst",
        "GRANT SELECT ON ALL TABLES IN SCHEMA marts, gold, realtime TO bi_analyst",
        "ALTER DEFAULT PRIVILEGES FOR USER dbt_user IN SCHEMA marts, gold, realtime GRANT SELECT ON TABLES "
        "TO bi_analyst",
    ]
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC" in statements
    assert all(s.startswith(("CREATE", "ALTER", "GRANT", "REVOKE")) for s in statements)
    assert not any("DROP" in s or "DELETE" in s for s in statements)


@pytest.mark.parametrize(
    "bad",
    [
        {"glue_database": "olist_lake'; DROP TABLE x; --"},
        {"database": "Olist DB"},
        {"redshift_role_arn": "arn:aws:iam::123:role/x"},
        {"redshift_role_arn": "arn:aws:iam::123456789012:role/x' ; DROP"},
    ],
)
def test_values_are_validated_before_they_reach_sql(bad):
    inputs = SetupInputs(**{**INPUTS.__dict__, **bad})
    with pytest.raises(UserFacingError):
        setup_statements(inputs)


def test_a_failing_statement_is_reported_without_the_hash():
    warehouse = FakeWarehouse(fail_on="CREATE USER dbt_user")
    with pytest.raises(UserFacingError) as caught:
        run_setup(warehouse, INPUTS, lambda _: None)
    message = str(caught.value)
    assert "CREATE USER dbt_user PASSWORD 'md5********'" in message
    assert md5_password("dbt_user", PASSWORDS["dbt_user"]) not in message


def test_missing_password_is_a_clear_error():
    inputs = SetupInputs(**{**INPUTS.__dict__, "passwords": {"dbt_user": "x"}})
    with pytest.raises(UserFacingError, match="no password for bi_analyst"):
        run_setup(FakeWarehouse(), inputs, lambda _: None)


def test_repr_never_shows_passwords():
    assert "Pass" not in repr(INPUTS)


def test_passwords_come_from_the_secrets(aws_env):
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="olist/test/redshift/bi_analyst",
            SecretString=json.dumps({"username": "bi_analyst", "password": PASSWORDS["bi_analyst"]}),
        )["ARN"]
        broken = client.create_secret(Name="olist/test/broken", SecretString="not json")["ARN"]
        assert read_secret_passwords(client, {"bi_analyst": arn}) == {"bi_analyst": PASSWORDS["bi_analyst"]}
        with pytest.raises(UserFacingError, match="not a JSON object"):
            read_secret_passwords(client, {"bi_analyst": broken})


def test_data_api_executor_targets_the_workgroup_with_the_admin_secret(aws_env):
    """The real executor, its AWS calls answered by botocore's Stubber: workgroup, database and secret go
    to the Data API; rows come back as plain values."""
    from botocore.stub import Stubber

    from olist_dw.infra.redshift_setup import DataApiExecutor

    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift!olist-admin-AbC"  # pragma: allowlist secret
    executor = DataApiExecutor(workgroup="olist", database="olist", secret_arn=secret, region="us-east-1")
    client = executor._hook.conn
    target = {"WorkgroupName": "olist", "Database": "olist", "SecretArn": secret}
    with Stubber(client) as stub:
        stub.add_response(
            "execute_statement", {"Id": "s-1"}, {"Sql": "SELECT usename FROM pg_user", "WithEvent": False, **target}
        )
        stub.add_response("describe_statement", {"Id": "s-1", "Status": "FINISHED", "HasResultSet": True})
        stub.add_response(
            "get_statement_result",
            {"Records": [[{"stringValue": "dbt_user"}]], "ColumnMetadata": [], "TotalNumRows": 1},
            {"Id": "s-1"},
        )
        stub.add_response("execute_statement", {"Id": "s-2"}, {"Sql": "GRANT x", "WithEvent": False, **target})
        stub.add_response("describe_statement", {"Id": "s-2", "Status": "FINISHED", "HasResultSet": False})
        assert executor.query("SELECT usename FROM pg_user") == [["dbt_user"]]
        executor.run("GRANT x")
        stub.assert_no_pending_responses()


def test_setup_command_reads_both_user_secrets_and_requires_the_managed_admin_secret(aws_env):
    from botocore.stub import Stubber

    from olist_dw.infra.deploy import Environment, redshift_setup
    from olist_dw.settings import Settings

    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        arns = {
            user: secrets.create_secret(
                Name=f"olist/test/{user}", SecretString=json.dumps({"username": user, "password": password})
            )["ARN"]
            for user, password in PASSWORDS.items()
        }
        serverless = boto3.client("redshift-serverless", region_name="us-east-1")  # not in moto: stubbed

        class Session:
            def client(self, name, region_name=None):
                return serverless if name == "redshift-serverless" else boto3.client(name, region_name=region_name)

        outputs = {
            "RedshiftNamespaceName": "olist",
            "RedshiftWorkgroupName": "olist",
            "RedshiftDatabaseName": "olist",
            "GlueDatabaseName": "olist_lake",
            "RedshiftIamRoleArn": ROLE,
            "DbtUserSecretArn": arns["dbt_user"],
            "BiAnalystSecretArn": arns["bi_analyst"],
        }
        admin_secret_arn = "arn:aws:secretsmanager:us-east-1:1:secret:a"  # pragma: allowlist secret
        admin = {"namespaceName": "olist", "adminPasswordSecretArn": admin_secret_arn}  # pragma: allowlist secret
        warehouse, echoed = FakeWarehouse(existing=["dbt_user"]), []
        with Stubber(serverless) as stub:
            stub.add_response("get_namespace", {"namespace": admin}, {"namespaceName": "olist"})
            stub.add_response("get_namespace", {"namespace": {"namespaceName": "olist"}}, {"namespaceName": "olist"})
            env = Environment("test", Settings())
            redshift_setup(env, Session(), echoed.append, outputs=outputs, executor=warehouse)
            with pytest.raises(UserFacingError, match="no managed admin secret"):
                redshift_setup(env, Session(), echoed.append, outputs=outputs, executor=FakeWarehouse())
    assert warehouse.statements[1] == (
        f"ALTER USER dbt_user PASSWORD '{md5_password('dbt_user', PASSWORDS['dbt_user'])}'"
    )
    assert warehouse.statements[2] == (
        f"CREATE USER bi_analyst PASSWORD '{md5_password('bi_analyst', PASSWORDS['bi_analyst'])}'"
    )
    assert echoed[-1].startswith("Redshift setup done")
    assert not any(password in line for line in echoed for password in PASSWORDS.values())
