"""Where calls to the stack are recorded, as the checkov skips and the deploy guide say."""

from __future__ import annotations

import re
from typing import Any

from template_support import REPO


def skip_reasons(template: dict[str, Any]) -> dict[str, str]:
    """Every checkov skip's justification by check id: inline (per resource) and in .checkov.yaml."""
    reasons = {
        skip["id"]: " ".join(skip["comment"].split())
        for resource in template["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    for line in (REPO / ".checkov.yaml").read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("- CKV"):
            check, _, reason = line.strip().removeprefix("- ").partition("#")
            reasons[check.strip()] = reason.strip()
    return reasons


def headings(document: str) -> list[str]:
    lines = (REPO / document).read_text(encoding="utf-8").splitlines()
    return [line.lstrip("#").strip() for line in lines if line.startswith("#")]


def test_skip_reasons_point_to_sections_that_exist(template: dict[str, Any]) -> None:
    references = [
        (check, match)
        for check, reason in skip_reasons(template).items()
        for match in re.findall(r"see ([\w./-]+\.md), ([A-Z][\w ]+)\)", reason)
    ]
    assert references, "the bucket's skip is expected to point to where auditing is explained"
    for check, (document, section) in references:
        assert section in headings(document), (check, document, section)


def test_the_api_audit_skip_says_where_requests_are_logged(template: dict[str, Any]) -> None:
    """IAM-authorized invocations of an API are not CloudTrail events (CloudTrail records API
    Gateway's own API); the API function logs each request, and ApiAccessLogs adds access logs."""
    reason = skip_reasons(template)["CKV_AWS_76"]
    assert "CloudTrail" not in reason
    assert "API function" in reason and "ApiAccessLogs" in reason
    assert template["Parameters"]["ApiAccessLogs"]["Default"] == "false"
    assert "ApiAccessLogs" in (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
