"""Conditions and service hosts in template.yaml: only what AWS documents for the service at hand."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from template_support import branches

# Keys set only on requests a service makes on the caller's behalf (forward access sessions), which
# IAM documents for a few services only
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledvia):
# a grant that depends on them is denied wherever the service does not set them.
SERVICE_CHAIN_KEYS = {"aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:viaawsservice"}


def condition_keys(node: Any) -> Iterator[str]:
    """Every key tested in a ``Condition`` block anywhere below ``node``."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "Condition" and isinstance(value, Mapping):
                for operator in value.values():
                    for branch in branches(operator):
                        if isinstance(branch, Mapping):
                            yield from (str(k) for k in branch)
            yield from condition_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from condition_keys(item)


def strings_with_paths(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from strings_with_paths(value, f"{path}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from strings_with_paths(item, path)


def test_no_grant_depends_on_how_a_service_forwards_the_request(template: dict[str, Any]) -> None:
    keys = set(condition_keys(template["Resources"]))
    assert "kms:ViaService" in keys, "the walk is expected to see the key's Secrets Manager condition"
    assert not {key for key in keys if key.lower() in SERVICE_CHAIN_KEYS}


def test_service_hosts_follow_the_partitions_domain(template: dict[str, Any]) -> None:
    """Only service principals (which keep amazonaws.com in every partition) spell out the domain;
    hosts such as kms:ViaService's take ${AWS::URLSuffix} (amazonaws.com.cn in China)."""
    spelled = [
        (path, text)
        for path, text in strings_with_paths(template["Resources"])
        if "amazonaws.com" in text and not path.endswith(("/Principal", "/Principal/Service"))
    ]
    assert spelled == []
    via = [
        text for _, text in strings_with_paths(template["Resources"]) if text.startswith("secretsmanager.")
    ]
    assert via and set(via) == {"secretsmanager.${AWS::Region}.${AWS::URLSuffix}"}
