"""Resolving the OpenAI key from settings, Secrets Manager or SSM (moto), without ever logging it."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.transcription.credentials import resolve_openai_api_key

KEY = "sk-live-secret-value-42"


@pytest.fixture(autouse=True)
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    with mock_aws():
        yield
    parameters.clear_caches()


def put_secret(value: str, name: str = "openai-key") -> str:
    client = boto3.client("secretsmanager")
    return client.create_secret(Name=name, SecretString=value)["ARN"]


def test_plain_settings_key_wins_without_aws_calls():
    settings = Settings(openai_api_key=KEY, openai_api_key_secret="/does/not/exist")
    assert resolve_openai_api_key(settings) == KEY


def test_no_key_configured_means_none():
    assert resolve_openai_api_key(Settings()) is None


@pytest.mark.parametrize(
    "secret_string",
    [KEY, f"  {KEY}\n", json.dumps({"api_key": KEY}), json.dumps({"OPENAI_API_KEY": KEY, "other": "x"})],
)
def test_secrets_manager_arn_plain_or_json(secret_string):
    arn = put_secret(secret_string)
    assert resolve_openai_api_key(Settings(openai_api_key_secret=arn)) == KEY


def test_ssm_secure_string_parameter():
    boto3.client("ssm").put_parameter(Name="/mediascribe/openai-key", Value=KEY, Type="SecureString")
    assert resolve_openai_api_key(Settings(openai_api_key_secret="/mediascribe/openai-key")) == KEY


def test_value_is_cached_between_calls():
    arn = put_secret(KEY)
    settings = Settings(openai_api_key_secret=arn)
    assert resolve_openai_api_key(settings) == KEY
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString="sk-rotated")
    assert resolve_openai_api_key(settings) == KEY
    parameters.clear_caches()
    assert resolve_openai_api_key(settings) == "sk-rotated"


def test_json_secret_without_a_key_field_is_a_configuration_error(caplog):
    arn = put_secret(json.dumps({"token": KEY}))
    with pytest.raises(ConfigurationError, match="api_key") as raised:
        resolve_openai_api_key(Settings(openai_api_key_secret=arn))
    assert KEY not in str(raised.value)


def test_missing_secret_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="cannot read"):
        resolve_openai_api_key(Settings(openai_api_key_secret="/mediascribe/missing"))


def test_key_never_appears_in_logs(caplog):
    caplog.set_level(logging.DEBUG, logger="mediascribe")
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    arn = put_secret(json.dumps({"api_key": KEY}))
    settings = Settings(openai_api_key_secret=arn)

    assert resolve_openai_api_key(settings) == KEY
    assert any(arn in r.getMessage() or arn in str(r.__dict__) for r in caplog.records)
    assert KEY not in caplog.text
    assert all(KEY not in str(r.__dict__) for r in caplog.records)
    assert KEY not in repr(settings)
