"""The state machine definition as deployed: the ASL file with its ``${...}`` placeholders filled in.

CloudFormation substitutes ``DefinitionSubstitutions`` textually; the local runner and the linter do the
same, so the file that runs on moto is byte-for-byte the file that is deployed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mediascribe.errors import ConfigurationError

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def placeholders(text: str) -> set[str]:
    """Every ``${Name}`` the definition expects a substitution for."""
    return set(PLACEHOLDER.findall(text))


def substitute(text: str, values: Mapping[str, object]) -> str:
    """Fill every placeholder; a missing value is a deployment error, not a silent empty string."""
    missing = placeholders(text) - set(values)
    if missing:
        raise ConfigurationError(f"no DefinitionSubstitutions for {', '.join(sorted(missing))}")
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)


def sample_substitutions(
    text: str, *, region: str = "us-east-1", account: str = "123456789012"
) -> dict[str, str]:
    """Plausible values for every placeholder, so linters see a definition shaped like the deployed one."""
    values: dict[str, str] = {}
    for name in placeholders(text):
        if name.endswith("FunctionArn"):
            function = name.removesuffix("Arn")
            values[name] = f"arn:aws:lambda:{region}:{account}:function:{function}"
        elif name.endswith("Arn"):
            values[name] = f"arn:aws:states:{region}:{account}:stateMachine:{name.removesuffix('Arn')}"
        else:
            values[name] = "4"
    return values
