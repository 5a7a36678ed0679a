"""VPC access in SAM's expansion: the roles get network-interface rights only when there is a VPC.

SAM attaches ``AWSLambdaVPCAccessExecutionRole`` (ENI actions on ``*``) to a function's role whenever
the function has a ``VpcConfig``, even one that a false condition turns into ``AWS::NoValue``. These
tests expand the template with SAM's own translator (``tools.template.expansion``, which installs the
SAM CLI's venv on first use) for one database mode at a time.
"""

from __future__ import annotations

from typing import Any

import pytest
from template_support import as_list, resources_of_type
from tools.template.expansion import expand

VPC_ACCESS = "AWSLambdaVPCAccessExecutionRole"
# The default engine needs an OpenAI key (the OpenAIKeyWhenUsed rule).
OPENAI_KEY = {"OpenAIApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf"}
EXISTING_DATABASE_IN_VPC = {
    **OPENAI_KEY,
    "DatabaseSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:jobs-db-AbCdEf",
    "DatabaseHost": "db.example.internal",
    "VpcSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    "VpcSecurityGroupIds": "sg-0123456789abcdef0",
}


def role_of(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"][function["Properties"]["Role"]["Fn::GetAtt"][0]]


def network_interface_actions(role: dict[str, Any]) -> list[str]:
    return [
        action
        for policy in role["Properties"].get("Policies", [])
        for statement in as_list(policy["PolicyDocument"]["Statement"])
        for action in as_list(statement.get("Action", []))
        if "NetworkInterface" in action or action in {"ec2:*", "*"}
    ]


@pytest.fixture(scope="module")
def own_database() -> dict[str, Any]:
    return expand(OPENAI_KEY)


@pytest.fixture(scope="module")
def existing_database_in_vpc() -> dict[str, Any]:
    return expand(EXISTING_DATABASE_IN_VPC)


def test_without_a_vpc_no_role_may_manage_network_interfaces(own_database: dict[str, Any]) -> None:
    lambdas = resources_of_type(own_database, "AWS::Lambda::Function")
    assert len(lambdas) >= 11, sorted(lambdas)
    for name, function in lambdas.items():
        assert "VpcConfig" not in function["Properties"], name
        role = role_of(own_database, function)
        managed = [str(arn) for arn in role["Properties"].get("ManagedPolicyArns", [])]
        assert not [arn for arn in managed if VPC_ACCESS in arn], (name, managed)
        assert network_interface_actions(role) == [], name


def test_an_existing_database_in_a_vpc_gives_every_function_the_vpc_and_its_access(
    existing_database_in_vpc: dict[str, Any],
) -> None:
    lambdas = resources_of_type(existing_database_in_vpc, "AWS::Lambda::Function")
    assert len(lambdas) >= 11, sorted(lambdas)
    for name, function in lambdas.items():
        vpc = function["Properties"]["VpcConfig"]
        assert vpc == {
            "SubnetIds": {"Ref": "VpcSubnetIds"},
            "SecurityGroupIds": {"Ref": "VpcSecurityGroupIds"},
        }
        managed = role_of(existing_database_in_vpc, function)["Properties"]["ManagedPolicyArns"]
        assert any(VPC_ACCESS in str(arn) for arn in managed), (name, managed)
