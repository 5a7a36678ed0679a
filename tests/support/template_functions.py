"""Each function of template.yaml as deployed with the default parameters: its environment and Timeout.

The environment is the template's (``Rendered.environment``: Globals merged with the function's own
variables, conditions resolved). What only the deployment knows, the ARNs of the stack's resources,
is replaced by stand-in ARNs of the right form, or by the ARNs a test's stand-ins answer to, and
what the stack's id and account decide (the bucket's name) by stand-in values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from template_render import Rendered
from template_support import functions, load_template

from mediascribe.config import Settings

CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:mediascribe-db"
APP_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mediascribe-app-AbCdEf"
MASTER_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0123-AbCdEf"
# Values of ``${...}`` the deployment fills in: pseudo parameters and pieces of the stack id.
DEPLOYMENT_VALUES = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "StackSuffix": "0123abcd",
}


@cache
def _template() -> dict[str, Any]:
    return load_template()


def function_names() -> list[str]:
    return sorted(functions(_template()))


def function_timeout(name: str) -> int:
    """The function's Timeout, or the Globals' one it inherits."""
    own = functions(_template())[name]["Properties"].get("Timeout")
    return int(own if own is not None else _template()["Globals"]["Function"]["Timeout"])


def function_environment(
    name: str,
    *,
    cluster_arn: str = CLUSTER_ARN,
    app_secret_arn: str = APP_SECRET_ARN,
    master_secret_arn: str = MASTER_SECRET_ARN,
    parameters: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The function's variables as strings for the given template parameters (else the defaults),
    its database references replaced by the given ARNs."""
    stand_ins: Mapping[str, str] = {
        "<DatabaseCluster.DBClusterArn>": cluster_arn,
        "<DatabaseAppSecret>": app_secret_arn,
        "<DatabaseCluster.MasterUserSecret.SecretArn>": master_secret_arn,
    }
    variables = Rendered.of(_template(), **(parameters or {})).environment(name)
    environment = {
        key: re.sub(
            r"\$\{([^}]+)\}", lambda m: DEPLOYMENT_VALUES[m.group(1)], stand_ins.get(str(value), str(value))
        )
        for key, value in variables.items()
    }
    unresolved = {
        key: value for key, value in environment.items() if key.startswith("DATABASE_") and "<" in value
    }
    assert not unresolved, f"{name}: no stand-in for {unresolved}"
    return environment


def function_settings(name: str, **options: Any) -> Settings:
    """The Settings the function's handler reads from its environment (options as above)."""
    return Settings.from_env(function_environment(name, **options))
