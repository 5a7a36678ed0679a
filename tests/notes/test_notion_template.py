"""The template's Notion parameters as shipped: the rules, the notes function's environment and its
one grant on the token's secret; and the token read from that secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
from moto import mock_aws
from template_render import Rendered
from template_support import functions, load_template

from mediascribe.config import Settings
from mediascribe.delivery.notion_delivery import notion_parent, notion_token
from mediascribe.errors import ConfigurationError

PAGE = "1f2e3d4c5b6a49788695a4b3c2d1e0f9"
TOKEN_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mediascribe/notion-AbC123"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def rendered(template: dict[str, Any], **parameters: str) -> Rendered:
    return Rendered.of(template, NotesProvider="bedrock", **parameters)


def notion_rules(template: dict[str, Any], **parameters: str) -> list[str]:
    return [r for r in rendered(template, **parameters).failed_rules() if "Notion" in r]


def statements(rendered_template: Rendered, function: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in rendered_template.properties(function)["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]


def test_the_rules_take_one_parent_and_require_the_token(template: dict[str, Any]) -> None:
    assert notion_rules(template) == []
    assert notion_rules(template, NotionParentPageId=PAGE, NotionTokenSecretArn=TOKEN_ARN) == []
    assert notion_rules(template, NotionDatabaseId=PAGE, NotionTokenSecretArn=TOKEN_ARN) == []
    assert notion_rules(
        template, NotionParentPageId=PAGE, NotionDatabaseId=PAGE, NotionTokenSecretArn=TOKEN_ARN
    ) == ["Give NotionParentPageId or NotionDatabaseId, not both."]
    assert notion_rules(template, NotionDatabaseId=PAGE) == [
        "A Notion parent needs NotionTokenSecretArn, the secret of the integration's token."
    ]


def test_the_notes_function_gets_the_parent_and_the_secret_and_the_code_reads_them(
    template: dict[str, Any],
) -> None:
    stack = rendered(template, NotionParentPageId=PAGE, NotionTokenSecretArn=TOKEN_ARN)
    environment = stack.environment("WriteNotesFunction")
    assert (environment["NOTION_PARENT_PAGE_ID"], environment["NOTION_TOKEN_SECRET"]) == (PAGE, TOKEN_ARN)
    assert "NOTION_DATABASE_ID" not in environment and "NOTION_TOKEN" not in environment
    shipped = Settings.from_env({k: str(v) for k, v in environment.items() if isinstance(v, (str, int))})
    parent = notion_parent(shipped)
    assert parent is not None and (parent.kind, parent.id) == ("page", "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9")
    assert shipped.notion_token_secret == TOKEN_ARN
    # No other function hears of Notion.
    for function in functions(template):
        if function != "WriteNotesFunction":
            assert not [name for name in stack.environment(function) if name.startswith("NOTION_")], function


def test_the_token_secret_is_granted_to_the_notes_function_alone(template: dict[str, Any]) -> None:
    stack = rendered(template, NotionParentPageId=PAGE, NotionTokenSecretArn=TOKEN_ARN)
    granted = [s for s in statements(stack, "WriteNotesFunction") if s.get("Sid") == "ReadNotionToken"]
    assert granted == [
        {
            "Sid": "ReadNotionToken",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": TOKEN_ARN,
        }
    ]
    for function in functions(template):
        # Functions of other options (the webhook sender) do not exist in this stack to grant anything.
        if function != "WriteNotesFunction" and stack.exists(function):
            assert TOKEN_ARN not in str(stack.properties(function).get("Policies")), function
    without = rendered(template)
    assert not [s for s in statements(without, "WriteNotesFunction") if s.get("Sid") == "ReadNotionToken"]


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        parameters.clear_caches()
        DEFAULT_PROVIDERS.clear()  # a provider keeps its client, made outside this moto world
        yield boto3.client("secretsmanager", region_name=REGION)
        parameters.clear_caches()
        DEFAULT_PROVIDERS.clear()


@pytest.mark.parametrize("value", ["ntn_from_secret", '{"token": "ntn_from_secret"}', " ntn_from_secret\n"])
def test_the_token_is_read_from_the_secret_plain_or_as_json(secrets: Any, value: str) -> None:
    arn = secrets.create_secret(Name="mediascribe/notion", SecretString=value)["ARN"]
    assert notion_token(Settings(notion_token_secret=arn)) == "ntn_from_secret"


@pytest.mark.parametrize("value", ['{"api_key": "ntn_x"}', "   "])
def test_a_secret_without_a_token_says_so_without_showing_it(secrets: Any, value: str) -> None:
    arn = secrets.create_secret(Name="mediascribe/notion", SecretString=value)["ARN"]
    with pytest.raises(ConfigurationError, match="mediascribe/notion") as raised:
        notion_token(Settings(notion_token_secret=arn))
    assert "ntn_x" not in raised.value.message
