"""The notes function's Bedrock grant, for a model of the stack's Region and for a cross-region
inference profile, rendered as CloudFormation would resolve the parameters."""

from __future__ import annotations

from typing import Any

import pytest
from template_render import Rendered
from template_support import Statement, wildcard_findings

NOTES_FUNCTION = "WriteNotesFunction"
PROFILE_ID = "eu.amazon.nova-micro-v1:0"
PROFILE_ARN = "arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}:${{AWS::AccountId}}:inference-profile/{}"


def bedrock_statements(template: dict[str, Any], **parameters: str) -> list[dict[str, Any]]:
    rendered = Rendered.of(template, NotesProvider="bedrock", **parameters)
    policies = rendered.properties(NOTES_FUNCTION)["Policies"]
    return [
        statement
        for policy in policies
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]


@pytest.mark.parametrize(
    ("model", "resource"),
    [
        ("", "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/amazon.nova-micro-v1:0"),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        ),
    ],
)
def test_a_model_of_the_region_is_the_one_resource_granted(
    template: dict[str, Any], model: str, resource: str
) -> None:
    [statement] = bedrock_statements(template, NotesModel=model)
    assert (statement["Action"], statement["Resource"]) == ("bedrock:InvokeModel", resource)
    assert "Condition" not in statement


def test_an_inference_profile_gets_the_profile_and_its_model_only_through_it(
    template: dict[str, Any],
) -> None:
    by_sid = {s["Sid"]: s for s in bedrock_statements(template, NotesModel=PROFILE_ID)}
    profile = (
        f"arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}:${{AWS::AccountId}}:inference-profile/{PROFILE_ID}"
    )
    assert by_sid["InvokeNotesProfile"]["Resource"] == profile
    model = by_sid["InvokeNotesModel"]
    assert model["Resource"] == "arn:${AWS::Partition}:bedrock:*::foundation-model/amazon.nova-micro-v1:0"
    assert model["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile}}
    assert wildcard_findings([Statement(sid, s) for sid, s in by_sid.items()]) == []


def test_a_model_whose_name_starts_like_a_geography_is_not_taken_for_a_profile(
    template: dict[str, Any],
) -> None:
    [statement] = bedrock_statements(template, NotesModel="europa.some-model-v1:0")
    assert statement["Resource"].endswith(":foundation-model/europa.some-model-v1:0")


def test_openai_notes_get_no_bedrock_grant(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template, NotesProvider="openai", NotesModel=PROFILE_ID)
    assert not [
        policy for policy in rendered.properties(NOTES_FUNCTION)["Policies"] if "Statement" in str(policy)
    ]
