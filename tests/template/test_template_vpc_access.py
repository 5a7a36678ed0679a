"""VPC access in SAM's expansion: the roles get network-interface rights only when there is a VPC.

SAM attaches ``AWSLambdaVPCAccessExecutionRole`` (ENI actions on ``*``) to a function's role whenever
the function has a ``VpcConfig``, even one that a false condition turns into ``AWS::NoValue``. These
tests expand the template with SAM's own translator (``tools/template/translate_template.py``, run by
the SAM CLI's interpreter, which the ``sam_python`` fixture installs) for one database mode at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from template_support import REPO, TEMPLATE_PATH, as_list, resources_of_type

VPC_ACCESS = "AWSLambdaVPCAccessExecutionRole"
EXISTING_DATABASE_IN_VPC = {
    "DatabaseSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:jobs-db-AbCdEf",
    "DatabaseHost": "db.example.internal",
    "VpcSubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    "VpcSecurityGroupIds": "sg-0123456789abcdef0",
}


def expand(sam_python: Path, tmp_path: Path, parameters: dict[str, str]) -> dict[str, Any]:
    out = tmp_path / "expanded.json"
    subprocess.run(
        [
            str(sam_python),
            "-m",
            "tools.template.translate_template",
            str(TEMPLATE_PATH),
            str(out),
            *(f"{name}={value}" for name, value in parameters.items()),
        ],
        check=True,
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": ".:tests/template"},
    )
    return json.loads(out.read_text(encoding="utf-8"))


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
def own_database(sam_python: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return expand(sam_python, tmp_path_factory.mktemp("own-database"), {})


@pytest.fixture(scope="module")
def existing_database_in_vpc(sam_python: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return expand(sam_python, tmp_path_factory.mktemp("existing-database"), EXISTING_DATABASE_IN_VPC)


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
