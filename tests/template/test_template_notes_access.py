"""The notes function's Bedrock model and grant, for a model of the stack's Region, for a cross-region
inference profile and for the default (the Region's Nova Micro profile), rendered as CloudFormation
would resolve the parameters."""

from __future__ import annotations

from typing import Any

import pytest
from template_render import Rendered
from template_support import Statement, wildcard_findings

NOTES_FUNCTION = "WriteNotesFunction"
PROFILE_ID = "eu.amazon.nova-micro-v1:0"
# Notes on Bedrock with Amazon Transcribe: no OpenAI key is needed anywhere.
ON_AWS_ONLY = {"NotesProvider": "bedrock", "TranscriptionEngine": "amazon"}
PROFILE_ARN = "arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}:${{AWS::AccountId}}:inference-profile/{}"


def bedrock_statements(template: dict[str, Any], **parameters: str) -> list[dict[str, Any]]:
    rendered = Rendered.of(template, NotesProvider="bedrock", **parameters)
    return statements_of(rendered)


def statements_of(rendered: Rendered) -> list[dict[str, Any]]:
    policies = rendered.properties(NOTES_FUNCTION)["Policies"]
    return [
        statement
        for policy in policies
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]


def test_a_model_of_the_region_is_the_one_resource_granted(template: dict[str, Any]) -> None:
    model = "anthropic.claude-3-haiku-20240307-v1:0"
    [statement] = bedrock_statements(template, NotesModel=model)
    resource = f"arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{model}"
    assert (statement["Action"], statement["Resource"]) == ("bedrock:InvokeModel", resource)
    assert "Condition" not in statement


def profile_regions(template: dict[str, Any]) -> dict[str, str]:
    return {region: entry["Profile"] for region, entry in template["Mappings"]["NovaMicroProfiles"].items()}


@pytest.mark.parametrize(
    ("region", "profile"), [("eu-west-1", "eu"), ("us-east-2", "us"), ("ap-south-1", "apac")]
)
def test_by_default_the_notes_use_the_regions_nova_micro_profile_and_only_it(
    template: dict[str, Any], region: str, profile: str
) -> None:
    """Nova Micro runs on demand as a bare model in us-east-1 and us-gov-west-1 only; elsewhere the
    default must be the geography's profile, granted exactly as a NotesModel profile is."""
    rendered = Rendered.of(template, **ON_AWS_ONLY, **{"AWS::Region": region})
    profile_id = f"{profile}.amazon.nova-micro-v1:0"
    assert rendered.environment(NOTES_FUNCTION)["NOTES_MODEL"] == profile_id
    assert rendered.failed_rules() == []
    by_sid = {s["Sid"]: s for s in statements_of(rendered)}
    assert by_sid["InvokeNotesProfile"]["Resource"] == PROFILE_ARN.format(profile_id)
    model = by_sid["InvokeNotesModel"]
    assert model["Resource"] == "arn:${AWS::Partition}:bedrock:*::foundation-model/amazon.nova-micro-v1:0"
    assert model["Condition"] == {
        "StringEquals": {"bedrock:InferenceProfileArn": PROFILE_ARN.format(profile_id)}
    }
    explicit = Rendered.of(template, NotesProvider="bedrock", NotesModel=profile_id)
    assert statements_of(explicit) == statements_of(rendered), "the same grant as the profile given by name"


def test_the_default_profiles_are_geographies_the_template_knows(template: dict[str, Any]) -> None:
    for region, profile in profile_regions(template).items():
        rendered = Rendered.of(template, NotesProvider="bedrock", NotesModel=profile)
        assert rendered.condition("NotesModelIsProfile"), (region, profile)
        assert profile.split(".", 1)[1] == "amazon.nova-micro-v1:0"
        assert region.split("-")[0] == {"us": "us", "eu": "eu", "apac": "ap"}[profile.split(".")[0]]


def test_a_region_without_a_nova_micro_profile_needs_an_explicit_notes_model(
    template: dict[str, Any],
) -> None:
    (rule,) = [rule for name, rule in template["Rules"].items() if name == "NotesModelServedHere"]
    (assertion,) = rule["Assertions"]
    listed, _ = assertion["Assert"]["Fn::Contains"]
    assert sorted(listed) == sorted(profile_regions(template)), (
        "the rule and the mapping name the same Regions"
    )
    refused = Rendered.of(template, **ON_AWS_ONLY, **{"AWS::Region": "sa-east-1"}).failed_rules()
    assert len(refused) == 1 and "eu-west-1" in refused[0] and "NotesModel" in refused[0], refused
    for region in profile_regions(template):
        assert Rendered.of(template, **ON_AWS_ONLY, **{"AWS::Region": region}).failed_rules() == []
    chosen = Rendered.of(
        template,
        **ON_AWS_ONLY,
        NotesModel="amazon.titan-text-lite-v1",
        **{"AWS::Region": "sa-east-1"},
    )
    assert chosen.failed_rules() == []


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
