"""The database a deployment gets: its own Aurora Serverless v2 by default, or an existing PostgreSQL.

Each case renders the template for one set of parameters (as CloudFormation would) and checks what
the functions receive: the mode, the secret, the Data API grants, the key to decrypt with, and the
parameter combinations the template's rules refuse before anything is created.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from template_render import Rendered
from template_support import as_list, functions

from mediascribe.config import Settings

ACCOUNT_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret"
RDS_SECRET = f"{ACCOUNT_ARN}:rds!db-0f3c2a1b-4d5e-6f70-8192-a3b4c5d6e7f8-AbC123"
JSON_SECRET = f"{ACCOUNT_ARN}:mediascribe/database-x1Y2z3"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# The default engine needs an OpenAI key (the OpenAIKeyWhenUsed rule).
OPENAI_KEY = {"OpenAIApiKeySecretArn": f"{ACCOUNT_ARN}:openai-AbCdEf"}
DATA_API_ACTIONS = {
    "rds-data:ExecuteStatement",
    "rds-data:BeginTransaction",
    "rds-data:CommitTransaction",
    "rds-data:RollbackTransaction",
}
# Every function exists: the webhook sender only with a webhook.
WEBHOOK = {
    "WebhookUrl": "https://hooks.example.com/in",
    "WebhookSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hook-AbCdEf",
}


def statements(rendered: Rendered, policy: str) -> list[dict[str, Any]]:
    return as_list(rendered.properties(policy)["PolicyDocument"]["Statement"])


def grants(rendered: Rendered, policy: str) -> dict[str, set[str]]:
    """Action -> the resources it is allowed on."""
    granted: dict[str, set[str]] = {}
    for statement in statements(rendered, policy):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            granted.setdefault(action, set()).update(as_list(statement["Resource"]))
    return granted


def test_by_default_the_stack_creates_a_serverless_cluster_with_the_data_api(
    template: dict[str, Any],
) -> None:
    rendered = Rendered.of(template)
    cluster = rendered.properties("DatabaseCluster")
    assert cluster["Engine"] == "aurora-postgresql"
    assert cluster["EnableHttpEndpoint"] is True
    assert cluster["ServerlessV2ScalingConfiguration"]["MinCapacity"] == 0, "it must pause when idle"
    assert cluster["ManageMasterUserPassword"] is True and "MasterUserPassword" not in cluster
    assert cluster["StorageEncrypted"] is True
    assert rendered.properties("DatabaseInstance")["DBInstanceClass"] == "db.serverless"
    assert rendered.properties("DatabaseInstance")["PubliclyAccessible"] is False
    assert template["Resources"]["DatabaseCluster"]["DeletionPolicy"] == "Snapshot"


def test_the_clusters_network_is_isolated(template: dict[str, Any]) -> None:
    """No internet or NAT gateway, no public addresses, no inbound rule: only the Data API reaches it."""
    rendered = Rendered.of(template)
    types = {template["Resources"][name]["Type"] for name in rendered.resources()}
    assert not types & {
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::EIP",
        "AWS::EC2::Route",
    }
    subnets = rendered.properties("DatabaseSubnetGroup")["SubnetIds"]
    assert len(subnets) == 2
    for subnet in subnets:
        assert rendered.properties(subnet.strip("<>"))["MapPublicIpOnLaunch"] is False
    group = rendered.properties("DatabaseSecurityGroup")
    assert "SecurityGroupIngress" not in group
    assert [rule["CidrIp"] for rule in group["SecurityGroupEgress"]] == ["127.0.0.1/32"]


def test_functions_stay_outside_any_vpc_and_use_the_data_api(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, **WEBHOOK)
    for name in functions(template):
        assert "VpcConfig" not in rendered.properties(name), name
        environment = rendered.environment(name)
        assert environment["DATABASE_MODE"] == "data-api"
        assert environment["DATABASE_CLUSTER_ARN"] == "<DatabaseCluster.DBClusterArn>"
        assert environment["DATABASE_NAME"] == "mediascribe"
        assert "DATABASE_HOST" not in environment
        Settings.from_env({k: str(v) for k, v in environment.items()})
        if name != "MigrateDatabaseFunction":
            # The functions' login can change rows, not schemas; only the migrate function is master.
            assert environment["DATABASE_SECRET_ARN"] == "<DatabaseAppSecret>", name
            assert "DATABASE_APP_SECRET_ARN" not in environment, name


def test_only_the_migrate_function_logs_in_as_master_and_creates_the_functions_login(
    template: dict[str, Any],
) -> None:
    rendered = Rendered.of(template)
    environment = rendered.environment("MigrateDatabaseFunction")
    assert environment["DATABASE_SECRET_ARN"] == "<DatabaseCluster.MasterUserSecret.SecretArn>"
    assert environment["DATABASE_APP_SECRET_ARN"] == "<DatabaseAppSecret>"
    readers = {
        name
        for name, function in functions(template).items()
        if "MasterSecretReadPolicy" in repr(rendered.value(function["Properties"].get("Policies", [])))
    }
    assert readers == {"MigrateDatabaseFunction"}
    assert grants(rendered, "MasterSecretReadPolicy") == {
        "secretsmanager:GetSecretValue": {"<DatabaseCluster.MasterUserSecret.SecretArn>"}
    }
    login = rendered.properties("DatabaseAppSecret")["GenerateSecretString"]
    assert json.loads(login["SecretStringTemplate"])["username"] == "mediascribe_app"
    assert login["GenerateStringKey"] == "password" and login["PasswordLength"] >= 32


def test_a_new_login_revision_regenerates_the_password_and_runs_the_migrate_function_again(
    template: dict[str, Any],
) -> None:
    """A changed secret value keeps its ARN, so only a changed property makes CloudFormation send the
    custom resource an Update (which sets the password from the secret); the value itself never
    appears in the properties."""
    before, after = Rendered.of(template), Rendered.of(template, DatabaseLoginRevision=2)
    schema_before, schema_after = before.properties("DatabaseSchema"), after.properties("DatabaseSchema")
    assert schema_before != schema_after
    assert schema_before["ServiceToken"] == schema_after["ServiceToken"]
    assert schema_after["Login"] == "${DatabaseAppSecret}#2"
    secret_before = before.properties("DatabaseAppSecret")["GenerateSecretString"]
    secret_after = after.properties("DatabaseAppSecret")["GenerateSecretString"]
    assert secret_before["SecretStringTemplate"] != secret_after["SecretStringTemplate"]
    assert json.loads(secret_after["SecretStringTemplate"])["username"] == "mediascribe_app"
    assert "resolve:secretsmanager" not in json.dumps(schema_after)


def test_data_api_grants_name_the_cluster_and_its_secret_only(template: dict[str, Any]) -> None:
    granted = grants(Rendered.of(template), "DatabaseAccessPolicy")
    for action in DATA_API_ACTIONS:
        assert granted.pop(action) == {"<DatabaseCluster.DBClusterArn>"}
    assert granted.pop("secretsmanager:GetSecretValue") == {"<DatabaseAppSecret>"}
    assert granted.pop("kms:Decrypt") == {"<DataKey.Arn>"}
    assert granted == {}, "no DDL-only or wider grants"


def test_decrypting_is_allowed_only_through_secrets_manager(template: dict[str, Any]) -> None:
    for rendered in (
        Rendered.of(template),
        Rendered.of(template, DatabaseSecretArn=JSON_SECRET, SecretsKmsKeyArn=KEY_ARN),
    ):
        (decrypt,) = [s for s in statements(rendered, "DatabaseAccessPolicy") if s["Action"] == "kms:Decrypt"]
        assert decrypt["Condition"] == {
            "StringEquals": {"kms:ViaService": "secretsmanager.${AWS::Region}.${AWS::URLSuffix}"}
        }


def test_an_rds_managed_secret_gets_host_port_and_name_from_parameters(template: dict[str, Any]) -> None:
    """RDS-managed secrets hold only username and password; the functions get the rest as variables."""
    rendered = Rendered.of(
        template, DatabaseSecretArn=RDS_SECRET, DatabaseHost="db.example.internal", DatabasePort=6432
    )
    assert "DatabaseCluster" not in rendered.resources() and "DatabaseVpc" not in rendered.resources()
    environment = rendered.environment("ProbeMediaFunction")
    assert environment["DATABASE_MODE"] == "postgres" and "DATABASE_CLUSTER_ARN" not in environment
    assert environment["DATABASE_SECRET_ARN"] == RDS_SECRET
    assert (environment["DATABASE_HOST"], environment["DATABASE_PORT"]) == ("db.example.internal", 6432)
    assert environment["DATABASE_NAME"] == "mediascribe"
    settings = Settings.from_env({k: str(v) for k, v in environment.items()})
    assert (settings.database_host, settings.database_port) == ("db.example.internal", 6432)
    granted = grants(rendered, "DatabaseAccessPolicy")
    assert granted == {"secretsmanager:GetSecretValue": {RDS_SECRET}}, "no Data API, no key unless given"


def test_a_full_json_secret_needs_no_other_parameter(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, DatabaseSecretArn=JSON_SECRET, **OPENAI_KEY)
    environment = rendered.environment("JobsApiFunction")
    assert environment["DATABASE_MODE"] == "postgres"
    assert environment["DATABASE_SECRET_ARN"] == JSON_SECRET
    assert not {"DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME"} & set(environment)
    assert rendered.failed_rules() == []


def test_a_customer_managed_key_of_a_given_secret_can_decrypt_it(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, DatabaseSecretArn=JSON_SECRET, SecretsKmsKeyArn=KEY_ARN)
    assert grants(rendered, "DatabaseAccessPolicy")["kms:Decrypt"] == {KEY_ARN}
    assert "DataKey" not in rendered.resources(), "nothing of the stack's own to encrypt"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        (RDS_SECRET, True),
        (JSON_SECRET, True),
        (f"{ACCOUNT_ARN}:mediascribe/database", False),  # partial ARN: IAM would deny GetSecretValue
        (f"{ACCOUNT_ARN}:mediascribe/database-*", False),
        ("mediascribe/database", False),
        ("arn:aws:ssm:eu-west-1:123456789012:parameter/openai-key", False),
    ],
)
def test_secret_parameters_take_only_whole_secret_arns(
    template: dict[str, Any], value: str, accepted: bool
) -> None:
    for parameter in ("DatabaseSecretArn", "OpenAIApiKeySecretArn"):
        pattern = re.compile(template["Parameters"][parameter]["AllowedPattern"])
        assert bool(pattern.match(value)) is accepted, (parameter, value)


@pytest.mark.parametrize(
    ("parameters", "refused"),
    [
        ({"DatabaseSecretArn": JSON_SECRET, "VpcSubnetIds": "subnet-1,subnet-2"}, "VpcSecurityGroupIds"),
        ({"VpcSubnetIds": "subnet-1", "VpcSecurityGroupIds": "sg-1"}, "existing database"),
        ({"OpenAIApiKey": "sk-test", "OpenAIApiKeySecretArn": JSON_SECRET}, "not both"),
    ],
)
def test_rules_refuse_combinations_that_would_fail_late(
    template: dict[str, Any], parameters: dict[str, str], refused: str
) -> None:
    failures = Rendered.of(template, **{**OPENAI_KEY, **parameters}).failed_rules()
    assert len(failures) == 1 and refused in failures[0], failures


def test_an_existing_database_in_a_vpc_places_every_function_there(template: dict[str, Any]) -> None:
    rendered = Rendered.of(
        template,
        DatabaseSecretArn=JSON_SECRET,
        VpcSubnetIds="subnet-1,subnet-2",
        VpcSecurityGroupIds="sg-1",
        **OPENAI_KEY,
        **WEBHOOK,
    )
    assert rendered.failed_rules() == []
    without = Rendered.of(template, DatabaseSecretArn=JSON_SECRET, **WEBHOOK)
    for name in functions(template):
        vpc = rendered.properties(name)["VpcConfig"]
        assert vpc == {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}, name
        assert "VpcConfig" not in without.properties(name), name
